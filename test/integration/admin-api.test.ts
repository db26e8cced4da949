import assert from 'node:assert/strict';
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { describe, it, type TestContext } from 'node:test';
import { Job, UnrecoverableError, Worker } from 'bullmq';
import express from 'express';
import { DEMO_API_KEY } from '../../docspace-sim/constants.js';
import { createAdminRoutes } from '../../src/http/admin.js';
import { createErrorHandler, notFound } from '../../src/http/errors.js';
import { QUEUES } from '../../src/queue/keys.js';
import { createRedis } from '../../src/queue/redis.js';
import { createReplayer } from '../../src/queue/replay.js';
import { startWorkers } from '../../workers/start.js';
import { REDIS_URL, waitFor } from '../helpers/redis.js';
import { FAST_TUNING, startStack, type Stack } from '../helpers/stack.js';

const TOKEN = `admin-${'t'.repeat(24)}`;
const WRONG_KEY = { DOCSPACE_API_KEY: `sk-${'f'.repeat(64)}` };
const bearer = (token: string) => `Bearer ${token}`;
const basic = (user: string, password: string) =>
  `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;

interface Answer {
  status: number;
  headers: Headers;
  body: Record<string, unknown>;
}

/** The admin routes on an app of their own (the project's error handler, port 0). */
async function serveAdmin(
  t: TestContext,
  stack: Stack,
  options: { token?: string | undefined; now?: () => number; pageSize?: number } = {
    token: TOKEN,
  },
) {
  const replayer = createReplayer({
    queues: { hires: stack.hires, invites: stack.invites },
    logger: stack.logger,
    ...(options.now ? { now: options.now } : {}),
    ...(options.pageSize ? { pageSize: options.pageSize } : {}),
  });
  const app = express();
  app.use(
    createAdminRoutes({ token: options.token, replayer, store: stack.store, logger: stack.logger }),
  );
  app.use(notFound);
  app.use(createErrorHandler(stack.logger));
  const server = app.listen(0, '127.0.0.1');
  await once(server, 'listening');
  t.after(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return async (
    method: string,
    path: string,
    authorization: string | null = bearer(TOKEN), // null: no Authorization header
  ): Promise<Answer> => {
    const res = await fetch(`${base}${path}`, {
      method,
      headers: authorization === null ? {} : { authorization },
    });
    return {
      status: res.status,
      headers: res.headers,
      body: (await res.json()) as Record<string, unknown>,
    };
  };
}

const person = (n: number) => ({
  employeeId: `A-${n}`,
  firstName: 'Ada',
  lastName: 'Admin',
  email: `ada.${n}@example.com`,
});

interface JobsBody {
  jobs: { id: string; queue: string; state: string; [field: string]: unknown }[];
  start: number;
  limit: number;
}

const logged = (stack: Stack, message: string) =>
  stack.logLines
    .map((line) => JSON.parse(line) as Record<string, unknown>)
    .filter((line) => line['message'] === message);

/** Makes failed jobs with chosen reasons on the stack's `hires` queue (a worker of our own). */
async function failJobs(
  stack: Stack,
  jobs: readonly { id: string; reason: string }[],
): Promise<void> {
  const connection = createRedis(REDIS_URL, 'worker');
  const worker = new Worker(
    QUEUES.hires,
    (job) => {
      throw new UnrecoverableError((job.data as { reason: string }).reason);
    },
    { connection, prefix: stack.prefix },
  );
  try {
    const before = await stack.hires.getFailedCount();
    for (const job of jobs) {
      await stack.hires.add(
        'provision',
        { hire: { hireId: `H-${job.id}` }, reason: job.reason },
        { jobId: job.id, attempts: 3, removeOnFail: false },
      );
    }
    await waitFor(
      async () =>
        (await stack.hires.getFailedCount()) === before + jobs.length ? true : undefined,
      10_000,
      `${jobs.length} failed jobs`,
    );
  } finally {
    await worker.close();
    connection.disconnect();
  }
}

/**
 * A stack closed after the test, once whatever `closeFirst` was given is closed (workers of our
 * own must stop before the stack deletes its keys, or they write some back).
 */
async function stackFor(
  t: TestContext,
  settings: Record<string, string> = {},
  options: { workers?: boolean } = {},
) {
  const stack = await startStack(settings, options);
  const first: (() => Promise<void>)[] = [];
  t.after(async () => {
    for (const close of first.reverse()) await close();
    await stack.close();
  });
  return { stack, closeFirst: (close: () => Promise<void>) => first.push(close) };
}

const stateOf = async (stack: Stack, id: string) => await stack.hires.getJobState(id);

describe('admin API (README.md#http, issue items 1 and 2)', () => {
  it('when ADMIN_TOKEN is unset, every /admin route answers 404 with the JSON error body', async (t) => {
    const stack = await startStack({}, { workers: false });
    t.after(() => stack.close());
    const call = await serveAdmin(t, stack, { token: undefined });
    for (const [method, path] of [
      ['GET', '/admin/jobs?state=failed'],
      ['POST', '/admin/jobs/retry?state=failed'],
      ['POST', '/admin/jobs/hire-x-0/retry'],
      ['GET', '/admin/hires/ada.1@example.com'],
      ['GET', '/admin/anything'],
    ] as const) {
      const answer = await call(method, path);
      assert.equal(answer.status, 404, `${method} ${path}`);
      assert.deepEqual(Object.keys(answer.body), ['error']);
      assert.equal((answer.body['error'] as { code: string }).code, 'ERR_NOT_FOUND');
    }
  });

  it('when the token is missing or wrong, or comes as Basic, then 401; Bearer <token> is let in', async (t) => {
    const stack = await startStack({}, { workers: false });
    t.after(() => stack.close());
    const call = await serveAdmin(t, stack);
    for (const authorization of [
      null,
      bearer('wrong-token-of-some-length'),
      bearer(`${TOKEN}x`),
      basic('root', TOKEN),
      // Basic is for the dashboard only: browsers replay it cross-site (issue #10, item 2).
      basic('admin', TOKEN),
      `Token ${TOKEN}`,
    ]) {
      const answer = await call('GET', '/admin/jobs', authorization);
      assert.equal(answer.status, 401, String(authorization));
      assert.equal((answer.body['error'] as { code: string }).code, 'ERR_UNAUTHORIZED');
      assert.equal(answer.headers.get('www-authenticate'), 'Bearer');
    }
    assert.equal((await call('POST', '/admin/jobs/retry', null)).status, 401);
    assert.equal((await call('POST', '/admin/jobs/x/retry', null)).status, 401);
    assert.equal((await call('GET', '/admin/hires/a@example.com', null)).status, 401);
    assert.equal((await call('GET', '/admin/jobs', bearer(TOKEN))).status, 200);
  });

  it('lists failed jobs a page at a time, with the contract fields plus the queue', async (t) => {
    const stack = await startStack(WRONG_KEY);
    t.after(() => stack.close());
    const call = await serveAdmin(t, stack);
    const hires = [person(1), person(2), person(3)];
    await stack.post(hires);
    await stack.settled(
      hires.map((h) => h.email),
      ['failed'],
    );
    await waitFor(async () => ((await stack.hires.getFailedCount()) === 3 ? true : undefined));

    const first = await call('GET', '/admin/jobs?state=failed&limit=2');
    assert.equal(first.status, 200);
    const page1 = first.body as unknown as JobsBody;
    assert.equal(page1.start, 0);
    assert.equal(page1.limit, 2);
    assert.equal(page1.jobs.length, 2);
    const page2 = (await call('GET', '/admin/jobs?state=failed&start=2&limit=2'))
      .body as unknown as JobsBody;
    assert.equal(page2.start, 2);
    assert.equal(page2.jobs.length, 1);
    const all = [...page1.jobs, ...page2.jobs];
    assert.equal(new Set(all.map((j) => j.id)).size, 3, 'pages do not overlap');
    for (const job of all) {
      assert.deepEqual(Object.keys(job).sort(), [
        'attemptsMade',
        'data',
        'failedReason',
        'id',
        'name',
        'queue',
        'state',
        'timestamp',
      ]);
      assert.equal(job.queue, 'hires');
      assert.equal(job.state, 'failed');
      assert.equal(job['name'], 'provision');
      assert.equal(job['attemptsMade'], 1);
      assert.match(String(job['failedReason']), /401.*DOCSPACE_API_KEY/);
      assert.equal(typeof job['timestamp'], 'number');
    }
    assert.deepEqual(
      all.map((j) => (j['data'] as { hire: { email: string } }).hire.email).sort(),
      hires.map((h) => h.email).sort(),
    );

    const byDefault = (await call('GET', '/admin/jobs')).body as unknown as JobsBody;
    assert.equal(byDefault.jobs.length, 3, 'state defaults to failed');
    const invites = (await call('GET', '/admin/jobs?state=failed&queue=invites'))
      .body as unknown as JobsBody;
    assert.deepEqual(invites.jobs, []);
    const completed = (await call('GET', '/admin/jobs?state=completed'))
      .body as unknown as JobsBody;
    assert.deepEqual(completed.jobs, []);
  });

  it('replays one failed job with a fresh attempt budget; after the fix it completes, and the hire record tells the story', async (t) => {
    const { stack, closeFirst } = await stackFor(t, WRONG_KEY);
    const call = await serveAdmin(t, stack);
    const hire = person(10);
    await stack.post(hire);
    await stack.settled([hire.email], ['failed']);
    const failed = await waitFor(async () => (await stack.hires.getFailed())[0]);
    assert.equal(failed.attemptsMade, 1);
    const id = failed.id ?? '';

    // The operator fixes the API key; until the workers come back, the replayed job waits.
    await stack.stopWorkers();
    const answer = await call('POST', `/admin/jobs/${id}/retry`);
    assert.equal(answer.status, 200);
    assert.deepEqual(answer.body, { status: 'replayed', id, queue: 'hires' });
    const replayed = await Job.fromId(stack.hires, id);
    assert.equal(replayed?.attemptsMade, 0, 'attempts reset');
    assert.equal(replayed.attemptsStarted, 0);
    assert.equal(await stateOf(stack, id), 'waiting');
    const line = logged(stack, 'job replayed').find((l) => l['jobId'] === id);
    assert.ok(line, 'the replay is logged');
    assert.equal(line['queue'], 'hires');
    assert.equal(line['hireId'], hire.employeeId);
    assert.equal(line['from'], 'failed');

    const workers = await startWorkers({
      config: { ...stack.config, docspace: { ...stack.config.docspace, apiKey: DEMO_API_KEY } },
      logger: stack.logger,
      connection: stack.redis,
      tuning: FAST_TUNING,
    });
    closeFirst(() => workers.close());
    await stack.settled([hire.email], ['invited']);
    assert.equal(await stateOf(stack, id), 'completed');

    // Emails match whatever their case.
    const record = await call('GET', `/admin/hires/${encodeURIComponent('ADA.10@Example.COM')}`);
    assert.equal(record.status, 200);
    assert.equal(record.body['email'], hire.email);
    assert.equal(record.body['hireId'], hire.employeeId);
    assert.equal(record.body['source'], 'hires');
    assert.equal(record.body['state'], 'invited');
    assert.equal(typeof record.body['userId'], 'string');
    assert.equal(typeof record.body['receivedAt'], 'number');
    assert.equal(record.body['lastError'], undefined, 'cleared once it worked');
    const timeline = record.body['timeline'] as { event: string; at: number; detail?: string }[];
    assert.deepEqual(
      timeline.map((e) => e.event),
      ['received', 'failed', 'created', 'invited'],
    );
    assert.match(timeline[1]?.detail ?? '', /DOCSPACE_API_KEY/);

    const unknown = await call('GET', '/admin/hires/nobody@example.com');
    assert.equal(unknown.status, 404);
    assert.equal((unknown.body['error'] as { code: string }).code, 'ERR_NOT_FOUND');
  });

  it('answers 404 for an unknown job and 409 for a job that is waiting, replaying neither', async (t) => {
    const stack = await startStack({}, { workers: false });
    t.after(() => stack.close());
    const call = await serveAdmin(t, stack);
    await stack.post(person(20));
    const waiting = await waitFor(async () => (await stack.hires.getWaiting())[0]);
    const id = waiting.id ?? '';

    const conflict = await call('POST', `/admin/jobs/${id}/retry`);
    assert.equal(conflict.status, 409);
    const error = conflict.body['error'] as { code: string; message: string };
    assert.equal(error.code, 'ERR_CONFLICT');
    assert.match(error.message, /waiting/);
    assert.equal(await stateOf(stack, id), 'waiting');

    const missing = await call('POST', '/admin/jobs/hire-nothing-0/retry');
    assert.equal(missing.status, 404);
    assert.equal((missing.body['error'] as { code: string }).code, 'ERR_NOT_FOUND');
    assert.equal((await call('POST', `/admin/jobs/${id}/retry?queue=invites`)).status, 404);
    assert.equal(logged(stack, 'job replayed').length, 0);
  });

  it('replays every failed job matching since and reason, page by page, and only those; dryRun replays nothing', async (t) => {
    const stack = await startStack({}, { workers: false });
    t.after(() => stack.close());
    await failJobs(stack, [
      { id: 'old-key', reason: 'DocSpace answered 401: check DOCSPACE_API_KEY' },
      { id: 'old-timeout', reason: 'timeout of 2000ms exceeded' },
      { id: 'old-name', reason: 'DocSpace refused the name' },
    ]);
    const between = Date.now();
    await new Promise((resolve) => setTimeout(resolve, 20));
    await failJobs(stack, [
      { id: 'new-key-1', reason: 'DocSpace answered 401: check DOCSPACE_API_KEY' },
      { id: 'new-name', reason: 'DocSpace refused the name' },
      { id: 'new-key-2', reason: 'docspace answered 401: check docspace_api_key' },
    ]);
    // "Now" is a minute after the first batch failed: since=1m draws the line between the two.
    const call = await serveAdmin(t, stack, {
      token: TOKEN,
      now: () => between + 60_000,
      pageSize: 2,
    });

    const dry = await call(
      'POST',
      '/admin/jobs/retry?state=failed&since=1m&reason=API_KEY&dryRun=true',
    );
    assert.equal(dry.status, 200);
    assert.equal(dry.body['dryRun'], true);
    assert.equal(dry.body['replayed'], 0);
    assert.equal(dry.body['matched'], 2);
    assert.deepEqual(dry.body['ids'], ['new-key-1', 'new-key-2']);
    assert.equal(await stack.hires.getFailedCount(), 6, 'a dry run changes nothing');

    const recent = await call('POST', '/admin/jobs/retry?state=failed&since=1m&reason=API_KEY');
    assert.deepEqual(recent.body, {
      replayed: 2,
      matched: 2,
      dryRun: false,
      ids: ['new-key-1', 'new-key-2'],
    });
    for (const id of ['new-key-1', 'new-key-2']) {
      assert.equal(await stateOf(stack, id), 'waiting');
      assert.equal((await Job.fromId(stack.hires, id))?.attemptsMade, 0);
    }
    for (const id of ['old-key', 'old-timeout', 'old-name', 'new-name'])
      assert.equal(await stateOf(stack, id), 'failed', id);

    const byReason = await call('POST', '/admin/jobs/retry?reason=REFUSED%20THE%20NAME');
    assert.deepEqual(byReason.body['ids'], ['old-name', 'new-name']);
    assert.equal(byReason.body['replayed'], 2);
    const rest = await call('POST', '/admin/jobs/retry?state=failed');
    assert.deepEqual(rest.body['ids'], ['old-key', 'old-timeout']);
    assert.deepEqual((await call('POST', '/admin/jobs/retry')).body, {
      replayed: 0,
      matched: 0,
      dryRun: false,
      ids: [],
    });
    assert.equal(await stack.hires.getFailedCount(), 0);

    const lines = logged(stack, 'job replayed');
    assert.equal(lines.length, 6, 'one line per replayed job');
    assert.equal(lines.find((l) => l['jobId'] === 'new-key-1')?.['hireId'], 'H-new-key-1');
    const summaries = logged(stack, 'jobs replayed');
    assert.deepEqual(
      summaries.map((s) => [s['count'], s['sinceMs'], s['reasonFilter']]),
      [
        [2, 60_000, 'API_KEY'],
        [2, undefined, 'REFUSED THE NAME'],
        [2, undefined, undefined],
        [0, undefined, undefined],
      ],
    );
    assert.equal(logged(stack, 'replay dry run').length, 1);
  });

  it('when replayed jobs fail again during the sweep, each is still replayed exactly once', async (t) => {
    const { stack, closeFirst } = await stackFor(t, {}, { workers: false });
    const ids = ['loop-1', 'loop-2', 'loop-3', 'loop-4', 'loop-5'];
    await failJobs(
      stack,
      ids.map((id) => ({ id, reason: 'still broken' })),
    );
    // A worker that fails every job at once keeps running while the sweep goes on.
    const connection = createRedis(REDIS_URL, 'worker');
    const worker = new Worker(
      QUEUES.hires,
      () => {
        throw new UnrecoverableError('still broken');
      },
      { connection, prefix: stack.prefix },
    );
    closeFirst(async () => {
      await worker.close();
      connection.disconnect();
    });
    const call = await serveAdmin(t, stack, { token: TOKEN, pageSize: 1 });
    const answer = await call('POST', '/admin/jobs/retry?reason=still');
    assert.equal(answer.body['replayed'], 5);
    assert.deepEqual([...(answer.body['ids'] as string[])].sort(), ids);
    const counts = new Map<unknown, number>();
    for (const line of logged(stack, 'job replayed'))
      counts.set(line['jobId'], (counts.get(line['jobId']) ?? 0) + 1);
    assert.deepEqual([...counts.values()], [1, 1, 1, 1, 1]);
    await waitFor(async () => ((await stack.hires.getFailedCount()) === 5 ? true : undefined));
  });

  it('when the query is bad, then 400 with every problem in details, and nothing is replayed', async (t) => {
    const stack = await startStack({}, { workers: false });
    t.after(() => stack.close());
    await failJobs(stack, [{ id: 'bad-query', reason: 'boom' }]);
    const call = await serveAdmin(t, stack);
    const paths = (answer: Answer) => {
      assert.equal(answer.status, 400);
      const error = answer.body['error'] as { code: string; details: { path: string }[] };
      assert.equal(error.code, 'ERR_PAYLOAD');
      return error.details.map((d) => d.path);
    };

    assert.deepEqual(
      paths(await call('GET', '/admin/jobs?state=bogus&queue=x&start=-1&limit=501')),
      ['state', 'queue', 'start', 'limit'],
    );
    assert.deepEqual(paths(await call('GET', '/admin/jobs?limit=0')), ['limit']);
    assert.deepEqual(paths(await call('GET', '/admin/jobs?limit=2&limit=3')), ['limit']);
    assert.deepEqual(paths(await call('GET', '/admin/jobs?sort=asc')), ['sort']);
    // A typo in a filter must not widen a bulk replay to every failed job.
    assert.deepEqual(paths(await call('POST', '/admin/jobs/retry?reson=boom')), ['reson']);
    assert.deepEqual(paths(await call('POST', '/admin/jobs/retry?state=completed')), ['state']);
    assert.deepEqual(paths(await call('POST', '/admin/jobs/retry?since=2x&dryRun=maybe')), [
      'since',
      'dryRun',
    ]);
    assert.deepEqual(paths(await call('POST', '/admin/jobs/retry?reason=')), ['reason']);
    assert.deepEqual(paths(await call('POST', '/admin/jobs/bad-query/retry?queue=all')), ['queue']);
    assert.equal(await stateOf(stack, 'bad-query'), 'failed');
    assert.equal(logged(stack, 'job replayed').length, 0);
  });
});
