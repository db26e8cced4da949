import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { RequestReport } from './docspace/client.js';
import type { Logger } from './logger.js';
import type { CircuitState } from './docspace/circuit.js';
import { withTimeout } from './timeout.js';

/** What a webhook delivery came to: stored, already stored, not ours, or rejected (by HTTP status). */
export const WEBHOOK_OUTCOMES = [
  'accepted',
  'duplicate',
  'ignored',
  'bad_request',
  'unauthorized',
  'not_configured',
  'payload_too_large',
  'unsupported_media_type',
  'rate_limited',
  'unavailable',
  'rejected',
  'error',
] as const;
export type WebhookOutcome = (typeof WEBHOOK_OUTCOMES)[number];

export type JobResult = 'completed' | 'failed';

/** The job states reported per queue (BullMQ's default set for `getJobCounts`). */
export const QUEUE_STATES = [
  'waiting',
  'active',
  'delayed',
  'prioritized',
  'waiting-children',
  'completed',
  'failed',
] as const;
export type QueueState = (typeof QUEUE_STATES)[number];

/** The part of a BullMQ `Queue` the depth gauge reads (bullmq stays out of src/ outside queue/). */
export interface WatchedQueue {
  readonly name: string;
  getJobCounts(...states: QueueState[]): Promise<Record<string, number>>;
}

/** The service's Prometheus metrics; each instance owns its registry (tests create many). */
export interface Metrics {
  readonly registry: Registry;
  /** The `Content-Type` of {@link Metrics.text}: Prometheus text format 0.0.4. */
  readonly contentType: string;
  /** The exposition text; reads the queue depths from Redis first (bounded by a timeout). */
  text(): Promise<string>;
  webhook(route: string, outcome: WebhookOutcome): void;
  /** A job's final outcome: count `failed` once, on the attempt that gives up, never per retry. */
  jobFinished(queue: string, result: JobResult): void;
  /** One DocSpace request; `status: undefined` (no answer) is labelled `none`. */
  docspaceRequest(report: RequestReport): void;
  /** The number of people named in one successful invite call. */
  inviteBatch(size: number): void;
  /** Reports these queues' job counts at each scrape; returns a function that stops it. */
  watchQueues(queues: readonly WatchedQueue[]): () => void;
  /** This process opened the shared DocSpace circuit breaker (or reopened it after a probe). */
  circuitOpened(): void;
  /** Reports the breaker's state (read from Redis) at each scrape; returns how to stop it. */
  watchCircuit(read: () => Promise<{ readonly state: CircuitState }>): () => void;
  /** People owed an invitation whom the reconciler found lost and put back in the buffer. */
  invitesRequeued(count: number): void;
  /** Something a worker sets up in Redis (the invite tick, …) was gone and was put back. */
  redisSetupRestored(what: string): void;
  /** DocSpace made a User where an admin type was asked (paid seats used up). */
  userDowngraded(requested: string): void;
  /** A leaver's disable waits `held`: more than OFFBOARDING_MAX_PER_HOUR in a rolling hour. */
  offboardingHeld(): void;
  /** A leaver's account was disabled (`outcome` offboarded) or left alone (skipped, refused). */
  offboardingFinished(outcome: string): void;
}

/** `docspace_onboarding_circuit_state`'s values. */
export const CIRCUIT_STATE_VALUES: Readonly<Record<CircuitState, number>> = {
  closed: 0,
  open: 1,
  'half-open': 2,
};

export interface MetricsOptions {
  /** Told once when queue depths cannot be read, and once when they can again. */
  readonly logger?: Pick<Logger, 'info' | 'warn'>;
  /** Longest a scrape waits for Redis' job counts (default 1 s). */
  readonly queueTimeoutMs?: number;
  /** Node.js process metrics (`process_*`, `nodejs_*`); default true. */
  readonly defaultMetrics?: boolean;
}

const PREFIX = 'docspace_onboarding_';

/** HTTP calls to a cloud API: a few ms on a good day, up to the request timeout (15 s) on a bad one. */
export const DOCSPACE_SECONDS_BUCKETS = [
  0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 15, 30,
] as const;
/** People per invite call: 1 to `INVITE_BATCH_SIZE` (at most 1000). */
export const INVITE_BATCH_BUCKETS = [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000] as const;

/**
 * Creates the metrics of one process with a registry of its own, never prom-client's global one:
 * tests build many apps in one process, and a global registry would refuse the second set of names.
 * Queue depths are read at scrape time rather than polled, so an idle process costs Redis nothing.
 */
export function createMetrics(options: MetricsOptions = {}): Metrics {
  const registry = new Registry();
  if (options.defaultMetrics ?? true) collectDefaultMetrics({ register: registry });
  const registers = [registry];

  const webhooks = new Counter({
    name: `${PREFIX}webhooks_total`,
    help: 'Webhook deliveries by route and outcome (accepted, duplicate, ignored, or the rejection)',
    labelNames: ['route', 'outcome'] as const,
    registers,
  });
  const completed = new Counter({
    name: `${PREFIX}jobs_completed_total`,
    help: 'Jobs this process completed, by queue',
    labelNames: ['queue'] as const,
    registers,
  });
  const failed = new Counter({
    name: `${PREFIX}jobs_failed_total`,
    help: 'Jobs this process failed for good (attempts used up or a lasting error), by queue',
    labelNames: ['queue'] as const,
    registers,
  });
  const requests = new Counter({
    name: `${PREFIX}docspace_requests_total`,
    help: 'Requests to DocSpace by endpoint and HTTP status ("none": no answer)',
    labelNames: ['endpoint', 'status'] as const,
    registers,
  });
  const requestSeconds = new Histogram({
    name: `${PREFIX}docspace_request_duration_seconds`,
    help: 'Duration of DocSpace requests by endpoint and HTTP status, in seconds',
    labelNames: ['endpoint', 'status'] as const,
    buckets: [...DOCSPACE_SECONDS_BUCKETS],
    registers,
  });
  const batchSizes = new Histogram({
    name: `${PREFIX}invite_batch_size`,
    help: 'People named in each successful invite call',
    buckets: [...INVITE_BATCH_BUCKETS],
    registers,
  });

  const openings = new Counter({
    name: `${PREFIX}circuit_openings_total`,
    help: 'Times this process opened the shared DocSpace circuit breaker (reopenings after a failed probe included)',
    registers,
  });
  const requeued = new Counter({
    name: `${PREFIX}invites_requeued_total`,
    help: 'People owed an invitation who were in no buffer and no flush job, put back by the reconciler (Redis forgot)',
    registers,
  });
  const restored = new Counter({
    name: `${PREFIX}redis_setup_restored_total`,
    help: 'Times a worker found something it sets up in Redis gone (Redis forgot) and put it back, by what',
    labelNames: ['what'] as const,
    registers,
  });
  const downgraded = new Counter({
    name: `${PREFIX}users_downgraded_total`,
    help: 'Users DocSpace created as User although an admin type was asked (no free paid seats), by the type asked',
    labelNames: ['requested'] as const,
    registers,
  });
  const held = new Counter({
    name: `${PREFIX}offboardings_held_total`,
    help: 'Disables held for an admin: more than OFFBOARDING_MAX_PER_HOUR in a rolling hour (release them on /admin/people)',
    registers,
  });
  const offboardings = new Counter({
    name: `${PREFIX}offboardings_total`,
    help: 'Leavers handled, by outcome (offboarded, skipped, refused)',
    labelNames: ['outcome'] as const,
    registers,
  });
  let readCircuit: (() => Promise<{ readonly state: CircuitState }>) | undefined;
  // Registered by watchCircuit only: a process without workers (the API alone) cannot know the
  // state, and a 0 from it would read as "closed".
  const circuitStateName = `${PREFIX}circuit_state`;
  const circuitState = new Gauge({
    name: circuitStateName,
    help: 'The shared DocSpace circuit breaker, read from Redis at scrape time: 0 closed, 1 open, 2 half-open',
    registers: [],
    async collect() {
      if (readCircuit === undefined) return;
      try {
        const { state } = await withTimeout(readCircuit(), options.queueTimeoutMs ?? 1_000);
        this.set(CIRCUIT_STATE_VALUES[state]);
      } catch {
        // Redis away: the last value read stays (the queue depths report the outage).
      }
    },
  });

  const depth = createDepthReader(options);
  new Gauge({
    name: `${PREFIX}queue_jobs`,
    help: 'Jobs in each queue by state, read from Redis at scrape time',
    labelNames: ['queue', 'state'] as const,
    registers,
    async collect() {
      this.reset();
      for (const { queue, state, count } of await depth.read()) this.set({ queue, state }, count);
    },
  });

  return {
    registry,
    contentType: registry.contentType,
    text: () => registry.metrics(),
    webhook(route, outcome) {
      webhooks.inc({ route, outcome });
    },
    jobFinished(queue, result) {
      (result === 'completed' ? completed : failed).inc({ queue });
    },
    docspaceRequest(report) {
      const labels = { endpoint: report.endpoint, status: String(report.status ?? 'none') };
      requests.inc(labels);
      requestSeconds.observe(labels, Math.max(0, report.durationMs) / 1000);
    },
    inviteBatch(size) {
      batchSizes.observe(size);
    },
    watchQueues(queues) {
      // Zero, not absent, before the first job: rate() and alerts need the series to exist.
      for (const { name } of queues) {
        completed.inc({ queue: name }, 0);
        failed.inc({ queue: name }, 0);
      }
      return depth.watch(queues);
    },
    circuitOpened() {
      openings.inc();
    },
    invitesRequeued(count) {
      requeued.inc(count);
    },
    redisSetupRestored(what) {
      restored.inc({ what });
    },
    userDowngraded(requested) {
      downgraded.inc({ requested });
    },
    offboardingHeld() {
      held.inc();
    },
    offboardingFinished(outcome) {
      offboardings.inc({ outcome });
    },
    watchCircuit(read) {
      readCircuit = read;
      if (registry.getSingleMetric(circuitStateName) === undefined) {
        registry.registerMetric(circuitState);
      }
      return () => {
        if (readCircuit !== read) return;
        readCircuit = undefined;
        registry.removeSingleMetric(circuitStateName);
      };
    },
  };
}

interface DepthSample {
  readonly queue: string;
  readonly state: QueueState;
  readonly count: number;
}

/**
 * Reads the job counts of the watched queues. A scrape while Redis is away must neither throw nor
 * hang (a worker connection queues commands until Redis returns), so the read is bounded by a
 * timeout and reports nothing then; at most one read is outstanding, so a long outage does not pile
 * up commands; and the failure is logged once per streak, not once per scrape.
 */
function createDepthReader(options: MetricsOptions) {
  const timeoutMs = options.queueTimeoutMs ?? 1_000;
  const watched = new Map<string, WatchedQueue>();
  let pending: Promise<DepthSample[]> | undefined;
  let failing = false;

  const fetchAll = async (queues: readonly WatchedQueue[]): Promise<DepthSample[]> => {
    const perQueue = await Promise.all(
      queues.map(async (queue) => {
        const counts = await queue.getJobCounts(...QUEUE_STATES);
        return QUEUE_STATES.map((state) => ({
          queue: queue.name,
          state,
          count: counts[state] ?? 0,
        }));
      }),
    );
    return perQueue.flat();
  };

  return {
    watch(queues: readonly WatchedQueue[]): () => void {
      // One entry per queue name: in one process the API and the workers may both watch `hires`.
      const added = queues.filter((queue) => !watched.has(queue.name));
      for (const queue of added) watched.set(queue.name, queue);
      return () => {
        for (const queue of added) {
          if (watched.get(queue.name) === queue) watched.delete(queue.name);
        }
      };
    },
    async read(): Promise<DepthSample[]> {
      if (watched.size === 0) return [];
      let reason: string;
      if (pending === undefined) {
        const attempt = fetchAll([...watched.values()]);
        pending = attempt;
        const clear = () => {
          if (pending === attempt) pending = undefined;
        };
        attempt.then(clear, clear);
        try {
          const samples = await withTimeout(attempt, timeoutMs);
          if (failing) options.logger?.info('queue depths readable again', { metrics: 'ok' });
          failing = false;
          return samples;
        } catch (err: unknown) {
          reason = err instanceof Error ? err.message : String(err);
        }
      } else {
        reason = 'the previous read still waits for Redis';
      }
      if (!failing) {
        options.logger?.warn(
          'queue depths unavailable: /metrics leaves them out until Redis answers',
          {
            metrics: 'queue_jobs',
            error: reason,
          },
        );
      }
      failing = true;
      return [];
    },
  };
}
