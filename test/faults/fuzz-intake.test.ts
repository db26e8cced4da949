import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { brotliCompressSync, deflateSync, gzipSync } from 'node:zlib';
import fc from 'fast-check';
import { signStandardWebhook } from '../../src/domain/signature.js';
import { waitFor } from '../helpers/redis.js';
import { newWebhookSecret, runSeed } from './helpers/deliveries.js';
import { startFaultStack, type FaultStack } from './helpers/fault-stack.js';
import { send, sendRaw, type RawAnswer } from './helpers/http-raw.js';
import {
  removeWorkDir,
  startApiProcess,
  startWorkerProcess,
  type ServiceProcess,
} from './helpers/processes.js';
import { checkRules, emailOf } from './helpers/rules.js';
import { judge, type Verdict } from './helpers/oracle.js';
import { fresh, headerText, payload } from './helpers/arbitraries.js';

/** Cases per property; FAULT_FUZZ_RUNS multiplies them for a longer hunt. */
const SCALE = Number(process.env['FAULT_FUZZ_RUNS'] ?? 1);
const runs = (n: number) => Math.max(1, Math.round(n * SCALE));

after(removeWorkDir);

describe('bad input, fuzzed (fast-check): the intake answers JSON 4xx or 200, never dies, enqueues nothing wrong', () => {
  let stack: FaultStack;
  let api: ServiceProcess;
  let apiUrl = '';
  const seed = runSeed(20_261_126);
  let cases = 0;
  /** Trimmed emails of every hire in an accepted delivery. */
  const acceptedEmails: string[] = [];
  const outcomes = new Map<string, number>();

  const jobCount = async () =>
    await stack.hires.getJobCountByTypes(
      'waiting',
      'delayed',
      'prioritized',
      'active',
      'completed',
      'failed',
    );

  /** Sends one case, judges the answer, and checks the queue grew by exactly the hires accepted. */
  const check = async (
    what: string,
    exchange: () => Promise<RawAnswer | undefined>,
    accepted?: readonly unknown[],
  ): Promise<Verdict | undefined> => {
    cases += 1;
    const before = await jobCount();
    const answer = await exchange();
    const added = (await jobCount()) - before;
    assert.ok(api.alive(), `the API process died on: ${what}`);
    if (answer === undefined) {
      assert.equal(added, 0, `${what}: no answer, yet ${added} jobs were stored`);
      return undefined;
    }
    const verdict = judge(answer, what);
    outcomes.set(verdict.outcome, (outcomes.get(verdict.outcome) ?? 0) + 1);
    if (verdict.outcome === 'accepted') {
      assert.equal(
        added,
        verdict.hires,
        `${what}: answered ${verdict.hires} hires, stored ${added}`,
      );
      if (accepted !== undefined) {
        assert.equal(verdict.hires, accepted.length, `${what}: hires counted`);
        for (const item of accepted) {
          const address = (item as { email?: unknown }).email;
          assert.equal(typeof address, 'string', `${what}: accepted a hire without a string email`);
          acceptedEmails.push(String(address).trim());
        }
      }
    } else {
      assert.equal(added, 0, `${what}: answered ${verdict.outcome}, yet stored ${added} jobs`);
    }
    return verdict;
  };

  const signed = (body: Buffer, id = `msg_fz_${String(cases)}_${fresh()}`) =>
    signStandardWebhook(stack.secret, id, body);

  before(async () => {
    stack = await startFaultStack({ label: 'fuzz', settings: { DOCSPACE_MAX_RPS: '200' } });
    ({ proc: api, url: apiUrl } = await startApiProcess(stack.env(), 'api'));
  });
  after(() => stack.close());

  it('when bodies are random bytes, text or JSON, with any content type, encoding and signature', async () => {
    const encodings = ['none', 'identity', 'gzip', 'deflate', 'br', 'zstd', 'x-unknown'] as const;
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          fc.uint8Array({ maxLength: 3_000 }).map((b) => Buffer.from(b)),
          fc.string({ unit: 'binary', maxLength: 2_000 }).map((s) => Buffer.from(s)),
          fc.jsonValue({ maxDepth: 6 }).map((v) => Buffer.from(JSON.stringify(v))),
          payload.map((p) => Buffer.from(JSON.stringify(p))),
        ),
        fc.constantFrom(
          'application/json',
          'application/json; charset=utf-8',
          'application/cloudevents+json',
          'APPLICATION/JSON',
          'application/json; charset=latin1',
          'text/plain',
          'application/x-www-form-urlencoded',
          'multipart/form-data; boundary=x',
          '',
        ),
        fc.constantFrom(...encodings),
        fc.constantFrom('valid', 'none', 'garbage', 'stale', 'other-secret'),
        async (plain, contentType, encoding, signing) => {
          const body =
            encoding === 'gzip'
              ? gzipSync(plain)
              : encoding === 'deflate'
                ? deflateSync(plain)
                : encoding === 'br'
                  ? brotliCompressSync(plain)
                  : plain;
          const headers: Record<string, string> = {};
          if (contentType !== '') headers['content-type'] = contentType;
          if (encoding !== 'none') headers['content-encoding'] = encoding;
          const id = `msg_fz_${fresh()}`;
          if (signing === 'valid')
            Object.assign(headers, signStandardWebhook(stack.secret, id, plain));
          if (signing === 'other-secret')
            Object.assign(headers, signStandardWebhook(newWebhookSecret(), id, plain));
          if (signing === 'stale')
            Object.assign(
              headers,
              signStandardWebhook(stack.secret, id, plain, new Date(Date.now() - 600_000)),
            );
          if (signing === 'garbage')
            Object.assign(headers, {
              'webhook-id': id,
              'webhook-timestamp': String(Math.floor(Date.now() / 1000)),
              'webhook-signature': 'v1,AAAA',
            });
          let parsed: unknown;
          try {
            parsed = JSON.parse(plain.toString('utf8'));
          } catch {
            parsed = undefined;
          }
          const data = (parsed as { data?: unknown } | null | undefined)?.data;
          await check(
            `${contentType} ${encoding} ${signing} ${plain.toString('utf8').slice(0, 120)}`,
            () => send(apiUrl, headers, body),
            Array.isArray(data) ? data : [data],
          );
        },
      ),
      { numRuns: runs(400), seed, endOnFailure: true },
    );
  });

  it('when a gzip, deflate or br body is corrupt, then 400 (not 500)', async () => {
    const body = Buffer.from(
      JSON.stringify({
        type: 'employee.hired',
        data: { firstName: 'Zip', email: 'zip@example.com' },
      }),
    );
    for (const [encoding, bytes] of [
      ['gzip', Buffer.concat([Buffer.from([0x1f, 0x8b, 8, 0]), body])],
      ['gzip', gzipSync(body).subarray(0, 20)],
      ['deflate', Buffer.from('not deflate')],
      ['br', Buffer.from('not brotli at all')],
    ] as const) {
      const answer = await send(
        apiUrl,
        { 'content-type': 'application/json', 'content-encoding': encoding, ...signed(body) },
        bytes,
      );
      assert.notEqual(
        answer.status,
        500,
        `BUG (src/http/errors.ts): a corrupt ${encoding} body is answered 500 ERR_INTERNAL; body-parser ` +
          'reports it as an http-error with status 400 and no `type`, which describe() does not map',
      );
      await check(`corrupt ${encoding}`, () => Promise.resolve(answer));
    }
  });

  it('when hire-shaped payloads carry odd unicode, odd emails, wrong types and extra fields', async () => {
    await fc.assert(
      fc.asyncProperty(payload, async (p) => {
        const body = Buffer.from(JSON.stringify(p));
        const data = p.data;
        await check(
          `payload ${body.toString('utf8').slice(0, 300)}`,
          () => send(apiUrl, { 'content-type': 'application/json', ...signed(body) }, body),
          Array.isArray(data) ? data : [data],
        );
      }),
      { numRuns: runs(700), seed: seed + 1, endOnFailure: true },
    );
  });

  it('when the signature headers are missing, repeated, malformed or lie, and ids are odd', async () => {
    const valid = Buffer.from(
      JSON.stringify({
        type: 'employee.hired',
        data: { firstName: 'Hedda', email: 'x@example.com' },
      }),
    );
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(headerText, fc.constant(undefined)),
        fc.oneof(
          fc.constant('now'),
          fc
            .integer({ min: -2, max: 2 })
            .map((k) => String(Math.floor(Date.now() / 1000) + k * 400)),
          fc.constantFrom('', ' 1', '1e10', '0x10', '-5', '99999999999999999999', 'NaN', '1.5'),
          headerText,
          fc.constant(undefined),
        ),
        fc.oneof(
          fc.constantFrom('valid', 'valid-among-others', 'v1a,AAAA', 'v1,', 'v2,AAAA', ''),
          headerText,
          fc.constant('v1,' + 'A'.repeat(10_000)),
          fc.constant(undefined),
        ),
        async (id, timestamp, signature) => {
          const realId = id ?? 'msg_fz_missing';
          const seconds = timestamp === 'now' ? String(Math.floor(Date.now() / 1000)) : timestamp;
          const good = signStandardWebhook(
            stack.secret,
            realId,
            valid.toString('utf8'),
            seconds !== undefined && /^\d+$/.test(seconds)
              ? new Date(Number(seconds) * 1000)
              : new Date(),
          )['webhook-signature'];
          const headers: Record<string, string> = { 'content-type': 'application/json' };
          if (id !== undefined) headers['webhook-id'] = id;
          if (seconds !== undefined) headers['webhook-timestamp'] = seconds;
          if (signature !== undefined) {
            headers['webhook-signature'] =
              signature === 'valid'
                ? good
                : signature === 'valid-among-others'
                  ? `v1,AAAA ${good} v1,BBBB`
                  : signature;
          }
          await check(
            `headers ${JSON.stringify(headers).slice(0, 300)}`,
            () => send(apiUrl, headers, valid),
            [{ email: 'x@example.com' }],
          );
        },
      ),
      { numRuns: runs(250), seed: seed + 2, endOnFailure: true },
    );
  });

  it('when the HTTP itself is malformed: bad header bytes, lying lengths, bad chunking', async () => {
    const body = '{"type":"employee.hired","data":{"firstName":"Raw","email":"raw@example.com"}}';
    const request = (headers: string, rest = body) =>
      Buffer.concat([
        Buffer.from(
          `POST /webhooks/hires HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nConnection: close\r\n${headers}\r\n`,
          'latin1',
        ),
        Buffer.from(rest, 'utf8'),
      ]);
    const fixed: [string, Buffer][] = [
      [
        'header with a control byte',
        request(`X-Bad: a\u0001b\r\nContent-Length: ${body.length}\r\n`),
      ],
      ['header name with a space', request(`Bad Name: x\r\nContent-Length: ${body.length}\r\n`)],
      ['body longer than Content-Length', request(`Content-Length: 5\r\n`)],
      ['two Content-Lengths', request(`Content-Length: ${body.length}\r\nContent-Length: 3\r\n`)],
      [
        'chunked with a bad size',
        request('Transfer-Encoding: chunked\r\n', 'zz\r\nabc\r\n0\r\n\r\n'),
      ],
      [
        'chunked and Content-Length',
        request(`Transfer-Encoding: chunked\r\nContent-Length: 3\r\n`, '3\r\nabc\r\n0\r\n\r\n'),
      ],
      [
        'headers over 16 KiB',
        request(`X-Big: ${'a'.repeat(20_000)}\r\nContent-Length: ${body.length}\r\n`),
      ],
      ['a bad method', Buffer.from('P@ST /webhooks/hires HTTP/1.1\r\nHost: x\r\n\r\n')],
      [
        'not HTTP at all',
        Buffer.from('\u0016\u0003\u0001\u0002\u0000\u0001\u0000\u0001\u00fc\u0003\u0003'),
      ],
    ];
    for (const [what, bytes] of fixed) {
      await check(what, () => sendRaw(apiUrl, bytes));
    }
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ minLength: 1, maxLength: 40 }), async (noise) => {
        const bytes = Buffer.concat([
          Buffer.from('POST /webhooks/hires HTTP/1.1\r\nHost: x\r\nX-Noise: '),
          Buffer.from(noise),
          Buffer.from(
            `\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\nConnection: close\r\n\r\n${body}`,
          ),
        ]);
        await check(`noise in a header: ${Buffer.from(noise).toString('hex')}`, () =>
          sendRaw(apiUrl, bytes),
        );
      }),
      { numRuns: runs(60), seed: seed + 3, endOnFailure: true },
    );
  });

  it('when bodies are huge, deeply nested, or at the limits', async () => {
    const someone = (n: number) => ({
      firstName: 'Lim',
      lastName: 'It',
      email: `limit.${n}.${fresh()}@example.com`,
    });
    const hired = (data: unknown, extra: object = {}) =>
      JSON.stringify({ type: 'employee.hired', data, ...extra });
    const one = someone(1);
    const many = Array.from({ length: 500 }, (_, i) => someone(i));
    const proto = { firstName: 'Proto', email: `proto.${fresh()}@example.com` };
    const bad = `{"type":"employee.hired","data":{"firstName":"Bad`;
    const cases: [string, Buffer, number, (readonly unknown[])?][] = [
      ['1 MiB + 1 byte', Buffer.from(hired(one, { pad: 'x'.repeat(1024 * 1024) })), 413],
      [
        'just under 1 MiB, a name too long',
        Buffer.from(hired({ ...one, firstName: 'N'.repeat(1_000_000) })),
        400,
      ],
      [
        'arrays nested 400,000 deep',
        Buffer.from(
          `{"type":"employee.hired","data":${'['.repeat(400_000)}${']'.repeat(400_000)}}`,
        ),
        400,
      ],
      [
        'objects nested 100,000 deep',
        Buffer.from(
          `{"type":"employee.hired","data":${'{"a":'.repeat(100_000)}1${'}'.repeat(100_000)}}`,
        ),
        400,
      ],
      [
        'a whole body nested 500,000 deep',
        Buffer.from(`${'['.repeat(500_000)}${']'.repeat(500_000)}`),
        400,
      ],
      ['501 hires', Buffer.from(hired([...many, one])), 400],
      [
        '500 hires, two of them bad',
        Buffer.from(hired(many.map((h, i) => (i % 250 === 7 ? { firstName: 'x' } : h)))),
        400,
      ],
      ['a UTF-8 BOM before the JSON', Buffer.from(`\ufeff${hired(one)}`), 400],
      [
        'bytes that are not UTF-8 in a name',
        Buffer.concat([
          Buffer.from(bad),
          Buffer.from([0xff, 0xfe, 0xc3]),
          Buffer.from(`y","email":"utf.${fresh()}@example.com"}}`),
        ]),
        200,
        [{ email: 'counted below' }],
      ],
      [
        'duplicate keys (the last wins)',
        Buffer.from(
          `{"type":"employee.updated","type":"employee.hired","data":${JSON.stringify(one)}}`,
        ),
        200,
        [one],
      ],
      [
        '__proto__ keys',
        Buffer.from(
          `{"type":"employee.hired","__proto__":{"polluted":true},"data":{"__proto__":{"email":"p@x.com"},"firstName":"Proto","email":"${proto.email}"}}`,
        ),
        200,
        [proto],
      ],
      ['500 hires, the most one delivery may hold', Buffer.from(hired(many)), 200, many],
    ];
    for (const [what, body, want, data] of cases) {
      const accepted =
        what === 'bytes that are not UTF-8 in a name'
          ? [{ email: String(/"email":"([^"]+)"/.exec(body.toString('utf8'))?.[1]) }]
          : data;
      const verdict = await check(
        what,
        () => send(apiUrl, { 'content-type': 'application/json', ...signed(body) }, body),
        accepted,
      );
      assert.equal(verdict?.status, want, what);
    }
    assert.equal(({} as Record<string, unknown>)['polluted'], undefined, 'no prototype pollution');
  });

  it('then a worker provisions every accepted hire: nothing enqueued is refused by DocSpace', async (t) => {
    assert.equal((await fetch(`${apiUrl}/healthz`)).status, 200, 'the API is still healthy');
    const worker = await startWorkerProcess(stack.env(), 'worker');
    await waitFor(
      async () => ((await stack.idle()) ? true : undefined),
      60_000,
      'the worker to drain the fuzzed jobs',
    ).catch(() => undefined);
    const stuck = await stack.hires.getJobs(['failed', 'delayed', 'waiting', 'active']);
    assert.deepEqual(
      stuck.map((job) => {
        const address = (job.data as { hire?: { email?: string } }).hire?.email ?? '';
        return `${JSON.stringify(address)} after ${job.attemptsMade} attempts: ${job.failedReason}`;
      }),
      [],
      'every accepted hire is provisioned: none failed or is still retrying',
    );
    const records = await stack.records(acceptedEmails);
    const report = checkRules({
      sim: stack.sim.state(),
      accepted: acceptedEmails,
      existing: [],
      batchSize: 5,
      records,
    });
    assert.deepEqual(report.violations, [], 'every accepted hire is created and invited');
    // Every stored job is one the oracle saw accepted, with its email as sent.
    const jobs = await stack.hires.getJobs(['completed', 'failed', 'waiting', 'delayed', 'active']);
    const sent = new Set(acceptedEmails.map(emailOf));
    for (const job of jobs) {
      const stored = (job.data as { hire?: { email?: string } }).hire?.email ?? '';
      assert.ok(sent.has(emailOf(stored)), `a job for ${stored} that no accepted delivery named`);
    }
    await worker.stop();
    t.diagnostic(
      `fuzz (seed ${seed}): ${cases} cases; answers ${[...outcomes].map(([k, v]) => `${k} ${v}`).join(', ')}; ` +
        `${acceptedEmails.length} hires accepted (${report.newPeople} people), all created and invited; the API never died`,
    );
  });
});
