import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { loadConfig } from '../../src/config.js';
import { signStandardWebhook } from '../../src/domain/signature.js';
import { createLogger } from '../../src/logger.js';
import { startApi } from '../../src/server.js';
import { waitFor } from '../helpers/redis.js';
import { startStack, type Stack } from '../helpers/stack.js';
import { freePort, startRedisServer } from '../../demo/redis-server.js';

const alice = {
  employeeId: 'E-1',
  firstName: 'Alice',
  lastName: 'Smith',
  email: 'alice@example.com',
};

interface ErrorBody {
  error: { code: string; message: string; details: { path: string; message: string }[] };
}

describe('POST /webhooks/hires answers exactly as the contract says (README.md#http)', () => {
  let stack: Stack;
  const jobCount = async (): Promise<number> => {
    const counts = await stack.hires.getJobCounts(
      'waiting',
      'active',
      'delayed',
      'completed',
      'failed',
    );
    return Object.values(counts).reduce((a, b) => a + b, 0);
  };
  const postRaw = (body: string | Buffer, headers: Record<string, string>) =>
    fetch(`${stack.apiUrl}/webhooks/hires`, { method: 'POST', headers, body });
  const signed = (body: string, id = `msg_${Math.random()}`, at?: Date) => ({
    'content-type': 'application/json',
    ...signStandardWebhook(stack.secret, id, body, at),
  });

  before(async () => {
    stack = await startStack({}, { workers: false });
  });
  after(async () => {
    await stack.close();
  });

  it('when the signature is missing, wrong or stale, then 401 and nothing is stored', async () => {
    const body = JSON.stringify({ type: 'employee.hired', data: alice });
    const missing = await postRaw(body, { 'content-type': 'application/json' });
    const wrongSecret = await postRaw(body, {
      'content-type': 'application/json',
      ...signStandardWebhook('whsec_' + Buffer.alloc(32, 7).toString('base64'), 'msg_x', body),
    });
    const stale = await postRaw(body, signed(body, 'msg_stale', new Date(Date.now() - 6 * 60_000)));
    const tampered = await postRaw(body.replace('Alice', 'Alicf'), signed(body, 'msg_t'));
    for (const response of [missing, wrongSecret, stale, tampered]) {
      assert.equal(response.status, 401);
      assert.equal(((await response.json()) as ErrorBody).error.code, 'ERR_SIGNATURE');
    }
    assert.equal(await jobCount(), 0);
  });

  it('when the body is not JSON, then 415; over 1 MiB, then 413', async () => {
    const text = await postRaw('hello', { 'content-type': 'text/plain' });
    assert.equal(text.status, 415);
    assert.equal(((await text.json()) as ErrorBody).error.code, 'ERR_UNSUPPORTED_MEDIA_TYPE');
    const big = JSON.stringify({
      type: 'employee.hired',
      data: alice,
      pad: 'x'.repeat(1024 * 1024),
    });
    const tooLarge = await postRaw(big, signed(big));
    assert.equal(tooLarge.status, 413);
    assert.equal(((await tooLarge.json()) as ErrorBody).error.code, 'ERR_BODY_TOO_LARGE');
    assert.equal(await jobCount(), 0);
  });

  it('when the JSON or the payload is bad, then 400 with every problem listed, and nothing stored', async () => {
    const notJson = '{"type": "employee.hired", ';
    const bad = await postRaw(notJson, signed(notJson));
    assert.equal(bad.status, 400);
    assert.equal(((await bad.json()) as ErrorBody).error.code, 'ERR_PAYLOAD');

    const body = JSON.stringify({
      type: 'employee.hired',
      data: [alice, { firstName: '', email: 'not an email' }, { firstName: 'Bob' }],
    });
    const invalid = await postRaw(body, signed(body));
    assert.equal(invalid.status, 400);
    const details = ((await invalid.json()) as ErrorBody).error.details.map((d) => d.path).sort();
    assert.deepEqual(details, ['data[1].email', 'data[1].firstName', 'data[2].email']);
    assert.equal(await jobCount(), 0);
  });

  it('when the event is not one the service acts on, then 200 ignored and nothing stored', async () => {
    // employee.updated (movers, docs/rules.md) and employee.terminated (leavers) are acted on: an
    // unknown type stands in here.
    const response = await stack.post(alice, { type: 'employee.birthday' });
    assert.equal(response.status, 200);
    assert.deepEqual(await response.json(), { status: 'ignored', type: 'employee.birthday' });
    const other = await stack.post([42], { type: 'employee.promoted' });
    assert.deepEqual(await other.json(), { status: 'ignored', type: 'employee.promoted' });
    assert.equal(await jobCount(), 0);
  });

  it('when a termination arrives, then 200 accepted and one offboard job stored (docs/design.md, rule 12)', async () => {
    const leaver = { employeeId: 'E-1', email: alice.email, terminationDate: '2026-12-31' };
    const terminated = await stack.post(leaver, { type: 'employee.terminated' });
    assert.equal(terminated.status, 200);
    assert.deepEqual(await terminated.json(), { status: 'accepted', hires: 1 });
    const jobs = await stack.hires.getWaiting();
    assert.deepEqual(
      jobs.map((job) => job.name),
      ['offboard'],
    );
    await Promise.all(jobs.map((job) => job.remove()));
  });

  it('when a termination or cancellation is malformed, then 400 with its problems', async () => {
    const terminated = await stack.post(
      { email: 'alice', terminationDate: 'tomorrow' },
      { type: 'employee.terminated' },
    );
    assert.equal(terminated.status, 400);
    const { error } = (await terminated.json()) as ErrorBody;
    assert.equal(error.code, 'ERR_PAYLOAD');
    assert.deepEqual(
      error.details.map((d) => d.path),
      ['data.email', 'data.terminationDate'],
    );
    const cancelled = await stack.post([], { type: 'employee.termination_cancelled' });
    assert.equal(cancelled.status, 400);
    assert.deepEqual(((await cancelled.json()) as ErrorBody).error.details, [
      { path: 'data', message: 'empty array' },
    ]);
    assert.equal(await jobCount(), 0);
  });

  it('when a delivery is accepted, its jobs are in Redis before the answer, and a redelivery is a duplicate', async () => {
    const first = await stack.post(
      [alice, { ...alice, email: 'bob@example.com', firstName: 'Bob' }],
      { id: 'msg_store' },
    );
    assert.deepEqual(await first.json(), { status: 'accepted', hires: 2 });
    // Written straight on Node's response (src/http/answer.ts): express' headers, no ETag hash.
    assert.equal(first.headers.get('content-type'), 'application/json; charset=utf-8');
    assert.equal(first.headers.get('etag'), null);
    const waiting = await stack.hires.getWaiting();
    assert.equal(waiting.length, 2);
    assert.deepEqual(
      waiting.map((job) => (job.data as { hire: { email: string } }).hire.email).sort(),
      ['alice@example.com', 'bob@example.com'],
    );
    const record = await stack.store.get(stack.store.keyOf('alice@example.com'));
    assert.equal(record?.state, 'received');

    const again = await stack.post([alice], { id: 'msg_store' });
    assert.equal(again.status, 200);
    assert.equal(((await again.json()) as { status: string }).status, 'duplicate');
    assert.equal((await stack.hires.getWaiting()).length, 2);
  });

  it('when ten copies of one delivery arrive at once, exactly one is accepted and its jobs stored once', async () => {
    const person = { ...alice, email: 'carol@example.com', firstName: 'Carol' };
    const before = await jobCount();
    const answers = await Promise.all(
      Array.from({ length: 10 }, () => stack.post(person, { id: 'msg_race' })),
    );
    const statuses = await Promise.all(
      answers.map(async (r) => ((await r.json()) as { status: string }).status),
    );
    assert.equal(statuses.filter((s) => s === 'accepted').length, 1);
    assert.equal(statuses.filter((s) => s === 'duplicate').length, 9);
    assert.equal((await jobCount()) - before, 1);
  });
});

describe('when Redis is unreachable', () => {
  it('webhooks get 503 (never a 2xx for something not stored) and /readyz 503; once Redis answers, the same delivery is accepted', async (t) => {
    const port = await freePort();
    const secret = 'whsec_' + Buffer.alloc(32, 1).toString('base64');
    const config = loadConfig(
      {
        REDIS_URL: `redis://127.0.0.1:${port}`,
        WEBHOOK_SECRET: secret,
        PORT: '0',
        QUEUE_PREFIX: `dso-503-${port}`,
      },
      'api',
    );
    const api = await startApi({
      config,
      logger: createLogger({ level: 'error', service: 'test', silent: true }),
    });
    t.after(() => api.close());
    const url = `http://127.0.0.1:${api.port}`;
    const body = JSON.stringify({ type: 'employee.hired', data: alice });
    const send = () =>
      fetch(`${url}/webhooks/hires`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          ...signStandardWebhook(secret, 'msg_503', body),
        },
        body,
      });

    const refused = await send();
    assert.equal(refused.status, 503);
    assert.equal(refused.headers.get('retry-after'), '5');
    assert.equal(((await refused.json()) as ErrorBody).error.code, 'ERR_QUEUE_UNAVAILABLE');
    assert.equal((await fetch(`${url}/readyz`)).status, 503);
    assert.equal((await fetch(`${url}/healthz`)).status, 200);

    const redis = await startRedisServer(port);
    assert.ok(redis, `redis-server on port ${port}`);
    t.after(() => redis.stop());
    await waitFor(
      async () => ((await fetch(`${url}/readyz`)).status === 200 ? true : undefined),
      20_000,
      'readyz',
    );
    const accepted = await send();
    assert.equal(accepted.status, 200);
    assert.equal(((await accepted.json()) as { status: string }).status, 'accepted');
  });
});
