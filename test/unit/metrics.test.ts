import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { describe, it } from 'node:test';
import type { NextFunction, Request, Response } from 'express';
import { loadConfig } from '../../src/config.js';
import { ConfigError } from '../../src/errors.js';
import { countWebhookOutcome, setWebhookOutcome } from '../../src/http/metrics-route.js';
import {
  createMetrics,
  DOCSPACE_SECONDS_BUCKETS,
  INVITE_BATCH_BUCKETS,
  QUEUE_STATES,
  type WatchedQueue,
} from '../../src/metrics.js';
import { samples, value } from '../helpers/prometheus.js';

const scrape = async (metrics: ReturnType<typeof createMetrics>) => samples(await metrics.text());

function fixedQueue(name: string, counts: Record<string, number>): WatchedQueue {
  return { name, getJobCounts: () => Promise.resolve(counts) };
}

function recordingLogger() {
  const lines: { level: string; message: string }[] = [];
  return {
    lines,
    info(message: string) {
      lines.push({ level: 'info', message });
    },
    warn(message: string) {
      lines.push({ level: 'warn', message });
    },
  };
}

describe('createMetrics', () => {
  it('when webhooks, jobs and DocSpace requests are counted, then the text names them with their labels', async () => {
    const metrics = createMetrics({ defaultMetrics: false });
    metrics.webhook('hires', 'accepted');
    metrics.webhook('hires', 'accepted');
    metrics.webhook('hires', 'unauthorized');
    metrics.jobFinished('hires', 'completed');
    metrics.jobFinished('invites', 'failed');
    metrics.docspaceRequest({ endpoint: 'POST /api/2.0/people', status: 200, durationMs: 30 });
    metrics.docspaceRequest({ endpoint: 'POST /api/2.0/people', status: 503, durationMs: 5 });
    metrics.docspaceRequest({
      endpoint: 'POST /api/2.0/people',
      status: undefined,
      durationMs: 2_000,
    });

    const all = await scrape(metrics);
    const webhooks = 'docspace_onboarding_webhooks_total';
    assert.equal(value(all, webhooks, { route: 'hires', outcome: 'accepted' }), 2);
    assert.equal(value(all, webhooks, { route: 'hires', outcome: 'unauthorized' }), 1);
    assert.equal(value(all, 'docspace_onboarding_jobs_completed_total', { queue: 'hires' }), 1);
    assert.equal(value(all, 'docspace_onboarding_jobs_failed_total', { queue: 'invites' }), 1);
    const requests = 'docspace_onboarding_docspace_requests_total';
    const people = { endpoint: 'POST /api/2.0/people' };
    assert.equal(value(all, requests, { ...people, status: '200' }), 1);
    assert.equal(value(all, requests, { ...people, status: '503' }), 1);
    assert.equal(value(all, requests, { ...people, status: 'none' }), 1, 'no answer: "none"');

    const text = await metrics.text();
    assert.match(text, /^# TYPE docspace_onboarding_webhooks_total counter$/m);
    assert.match(text, /^# TYPE docspace_onboarding_docspace_request_duration_seconds histogram$/m);
    assert.match(text, /^# TYPE docspace_onboarding_invite_batch_size histogram$/m);
    assert.match(text, /^# TYPE docspace_onboarding_queue_jobs gauge$/m);
    for (const sample of all) assert.match(sample.name, /^docspace_onboarding_/);
  });

  it('when a DocSpace request is observed, then the latency histogram has its buckets in seconds', async () => {
    const metrics = createMetrics({ defaultMetrics: false });
    metrics.docspaceRequest({ endpoint: 'POST /api/2.0/people', status: 200, durationMs: 30 });
    metrics.docspaceRequest({ endpoint: 'POST /api/2.0/people', status: 200, durationMs: 700 });

    const all = await scrape(metrics);
    const name = 'docspace_onboarding_docspace_request_duration_seconds';
    const labels = { endpoint: 'POST /api/2.0/people', status: '200' };
    const buckets = all.filter((s) => s.name === `${name}_bucket`);
    assert.deepEqual(
      buckets.map((s) => s.labels['le']),
      [...DOCSPACE_SECONDS_BUCKETS.map(String), '+Inf'],
    );
    assert.equal(value(all, `${name}_bucket`, { ...labels, le: '0.025' }), 0);
    assert.equal(value(all, `${name}_bucket`, { ...labels, le: '0.05' }), 1);
    assert.equal(value(all, `${name}_bucket`, { ...labels, le: '0.5' }), 1);
    assert.equal(value(all, `${name}_bucket`, { ...labels, le: '1' }), 2);
    assert.equal(value(all, `${name}_bucket`, { ...labels, le: '+Inf' }), 2);
    assert.equal(value(all, `${name}_count`, labels), 2);
    assert.ok(Math.abs((value(all, `${name}_sum`, labels) ?? 0) - 0.73) < 1e-9);
  });

  it('when invite batches are observed, then their sizes fall into people buckets', async () => {
    const metrics = createMetrics({ defaultMetrics: false });
    metrics.inviteBatch(1);
    metrics.inviteBatch(7);
    metrics.inviteBatch(50);

    const all = await scrape(metrics);
    const name = 'docspace_onboarding_invite_batch_size';
    assert.deepEqual(
      all.filter((s) => s.name === `${name}_bucket`).map((s) => s.labels['le']),
      [...INVITE_BATCH_BUCKETS.map(String), '+Inf'],
    );
    assert.equal(value(all, `${name}_bucket`, { le: '1' }), 1);
    assert.equal(value(all, `${name}_bucket`, { le: '5' }), 1);
    assert.equal(value(all, `${name}_bucket`, { le: '10' }), 2);
    assert.equal(value(all, `${name}_bucket`, { le: '50' }), 3);
    assert.equal(value(all, `${name}_count`), 3);
    assert.equal(value(all, `${name}_sum`), 58);
  });

  it('when queues are watched, then each scrape reports every state of each, and job counters start at 0', async () => {
    const metrics = createMetrics({ defaultMetrics: false });
    let waiting = 4;
    const hires: WatchedQueue = {
      name: 'hires',
      getJobCounts: () => Promise.resolve({ waiting, active: 2, failed: 1 }),
    };
    const unwatch = metrics.watchQueues([hires, fixedQueue('invites', { delayed: 1 })]);

    let all = await scrape(metrics);
    const depth = 'docspace_onboarding_queue_jobs';
    for (const queue of ['hires', 'invites']) {
      for (const state of QUEUE_STATES) {
        assert.notEqual(value(all, depth, { queue, state }), undefined, `${queue} ${state}`);
      }
      assert.equal(value(all, 'docspace_onboarding_jobs_completed_total', { queue }), 0);
      assert.equal(value(all, 'docspace_onboarding_jobs_failed_total', { queue }), 0);
    }
    assert.equal(value(all, depth, { queue: 'hires', state: 'waiting' }), 4);
    assert.equal(value(all, depth, { queue: 'hires', state: 'active' }), 2);
    assert.equal(value(all, depth, { queue: 'hires', state: 'delayed' }), 0);
    assert.equal(value(all, depth, { queue: 'invites', state: 'delayed' }), 1);

    waiting = 0;
    all = await scrape(metrics);
    assert.equal(value(all, depth, { queue: 'hires', state: 'waiting' }), 0, 'read per scrape');

    unwatch();
    all = await scrape(metrics);
    assert.equal(all.filter((s) => s.name === depth).length, 0, 'nothing once unwatched');
  });

  it('when two parts of one process watch the same queue, then it is reported once', async () => {
    const metrics = createMetrics({ defaultMetrics: false });
    metrics.watchQueues([fixedQueue('hires', { waiting: 1 })]);
    metrics.watchQueues([fixedQueue('hires', { waiting: 9 })]);
    const all = await scrape(metrics);
    assert.equal(value(all, 'docspace_onboarding_queue_jobs', { state: 'waiting' }), 1);
  });

  it('when Redis fails the job counts, then a scrape still succeeds without them and logs once per streak', async () => {
    const logger = recordingLogger();
    const metrics = createMetrics({ defaultMetrics: false, logger });
    let down = true;
    metrics.watchQueues([
      {
        name: 'hires',
        getJobCounts: () =>
          down
            ? Promise.reject(new Error('Connection is closed.'))
            : Promise.resolve({ waiting: 3 }),
      },
    ]);
    metrics.webhook('hires', 'accepted');

    for (let i = 0; i < 3; i++) {
      const all = await scrape(metrics);
      assert.equal(all.filter((s) => s.name === 'docspace_onboarding_queue_jobs').length, 0);
      assert.equal(value(all, 'docspace_onboarding_webhooks_total', { outcome: 'accepted' }), 1);
    }
    assert.deepEqual(
      logger.lines.map((l) => l.level),
      ['warn'],
      'one warning for three failed scrapes',
    );

    down = false;
    await scrape(metrics);
    const all = await scrape(metrics);
    assert.equal(value(all, 'docspace_onboarding_queue_jobs', { state: 'waiting' }), 3);
    assert.deepEqual(
      logger.lines.map((l) => l.level),
      ['warn', 'info'],
    );

    down = true;
    await scrape(metrics);
    assert.deepEqual(
      logger.lines.map((l) => l.level),
      ['warn', 'info', 'warn'],
      'a new streak is told again',
    );
  });

  it('when Redis does not answer at all, then a scrape ends after the timeout and asks only once meanwhile', async () => {
    const logger = recordingLogger();
    const metrics = createMetrics({ defaultMetrics: false, logger, queueTimeoutMs: 50 });
    let calls = 0;
    metrics.watchQueues([
      {
        name: 'hires',
        getJobCounts: () => {
          calls += 1;
          return new Promise<Record<string, number>>(() => undefined);
        },
      },
    ]);

    const started = performance.now();
    await scrape(metrics);
    const all = await scrape(metrics);
    assert.ok(performance.now() - started < 1_000, 'the scrapes do not hang');
    assert.equal(all.filter((s) => s.name === 'docspace_onboarding_queue_jobs').length, 0);
    assert.equal(calls, 1, 'the second scrape does not pile another command on the first');
    assert.equal(logger.lines.length, 1);
  });

  it('when two instances exist, then each keeps its own registry and the process metrics', async () => {
    const first = createMetrics();
    const second = createMetrics();
    first.webhook('hires', 'accepted');
    const other = await scrape(second);
    assert.equal(
      value(other, 'docspace_onboarding_webhooks_total', { outcome: 'accepted' }),
      undefined,
    );
    assert.notEqual(value(other, 'process_cpu_user_seconds_total'), undefined);
    assert.notEqual(value(other, 'nodejs_heap_size_used_bytes'), undefined);
    assert.equal(value(await scrape(first), 'docspace_onboarding_webhooks_total'), 1);
    assert.match(first.contentType, /^text\/plain; version=0\.0\.4/);
  });
});

describe('countWebhookOutcome', () => {
  /** Runs the counting middleware for one answer and returns the outcome it counted. */
  function countedOutcome(status: number, noted?: 'accepted' | 'duplicate' | 'ignored'): string {
    const counted: string[] = [];
    const middleware = countWebhookOutcome(
      {
        webhook: (route, outcome) => {
          assert.equal(route, 'hires');
          counted.push(outcome);
        },
      },
      'hires',
    );
    const res = Object.assign(new EventEmitter(), { statusCode: status, locals: {} });
    const response = res as unknown as Response;
    let nextCalled = false;
    const next: NextFunction = () => {
      nextCalled = true;
    };
    middleware({} as unknown as Request, response, next);
    assert.ok(nextCalled);
    if (noted !== undefined) setWebhookOutcome(response, noted);
    assert.equal(counted.length, 0, 'nothing is counted before the answer is sent');
    res.emit('finish');
    res.emit('finish');
    assert.equal(counted.length, 1, 'counted once');
    return counted[0] ?? '';
  }

  it('when a delivery is answered 200, then the outcome the handler noted is counted', () => {
    assert.equal(countedOutcome(200, 'accepted'), 'accepted');
    assert.equal(countedOutcome(200, 'duplicate'), 'duplicate');
    assert.equal(countedOutcome(200, 'ignored'), 'ignored');
  });

  it('when a delivery is rejected, then the rejection its status stands for is counted', () => {
    assert.equal(countedOutcome(400), 'bad_request');
    assert.equal(countedOutcome(401), 'unauthorized');
    assert.equal(countedOutcome(404), 'not_configured');
    assert.equal(countedOutcome(413), 'payload_too_large');
    assert.equal(countedOutcome(415), 'unsupported_media_type');
    assert.equal(countedOutcome(503), 'unavailable');
    assert.equal(countedOutcome(500), 'error');
    assert.equal(countedOutcome(422), 'rejected');
  });
});

describe('WORKER_METRICS_PORT', () => {
  const worker = { DOCSPACE_URL: 'https://portal.example.com', DOCSPACE_API_KEY: 'key' };

  it('when unset, then worker-only processes serve /metrics on 9464; 0 turns the server off', () => {
    assert.equal(loadConfig(worker, 'worker').workerMetricsPort, 9464);
    assert.equal(
      loadConfig({ ...worker, WORKER_METRICS_PORT: '0' }, 'worker').workerMetricsPort,
      0,
    );
    assert.equal(
      loadConfig({ ...worker, WORKER_METRICS_PORT: '9100' }, 'worker').workerMetricsPort,
      9100,
    );
  });

  it('when it is not a port, then it is reported with the other settings', () => {
    assert.throws(
      () => loadConfig({ ...worker, WORKER_METRICS_PORT: '70000', INVITE_MODE: 'x' }, 'worker'),
      (err: unknown) =>
        err instanceof ConfigError &&
        err.details.some((d) => d.path === 'WORKER_METRICS_PORT') &&
        err.details.some((d) => d.path === 'INVITE_MODE'),
    );
  });
});
