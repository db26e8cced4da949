import assert from 'node:assert/strict';
import type { Server } from 'node:http';
import { after, before, describe, it } from 'node:test';
import { Queue } from 'bullmq';
import express from 'express';
import { loadConfig } from '../../src/config.js';
import { signStandardWebhook } from '../../src/domain/signature.js';
import { ConfigError } from '../../src/errors.js';
import { createErrorHandler, notFound } from '../../src/http/errors.js';
import { countWebhookOutcome, createMetricsRoute } from '../../src/http/metrics-route.js';
import { createHiresWebhook } from '../../src/http/webhook-hires.js';
import { createMetrics, QUEUE_STATES, type Metrics } from '../../src/metrics.js';
import { createHireStore } from '../../src/queue/hire-store.js';
import { createIntake } from '../../src/queue/intake.js';
import { provisionJobOptions, type ProvisionJobData } from '../../src/queue/contract.js';
import { createKeys, QUEUES } from '../../src/queue/keys.js';
import { createRedis } from '../../src/queue/redis.js';
import { startWorkerHttp, type WorkerHttp } from '../../workers/http.js';
import { freePort } from '../../demo/redis-server.js';
import { startWorkers, type RunningWorkers } from '../../workers/start.js';
import { waitFor } from '../helpers/redis.js';
import { FAST_TUNING, startStack, type Stack } from '../helpers/stack.js';
import { samples, total, type Sample } from '../helpers/prometheus.js';

const hire = (n: number, extra: Record<string, string> = {}) => ({
  employeeId: `E-${n}`,
  firstName: 'Mia',
  lastName: 'Metric',
  email: `mia.${n}@example.com`,
  ...extra,
});

describe('metrics of a running service (API route and worker http server)', () => {
  let stack: Stack;
  let queue: Queue<ProvisionJobData>;
  let metrics: Metrics;
  let workers: RunningWorkers;
  let server: Server;
  let apiUrl: string;
  let workerHttp: WorkerHttp;
  let workerUrl: string;

  before(async () => {
    stack = await startStack({}, { workers: false });
    metrics = createMetrics({ logger: stack.logger });
    workers = await startWorkers({
      config: stack.config,
      logger: stack.logger,
      connection: stack.redis,
      tuning: FAST_TUNING,
      metrics,
    });
    // The hires webhook with metrics on an app of our own, as src/server.ts and src/app.ts build it.
    const { config } = stack;
    queue = new Queue<ProvisionJobData>(QUEUES.hires, {
      connection: stack.redis,
      prefix: config.queuePrefix,
      defaultJobOptions: provisionJobOptions(config.jobs.attempts, config.jobs.backoffMs),
    });
    const keys = createKeys(stack.prefix);
    const intake = createIntake({
      queue,
      redis: stack.redis,
      keys,
      hireStore: createHireStore({ redis: stack.redis, keys }),
    });
    const app = express();
    app.use('/webhooks/hires', countWebhookOutcome(metrics, 'hires'));
    app.use(createHiresWebhook({ secrets: [stack.secret], intake, logger: stack.logger }));
    app.use(createMetricsRoute(metrics));
    app.use(notFound);
    app.use(createErrorHandler(stack.logger));
    server = await new Promise<Server>((resolve) => {
      const listening = app.listen(0, '127.0.0.1', () => {
        resolve(listening);
      });
    });
    const address = server.address();
    apiUrl = `http://127.0.0.1:${typeof address === 'object' && address !== null ? address.port : 0}`;
    workerHttp = await startWorkerHttp({
      port: 0,
      host: '127.0.0.1',
      metrics,
      ping: () => stack.redis.ping(),
      logger: stack.logger,
    });
    workerUrl = `http://127.0.0.1:${workerHttp.port}`;
  });
  after(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
    await workerHttp.close();
    await workers.close();
    await queue.close();
    await stack.close();
  });

  const post = (body: string, headers: Record<string, string>) =>
    fetch(`${apiUrl}/webhooks/hires`, { method: 'POST', headers, body });
  const signedPost = (data: unknown, id: string, type = 'employee.hired') => {
    const body = JSON.stringify({ type, timestamp: new Date().toISOString(), data });
    return post(body, {
      'content-type': 'application/json',
      ...signStandardWebhook(stack.secret, id, body),
    });
  };
  const scrape = async (url: string): Promise<Sample[]> => {
    const response = await fetch(`${url}/metrics`);
    assert.equal(response.status, 200);
    assert.match(response.headers.get('content-type') ?? '', /^text\/plain; version=0\.0\.4/);
    return samples(await response.text());
  };

  it('when hires, a redelivery, an existing person and a DocSpace 503 pass, then /metrics counts each', async () => {
    stack.sim.addUser({ email: 'erin.metric@example.com', firstName: 'Erin', lastName: 'Metric' });
    stack.sim.setFaults({
      script: [{ match: { method: 'POST', path: '/api/2.0/people' }, kind: '5xx', status: 503 }],
    });
    const created = [hire(1), hire(2), hire(3)];
    const existing = hire(4, { email: 'Erin.Metric@example.com' });

    const statuses = [
      await signedPost(created, 'msg_metrics_a'),
      await signedPost(created, 'msg_metrics_a'),
      await signedPost(existing, 'msg_metrics_b'),
      await signedPost(hire(5), 'msg_metrics_c', 'employee.terminated'),
      await post(JSON.stringify({ type: 'employee.hired', data: hire(6) }), {
        'content-type': 'application/json',
      }),
      await post('{"type":', {
        'content-type': 'application/json',
        ...signStandardWebhook(stack.secret, 'msg_metrics_d', '{"type":'),
      }),
      await post('hello', { 'content-type': 'text/plain' }),
      await post('x'.repeat(1024 * 1024 + 1), { 'content-type': 'application/json' }),
    ].map((response) => response.status);
    assert.deepEqual(statuses, [200, 200, 200, 200, 401, 400, 415, 413]);
    const emails = [...created, existing].map((h) => h.email);
    await stack.settled(emails, ['invited', 'existed']);

    // A job's `completed` event may follow its record's last write by a moment.
    const all = await waitFor(async () => {
      const now = await scrape(apiUrl);
      return total(now, 'docspace_onboarding_jobs_completed_total', { queue: 'hires' }) === 4
        ? now
        : undefined;
    });

    const webhook = (outcome: string) =>
      total(all, 'docspace_onboarding_webhooks_total', { route: 'hires', outcome });
    assert.equal(webhook('accepted'), 2);
    assert.equal(webhook('duplicate'), 1);
    assert.equal(webhook('ignored'), 1);
    assert.equal(webhook('unauthorized'), 1);
    assert.equal(webhook('bad_request'), 1);
    assert.equal(webhook('unsupported_media_type'), 1);
    assert.equal(webhook('payload_too_large'), 1);

    assert.equal(total(all, 'docspace_onboarding_jobs_failed_total', { queue: 'hires' }), 0);
    assert.ok(total(all, 'docspace_onboarding_jobs_completed_total', { queue: 'invites' }) >= 1);

    const people = { endpoint: 'POST /api/2.0/people' };
    const requests = 'docspace_onboarding_docspace_requests_total';
    assert.equal(total(all, requests, { ...people, status: '503' }), 1);
    assert.equal(total(all, requests, { ...people, status: '200' }), 3);
    const latency = 'docspace_onboarding_docspace_request_duration_seconds';
    assert.equal(total(all, `${latency}_count`, { ...people, status: '200' }), 3);
    assert.equal(total(all, `${latency}_count`, { ...people, status: '503' }), 1);
    assert.equal(
      total(all, `${latency}_count`, people),
      total(all, requests, people),
      'one observation per request',
    );
    assert.ok(total(all, `${latency}_sum`, people) > 0);

    const invites = total(all, requests, {
      endpoint: 'POST /api/2.0/people/invite',
      status: '200',
    });
    assert.ok(invites >= 1);
    assert.equal(total(all, 'docspace_onboarding_invite_batch_size_count'), invites);
    assert.equal(total(all, 'docspace_onboarding_invite_batch_size_sum'), 3, 'the 3 created');

    for (const queue of ['hires', 'invites']) {
      for (const state of QUEUE_STATES) {
        assert.equal(
          all.filter(
            (s) =>
              s.name === 'docspace_onboarding_queue_jobs' &&
              s.labels['queue'] === queue &&
              s.labels['state'] === state,
          ).length,
          1,
          `queue depth of ${queue} ${state}`,
        );
      }
    }
    assert.equal(total(all, 'docspace_onboarding_queue_jobs', { state: 'failed' }), 0);

    // The worker's own server shows the same registry.
    const fromWorker = await scrape(workerUrl);
    assert.equal(total(fromWorker, requests, { ...people, status: '503' }), 1);
    assert.ok(total(fromWorker, 'process_resident_memory_bytes') > 0, 'process metrics too');
  });

  it('when the worker http server is asked, then /healthz and /readyz answer 200 and others 404', async () => {
    const health = await fetch(`${workerUrl}/healthz`);
    assert.equal(health.status, 200);
    assert.deepEqual(await health.json(), { status: 'ok' });
    const ready = await fetch(`${workerUrl}/readyz`);
    assert.equal(ready.status, 200);
    assert.deepEqual(await ready.json(), { status: 'ready', redis: 'ok' });
    const unknown = await fetch(`${workerUrl}/nope`);
    assert.equal(unknown.status, 404);
    assert.equal(
      ((await unknown.json()) as { error: { code: string } }).error.code,
      'ERR_NOT_FOUND',
    );
    const posted = await fetch(`${workerUrl}/metrics`, { method: 'POST' });
    assert.equal(posted.status, 404);
    await posted.body?.cancel();
  });
});

describe('failed jobs', () => {
  it('when a job uses up its attempts, then it is counted failed once, not once per attempt', async (t) => {
    // The stack's workers report to its registry (stack.metrics), as in `npm start`.
    const stack = await startStack({ JOB_ATTEMPTS: '3', JOB_BACKOFF_MS: '20' });
    t.after(() => stack.close());
    stack.sim.setFaults({ down: true });

    await stack.post(hire(30));
    await waitFor(async () => (await stack.hires.getFailed())[0], 15_000, 'the failed job');
    const all = await waitFor(async () => {
      const now = samples(await stack.metrics.text());
      return total(now, 'docspace_onboarding_jobs_failed_total', { queue: 'hires' }) > 0
        ? now
        : undefined;
    });

    assert.equal(total(all, 'docspace_onboarding_jobs_failed_total', { queue: 'hires' }), 1);
    assert.equal(total(all, 'docspace_onboarding_jobs_completed_total', { queue: 'hires' }), 0);
    assert.equal(
      total(all, 'docspace_onboarding_docspace_requests_total', {
        endpoint: 'POST /api/2.0/people',
        status: '503',
      }),
      3,
      'three attempts, each answered 503',
    );
  });
});

describe('worker http server without Redis', () => {
  it('when Redis cannot be reached, then /readyz answers 503 after its PING timeout and /healthz 200', async (t) => {
    const redis = createRedis(`redis://127.0.0.1:${await freePort()}`, 'worker');
    redis.on('error', () => undefined);
    const warnings: { msg: string; meta: Record<string, unknown> }[] = [];
    const metrics = createMetrics({
      logger: {
        info: () => undefined,
        warn: (msg: string, meta?: Record<string, unknown>) => {
          warnings.push({ msg, meta: meta ?? {} });
        },
      },
    });
    const hires = new Queue(QUEUES.hires, { connection: redis, prefix: 'dso-metrics-nowhere' });
    hires.on('error', () => undefined);
    metrics.watchQueues([hires]);
    const http = await startWorkerHttp({
      port: 0,
      host: '127.0.0.1',
      metrics,
      ping: () => redis.ping(),
      logger: { info: () => undefined, error: () => undefined },
    });
    t.after(async () => {
      await http.close();
      await hires.close();
      redis.disconnect();
    });
    const url = `http://127.0.0.1:${http.port}`;

    // No upper bound on the time (a loaded machine stretches it): a generous deadline tells a
    // hang from an answer, and which path answered is shown by what the answer and the log say.
    const deadline = () => AbortSignal.timeout(15_000);
    const started = performance.now();
    const ready = await fetch(`${url}/readyz`, { signal: deadline() });
    const elapsed = performance.now() - started;
    assert.equal(ready.status, 503);
    assert.deepEqual(await ready.json(), { status: 'unavailable', redis: 'unreachable' });
    // The PING hangs (the connection queues it until Redis returns): the 1 s timeout answered.
    assert.ok(elapsed >= 900, `answered after ${Math.round(elapsed)} ms, not before the timeout`);
    assert.equal((await fetch(`${url}/healthz`, { signal: deadline() })).status, 200);
    const scraped = await fetch(`${url}/metrics`, { signal: deadline() });
    assert.equal(scraped.status, 200, 'a scrape while Redis is away still answers');
    const text = await scraped.text();
    assert.deepEqual(
      warnings.map((w) => [w.msg, w.meta['error']]),
      [
        [
          'queue depths unavailable: /metrics leaves them out until Redis answers',
          'no answer within 1000 ms',
        ],
      ],
      'the scrape was answered by the queue timeout, not by Redis',
    );
    assert.match(text, /^# TYPE docspace_onboarding_webhooks_total counter$/m);
    assert.doesNotMatch(text, /^docspace_onboarding_queue_jobs\{/m, 'no depths it could not read');
  });

  it('when the process is stopping, then /readyz answers 503 without asking Redis', async (t) => {
    let pinged = false;
    const http = await startWorkerHttp({
      port: 0,
      host: '127.0.0.1',
      metrics: createMetrics({ defaultMetrics: false }),
      ping: () => {
        pinged = true;
        return Promise.resolve('PONG');
      },
      logger: { info: () => undefined, error: () => undefined },
      stopping: () => true,
    });
    t.after(() => http.close());
    const ready = await fetch(`http://127.0.0.1:${http.port}/readyz`);
    assert.equal(ready.status, 503);
    assert.deepEqual(await ready.json(), { status: 'stopping' });
    assert.equal(pinged, false);
  });
});

describe('METRICS_TOKEN: /metrics behind a Bearer token when set (issue #10)', () => {
  const TOKEN = 'metrics-token-of-32-characters-x';

  /** What each kind of scrape gets: none, a wrong token, the token as Basic, the right Bearer. */
  async function scrapes(url: string): Promise<number[]> {
    const statuses: number[] = [];
    for (const authorization of [
      undefined,
      'Bearer wrong-token-of-some-length',
      `Basic ${Buffer.from(`admin:${TOKEN}`).toString('base64')}`,
      `Bearer ${TOKEN}`,
    ]) {
      const response = await fetch(`${url}/metrics`, {
        headers: authorization === undefined ? {} : { authorization },
      });
      statuses.push(response.status);
      if (response.status === 401) {
        assert.equal(response.headers.get('www-authenticate'), 'Bearer');
        const body = (await response.json()) as { error: { code: string; message: string } };
        assert.equal(body.error.code, 'ERR_UNAUTHORIZED');
        assert.match(body.error.message, /METRICS_TOKEN/);
      } else {
        assert.match(await response.text(), /docspace_onboarding_webhooks_total/);
      }
    }
    return statuses;
  }

  it("when it is set, the API's /metrics answers only the Bearer token; health checks stay open", async (t) => {
    const stack = await startStack({ METRICS_TOKEN: TOKEN }, { workers: false });
    t.after(() => stack.close());
    assert.deepEqual(await scrapes(stack.apiUrl), [401, 401, 401, 200]);
    assert.equal((await fetch(`${stack.apiUrl}/healthz`)).status, 200);
    assert.equal((await fetch(`${stack.apiUrl}/readyz`)).status, 200);
  });

  it("when it is set, the worker's /metrics answers only the Bearer token; health checks stay open", async (t) => {
    const http = await startWorkerHttp({
      port: 0,
      host: '127.0.0.1',
      metrics: createMetrics({ defaultMetrics: false }),
      metricsToken: TOKEN,
      ping: () => Promise.resolve('PONG'),
      logger: { info: () => undefined, error: () => undefined },
    });
    t.after(() => http.close());
    const url = `http://127.0.0.1:${http.port}`;
    assert.deepEqual(await scrapes(url), [401, 401, 401, 200]);
    assert.equal((await fetch(`${url}/healthz`)).status, 200);
    assert.equal((await fetch(`${url}/readyz`)).status, 200);
  });

  it('when it is unset, /metrics stays public (README.md#http); a short token is refused at start', async (t) => {
    const stack = await startStack({}, { workers: false });
    t.after(() => stack.close());
    assert.equal((await fetch(`${stack.apiUrl}/metrics`)).status, 200);
    assert.throws(
      () => loadConfig({ METRICS_TOKEN: 'short' }, 'api'),
      (err: unknown) =>
        err instanceof ConfigError && err.details.some((d) => d.path === 'METRICS_TOKEN'),
    );
  });
});
