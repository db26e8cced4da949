import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { setImmediate as tick } from 'node:timers/promises';
import { describe, it } from 'node:test';
import { createLogger, type Logger } from '../../src/logger.js';

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
});
