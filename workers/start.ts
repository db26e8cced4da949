import { Queue, Worker, type Job } from 'bullmq';
import { USER_TYPES, type Config } from '../src/config.js';
import type { RequestReport } from '../src/docspace/client.js';
import { createDocspaceStack } from '../src/docspace/stack.js';
import type { Logger } from '../src/logger.js';
import type { Metrics } from '../src/metrics.js';
import {
  FLUSH_FULL_JOB,
  type InviteFlushJobData,
  type ProvisionJobData,
} from '../src/queue/contract.js';
import { createHireStore } from '../src/queue/hire-store.js';
import { createKeys, QUEUES } from '../src/queue/keys.js';
import { createLocks } from '../src/queue/locks.js';
import type { RedisConnection } from '../src/queue/redis.js';
import { DAY_MS, startFailedJobSweep } from '../src/queue/retention.js';
import { PROVIDERS } from '../src/providers/registry.js';
import type { Provider } from '../src/providers/types.js';
import { createBackoffStrategy } from './backoff.js';
import { createCircuitHold } from './circuit-hold.js';
import { createFetchers } from './fetchers.js';
import { createInviteFlushProcessor } from './invite-flush.js';
import { createInviteReconciler } from './invite-reconcile.js';
import { createProvisionProcessor } from './provision.js';
import { createRedisSetup, keepRedisSetup } from './redis-setup.js';

/**
 * Lock and stall settings. A job's lock is renewed every `lockDurationMs / 2` while its worker lives;
 * when a worker is killed, the lock lapses after `lockDurationMs` and the next stall check (every
 * `stalledIntervalMs`, on any worker) puts the job back: a killed job resumes within about
 * `lockDurationMs + stalledIntervalMs`.
 */
export interface WorkerTuning {
  readonly lockDurationMs: number;
  readonly stalledIntervalMs: number;
  readonly maxStalledCount: number;
  /** How often old failed jobs are looked for (default hourly; tests shorten it). */
  readonly failedSweepIntervalMs?: number;
  /** How often Redis is checked for what it may have forgotten (default: see redisCheckInterval). */
  readonly redisCheckMs?: number;
}

export const DEFAULT_TUNING: WorkerTuning = {
  lockDurationMs: 5_000,
  stalledIntervalMs: 1_000,
  maxStalledCount: 5,
};

export interface StartWorkersDeps {
  readonly config: Config;
  readonly logger: Logger;
  /** A worker connection (`maxRetriesPerRequest: null`); BullMQ duplicates it for blocking reads. */
  readonly connection: RedisConnection;
  readonly tuning?: Partial<WorkerTuning>;
  readonly onRequest?: (report: RequestReport) => void;
  /** The HR systems the worker knows (the registry unless a test passes its own). */
  readonly providers?: readonly Provider[];
  /** Counts finished jobs and DocSpace requests, observes invite batches, watches queue depths. */
  readonly metrics?: Metrics;
}

export interface RunningWorkers {
  readonly close: () => Promise<void>;
}

/**
 * Starts the two workers of this process: `provision` jobs on the `hires` queue and invitation
 * flushes on the `invites` queue, sharing one DocSpace request budget.
 */
export async function startWorkers(deps: StartWorkersDeps): Promise<RunningWorkers> {
  const { config, logger, connection } = deps;
  const tuning = {
    ...DEFAULT_TUNING,
    lockDurationMs: config.jobs.lockDurationMs,
    stalledIntervalMs: config.jobs.stalledIntervalMs,
    ...deps.tuning,
  };
  const prefix = config.queuePrefix;
  const keys = createKeys(prefix);
  const store = createHireStore({ redis: connection, keys });
  const { metrics } = deps;
  const { circuit } = config.docspace;
  const {
    client: docspace,
    budget,
    breaker,
  } = createDocspaceStack(config.docspace, {
    connection,
    keys,
    logger,
    metrics,
    onRequest: deps.onRequest,
  });
  const userType = USER_TYPES[config.docspace.userType];
  const backoff = { type: 'docspace', delay: config.jobs.backoffMs };
  const flushOptions = {
    attempts: config.jobs.attempts,
    backoff,
    removeOnComplete: true,
    // Failure reasons may quote DocSpace's texts about people: kept no longer than provision jobs.
    removeOnFail: { count: 10_000, age: config.jobs.failedRetentionDays * 24 * 3600 },
  };

  const hires = new Queue<ProvisionJobData>(QUEUES.hires, { connection, prefix });
  const invites = new Queue<InviteFlushJobData>(QUEUES.invites, { connection, prefix });
  for (const queue of [hires, invites])
    queue.on('error', (err) => {
      logger.error('queue error', { queue: queue.name, error: err.message });
    });
  const unwatchQueues = metrics?.watchQueues([hires, invites]);
  const unwatchCircuit = breaker && metrics?.watchCircuit(() => breaker.read());
  // The circuit is shared: while it is open, both queues wait.
  const circuitHold = createCircuitHold(breaker, [hires, invites]);

  const pauseAll = (queue: Queue) => async (ms: number) => {
    logger.warn('DocSpace rate limit: every worker holds its requests', {
      queue: queue.name,
      pauseMs: ms,
    });
    await budget.pause(ms);
    await queue.rateLimit(ms);
  };

  const inviteMode = config.invite.mode;
  const shared = {
    connection,
    prefix,
    lockDuration: tuning.lockDurationMs,
    stalledInterval: tuning.stalledIntervalMs,
    maxStalledCount: tuning.maxStalledCount,
    // A limiter must be set for queue.rateLimit() (the 429 pause) to take effect; this one also
    // keeps job starts within the DocSpace request budget.
    limiter: { max: config.docspace.maxRps, duration: 1_000 },
    settings: { backoffStrategy: createBackoffStrategy(config.jobs.backoffMs) },
  };

  const provisionWorker = new Worker<ProvisionJobData>(
    QUEUES.hires,
    createProvisionProcessor({
      fetchers: createFetchers(config, deps.providers ?? PROVIDERS),
      docspace,
      store,
      locks: createLocks(connection),
      lockKey: keys.hireLock,
      refLockKey: keys.refLock,
      lockTtlMs: Math.max(60_000, 4 * config.docspace.timeoutMs),
      userType,
      inviteMode,
      afterQueuedForInvite: async () => {
        if ((await connection.zcard(keys.invitePending)) >= config.invite.batchSize) {
          await invites.add(
            FLUSH_FULL_JOB,
            {},
            { ...flushOptions, deduplication: { id: FLUSH_FULL_JOB } },
          );
        }
      },
      rateLimited: pauseAll(hires),
      circuit: circuitHold,
      logger,
      ...(metrics ? { metrics } : {}),
    }),
    { ...shared, concurrency: config.docspace.concurrency },
  );

  // What this worker keeps in Redis (the invite tick, one flush at a time), written now and put
  // back whenever Redis forgets it (DESIGN rule 9), with the reconciler of lost invitations.
  const setup = createRedisSetup({
    invites,
    invite:
      inviteMode === 'none'
        ? undefined
        : {
            tickEveryMs: Math.max(50, Math.floor(config.invite.maxWaitMs / 2)),
            jobOptions: flushOptions,
          },
    logger,
    ...(metrics ? { metrics } : {}),
  });
  await setup.ensure();
  const stopKeeping = keepRedisSetup({
    connection,
    setup,
    ...(inviteMode === 'none'
      ? {}
      : {
          reconcile: createInviteReconciler({
            store,
            invites,
            maxWaitMs: config.invite.maxWaitMs,
            logger,
            ...(metrics ? { metrics } : {}),
          }),
        }),
    intervalMs: tuning.redisCheckMs ?? redisCheckInterval(config.invite.maxWaitMs),
    logger,
  });

  let flushWorker: Worker<InviteFlushJobData> | undefined;
  if (inviteMode !== 'none') {
    flushWorker = new Worker<InviteFlushJobData>(
      QUEUES.invites,
      createInviteFlushProcessor({
        redis: connection,
        keys,
        store,
        docspace,
        mode: inviteMode,
        batchSize: config.invite.batchSize,
        userType,
        rateLimited: pauseAll(invites),
        circuit: circuitHold,
        logger,
        ...(metrics ? { metrics } : {}),
      }),
      { ...shared, concurrency: 1 },
    );
  }

  const stopSweep = startFailedJobSweep({
    queues: [hires, invites],
    maxAgeMs: config.jobs.failedRetentionDays * DAY_MS,
    ...(tuning.failedSweepIntervalMs === undefined
      ? {}
      : { intervalMs: tuning.failedSweepIntervalMs }),
    logger,
  });

  const workers = [provisionWorker, ...(flushWorker ? [flushWorker] : [])];
  for (const worker of workers) {
    worker.on('error', (err) => {
      logger.error('worker error', { queue: worker.name, error: err.message });
    });
    worker.on('completed', () => {
      metrics?.jobFinished(worker.name, 'completed');
    });
    worker.on('failed', (job: Job | undefined, err: Error) => {
      if (job === undefined || err.name === 'RateLimitError' || err.name === 'DelayedError') return;
      const finalAttempt =
        job.attemptsMade >= (job.opts.attempts ?? 1) || err.name === 'UnrecoverableError';
      if (finalAttempt) {
        metrics?.jobFinished(worker.name, 'failed');
        logger.error('job failed', {
          queue: worker.name,
          jobId: job.id,
          hireId: hireIdOf(job),
          outcome: 'failed',
          reason: err.message,
          attemptsMade: job.attemptsMade,
        });
      }
    });
  }
  await Promise.all(workers.map((worker) => worker.waitUntilReady()));
  logger.info('workers started', {
    queues: workers.map((w) => w.name),
    inviteMode,
    batchSize: config.invite.batchSize,
    maxWaitMs: config.invite.maxWaitMs,
    circuitThreshold: circuit.threshold,
  });

  return {
    async close() {
      await stopSweep();
      await stopKeeping();
      await Promise.all(workers.map((worker) => worker.close()));
      unwatchQueues?.();
      unwatchCircuit?.();
      await Promise.all([hires.close(), invites.close()]);
    },
  };
}

/**
 * How often a worker checks Redis for a lost invite tick and lost invitations: the allowed wait,
 * between 1 and 30 seconds (two reads and one index lookup each time).
 */
export function redisCheckInterval(maxWaitMs: number): number {
  return Math.min(30_000, Math.max(1_000, maxWaitMs));
}

function hireIdOf(job: Job): string | undefined {
  const data: unknown = job.data;
  if (typeof data !== 'object' || data === null || !('hire' in data)) return undefined;
  const hire: unknown = data.hire;
  return typeof hire === 'object' &&
    hire !== null &&
    'hireId' in hire &&
    typeof hire.hireId === 'string'
    ? hire.hireId
    : undefined;
}
