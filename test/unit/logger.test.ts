import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { PassThrough } from 'node:stream';
import { setImmediate as tick } from 'node:timers/promises';
import { describe, it } from 'node:test';
import { createLogger, LOG_LEVELS, type Logger } from '../../src/logger.js';

interface Capture {
  readonly logger: Logger;
  /** Every line written so far, parsed. */
  readonly lines: () => Promise<Record<string, unknown>[]>;
  /** The raw text written so far. */
  readonly text: () => Promise<string>;
}

function capture(level = 'debug', silent?: boolean): Capture {
  const stream = new PassThrough();
  let written = '';
  stream.on('data', (chunk: Buffer) => {
    written += chunk.toString('utf8');
  });
  const logger = createLogger({
    level,
    service: 'onboarding-test',
    stream,
    ...(silent === undefined ? {} : { silent }),
  });
  const text = async () => {
    // Lines are written synchronously; a few turns of the loop let a stream pass them on.
    for (let i = 0; i < 5; i += 1) await tick();
    return written;
  };
  const lines = async () =>
    (await text())
      .split('\n')
      .filter((line) => line !== '')
      .map((line) => JSON.parse(line) as Record<string, unknown>);
  return { logger, lines, text };
}

/** Line `index` of `all`, failing the test when there is no such line. */
function entry(all: readonly Record<string, unknown>[], index: number): Record<string, unknown> {
  const line = all[index];
  assert.ok(line !== undefined, `no log line #${index}`);
  return line;
}

describe('createLogger', () => {
  it('writes one JSON line per event with level, message, service and timestamp', async () => {
    const { logger, lines, text } = capture();

    logger.info('hire created', { jobId: 'hires-1', outcome: 'created' });
    logger.warn('slow down', { status: 429 });

    const raw = await text();
    assert.equal(raw.split('\n').filter((l) => l !== '').length, 2);
    assert.equal(raw.endsWith('\n'), true);
    const all = await lines();
    const first = entry(all, 0);
    const second = entry(all, 1);
    assert.equal(first['level'], 'info');
    assert.equal(first['message'], 'hire created');
    assert.equal(first['service'], 'onboarding-test');
    assert.equal(first['jobId'], 'hires-1');
    assert.equal(first['outcome'], 'created');
    assert.match(String(first['timestamp']), /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    assert.equal(second['level'], 'warn');
    assert.equal(second['status'], 429);
  });

  it('drops events below the level', async () => {
    const { logger, lines } = capture('warn');

    logger.debug('noise');
    logger.info('more noise');
    logger.error('kept');

    assert.deepEqual(
      (await lines()).map((l) => l['message']),
      ['kept'],
    );
  });

  it('writes nothing when silent', async () => {
    const { logger, text } = capture('debug', true);

    logger.error('hidden');

    assert.equal(await text(), '');
  });

  it('redacts secrets, keys, signatures, tokens and authorization values by key name', async () => {
    const { logger, lines, text } = capture();
    const secrets = {
      authorization: 'Bearer sk-auth-value',
      Authorization: 'Bearer sk-auth-value-2',
      apiKey: 'sk-api-key-value',
      api_key: 'sk-api-key-value-2',
      docspaceApiKey: 'sk-api-key-value-3',
      webhookSecret: 'whsec_webhook-secret-value',
      secret: 'plain-secret-value',
      signature: 'v1,signature-value',
      'webhook-signature': 'v1,header-signature-value',
      token: 'token-value',
      adminToken: 'admin-token-value',
      accessToken: 'access-token-value',
      password: 'password-value',
      cookie: 'session=cookie-value',
    };

    logger.info('request', { ...secrets, email: 'alice@example.com', jobId: 'hires-9' });

    const all = await lines();
    assert.equal(all.length, 1);
    const line = entry(all, 0);
    for (const key of Object.keys(secrets)) {
      assert.equal(line[key], '[redacted]', key);
    }
    assert.equal(line['email'], 'a***@e***.com', 'not a secret, but masked like every address');
    assert.equal(line['jobId'], 'hires-9');
    assert.equal(line['message'], 'request');
    const raw = await text();
    for (const value of Object.values(secrets)) assert.equal(raw.includes(value), false, value);
  });

  it('does not redact keys that only resemble secret names', async () => {
    const { logger, lines } = capture();

    logger.info('ok', { tokenCount: 3, keyId: 'k-1', signed: true, hireId: 'E-1' });

    const all = await lines();
    assert.equal(all.length, 1);
    const line = entry(all, 0);
    assert.equal(line['tokenCount'], 3);
    assert.equal(line['keyId'], 'k-1');
    assert.equal(line['signed'], true);
    assert.equal(line['hireId'], 'E-1');
  });

  it('merges child meta into every line of the child, and redacts it too', async () => {
    const { logger, lines } = capture();
    const child = logger.child({ jobId: 'hires-7', queue: 'hires', token: 'child-token-value' });

    child.info('first', { outcome: 'created' });
    child.child({ attempt: 2 }).warn('second');
    logger.info('parent');

    const all = await lines();
    assert.equal(all.length, 3);
    const [first, second, parent] = [entry(all, 0), entry(all, 1), entry(all, 2)];
    assert.equal(first['jobId'], 'hires-7');
    assert.equal(first['queue'], 'hires');
    assert.equal(first['outcome'], 'created');
    assert.equal(first['service'], 'onboarding-test');
    assert.equal(first['token'], '[redacted]');
    assert.equal(second['jobId'], 'hires-7');
    assert.equal(second['attempt'], 2);
    assert.equal(second['message'], 'second');
    assert.equal(parent['jobId'], undefined);
    assert.equal(parent['message'], 'parent');
  });

  it('lets per-call meta override child meta', async () => {
    const { logger, lines } = capture();

    logger.child({ outcome: 'pending' }).info('done', { outcome: 'created' });

    const all = await lines();
    assert.equal(all.length, 1);
    const line = entry(all, 0);
    assert.equal(line['outcome'], 'created');
  });

  it('masks every email address in a line: DocSpace texts, failure reasons, messages, nested meta (issue #10)', async () => {
    const { logger, text, lines } = capture();
    const child = logger.child({ jobId: 'hires-7', note: 'for Alice.Smith@Example.com' });

    child.warn('invite refused for one person; the rest of the batch is retried', {
      reason: 'POST /api/2.0/people/invite answered 400: User disabled: alice.smith@example.com',
    });
    logger.error('job failed for bob@example.org', {
      reasons: ['invitation failed: carol+tag@sub.example.co.uk'],
      detail: { path: '/admin/hires/dave@example.net' },
    });

    const raw = await text();
    for (const address of [
      'alice.smith@example.com',
      'Alice.Smith@Example.com',
      'bob@example.org',
      'carol+tag@sub.example.co.uk',
      'dave@example.net',
    ]) {
      assert.ok(!raw.includes(address), `${address} in ${raw}`);
    }
    const [first, second] = await lines();
    assert.match(String(first?.['reason']), /User disabled: a\*\*\*@e\*\*\*\.com$/);
    assert.equal(second?.['message'], 'job failed for b***@e***.org');
  });
  it('still writes the line when a field cannot be JSON (a cycle, a BigInt)', async () => {
    const { logger, lines } = capture();
    const looped: Record<string, unknown> = { name: 'loop' };
    looped['self'] = looped;

    logger.info('odd meta', { looped, count: 12n, email: 'erin@example.com' });

    const all = await lines();
    assert.equal(all.length, 1);
    const line = entry(all, 0);
    assert.equal(line['message'], 'odd meta');
    assert.equal(line['count'], '12');
    assert.equal(line['email'], 'e***@e***.com');
    // Copied a few levels deep by the masking, then the cycle itself is cut.
    assert.equal((line['looped'] as Record<string, unknown>)['name'], 'loop');
    assert.match(JSON.stringify(line['looped']), /"self":"\[Circular\]"/);
  });
  it("takes every npm level name LOG_LEVEL accepts, in npm's order; an unknown one logs everything", async () => {
    // What each LOG_LEVEL keeps of debug, info, warn and error (docs/configuration.md#logs).
    const kept: Record<string, string[]> = {
      error: ['error'],
      warn: ['warn', 'error'],
      info: ['info', 'warn', 'error'],
      http: ['info', 'warn', 'error'],
      verbose: ['info', 'warn', 'error'],
      debug: ['debug', 'info', 'warn', 'error'],
      silly: ['debug', 'info', 'warn', 'error'],
      'no-such-level': ['debug', 'info', 'warn', 'error'],
    };
    assert.deepEqual(Object.keys(kept).slice(0, -1), [...LOG_LEVELS]);
    for (const [level, expected] of Object.entries(kept)) {
      const { logger, lines } = capture(level);
      logger.debug('debug');
      logger.info('info');
      logger.warn('warn');
      logger.error('error');
      const all = await lines();
      assert.deepEqual(
        all.map((l) => l['message']),
        expected,
        level,
      );
      assert.deepEqual(
        all.map((l) => l['level']),
        expected,
        level,
      );
    }
  });

  it('writes each key once: no pid or hostname, a call field replaces a child field, meta never replaces level, message or time', async () => {
    const { logger, lines, text } = capture();

    logger
      .child({ outcome: 'pending', service: 'child-service' })
      .info('done', { outcome: 'created', level: 'error', message: 'tail', timestamp: 'then' });

    const raw = (await text()).trim();
    for (const key of ['outcome', 'service', 'level', 'message', 'timestamp']) {
      assert.equal(raw.split(`"${key}":`).length, 2, `${key} once in ${raw}`);
    }
    const line = entry(await lines(), 0);
    assert.deepEqual(Object.keys(line).sort(), [
      'level',
      'message',
      'outcome',
      'service',
      'timestamp',
    ]);
    assert.equal(line['outcome'], 'created');
    assert.equal(line['service'], 'child-service');
    assert.equal(line['level'], 'info');
    assert.equal(line['message'], 'done tail');
    assert.notEqual(line['timestamp'], 'then');
  });

  it("never writes an Error's message or stack in a field (they may hold addresses or secrets)", async () => {
    const { logger, lines, text } = capture();

    logger.error('failed', { err: new Error('refused for frank@example.com, key sk-live-1') });

    const raw = await text();
    assert.equal(raw.includes('frank@example.com'), false, raw);
    assert.equal(raw.includes('sk-live-1'), false, raw);
    assert.equal(entry(await lines(), 0)['message'], 'failed');
  });

  it('loses no line on stdout when the process exits right after logging', () => {
    const script = [
      "import { createLogger } from './src/logger.ts';",
      "const logger = createLogger({ level: 'info', service: 'exit-test' });",
      "for (let i = 0; i < 2000; i += 1) logger.info('line', { i, pad: 'x'.repeat(200) });",
      'process.exit(3);',
    ].join('\n');
    const run = spawnSync(
      process.execPath,
      ['--import', 'tsx', '--input-type=module', '-e', script],
      {
        encoding: 'utf8',
        maxBuffer: 16 * 1024 * 1024,
      },
    );
    assert.equal(run.status, 3, run.stderr);
    const written = run.stdout.split('\n').filter((l) => l !== '');
    assert.equal(written.length, 2000);
    assert.equal((JSON.parse(written[1999] ?? '{}') as Record<string, unknown>)['i'], 1999);
  });
});
