import { Queue, Worker, type Job, type Processor } from 'bullmq';
import { USER_TYPES, type Config } from '../src/config.js';
import type { RequestReport } from '../src/docspace/client.js';
import { createDocspaceStack, type DocspaceStack } from '../src/docspace/stack.js';
import type { Logger } from '../src/logger.js';
import type { Metrics } from '../src/metrics.js';
import {
  COMPLETED_RETENTION_SECONDS,
  inviteFlushJobOptions,
  type InviteFlushJobData,
  type ProvisionJobData,
} from '../src/queue/contract.js';
import { createHireStore, type HireStore } from '../src/queue/hire-store.js';
import { createInviteBuffer, type InviteBuffer } from '../src/queue/invite-buffer.js';
import { createKeys, QUEUES, type Keys } from '../src/queue/keys.js';
import { createLocks } from '../src/queue/locks.js';
import { createPersonClaim } from '../src/queue/person-claim.js';
import type { RedisConnection } from '../src/queue/redis.js';
import { DAY_MS, startOldJobSweep } from '../src/queue/retention.js';
import { PROVIDERS } from '../src/providers/registry.js';
import type { Provider } from '../src/providers/types.js';
import { createBackoffStrategy } from './backoff.js';
import { createCircuitHold } from './circuit-hold.js';
import { createFetchers } from './fetchers.js';
import { createLeaverReader } from './leaver-read.js';
import { createInviteFlushProcessor } from './invite-flush.js';
import { createInviteReconciler } from './invite-reconcile.js';
import { createJobWaits } from './job-waits.js';
import { createProvisionProcessor } from './provision.js';
import {
  createCancelOffboardProcessor,
  createOffboardProcessor,
  type JoinerJobs,
  type CancelOffboardJob,
} from './offboard.js';
import { CANCEL_OFFBOARD_JOB, OFFBOARD_JOB } from '../src/queue/leaver-intake.js';
import { createOffboardingStore, type OffboardingStore } from '../src/queue/offboarding-store.js';
import { createGrantsProcessor } from './grants.js';
import { createGrantRequester, type ProvisionRules } from './grants-request.js';
import { createGroupIds } from './group-ids.js';
import { createGrantsStore } from '../src/queue/grants-store.js';
import {
  GRANTS_FULL_JOB,
  GRANTS_TICK_JOB,
  PROVISION_JOB,
  provisionJobOptions,
} from '../src/queue/contract.js';
import type { RulesFile } from '../src/domain/rules.js';
import { loadRulesFile } from '../src/rules/load.js';
import { createRedisSetup, keepRedisSetup } from './redis-setup.js';
import { createIdleFlush, idleFlushDelay, type IdleFlush } from './idle-flush.js';

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
  /** How often old failed and completed jobs are looked for (default hourly; tests shorten it). */
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
  /** The clock of the leavers' and start dates' decisions (tests move it; BullMQ delays do not). */
  readonly now?: () => number;
}

export interface RunningWorkers {
  readonly close: () => Promise<void>;
}

/**
 * Starts the two workers of this process: `provision` jobs on the `hires` queue and invitation
 * flushes on the `invites` queue, sharing one DocSpace request path. Composition only: each part
 * is built by one of the builders below.
 */
export async function startWorkers(deps: StartWorkersDeps): Promise<RunningWorkers> {
  const { config, logger, connection } = deps;
  const tuning: WorkerTuning = {
    ...DEFAULT_TUNING,
    lockDurationMs: config.jobs.lockDurationMs,
    stalledIntervalMs: config.jobs.stalledIntervalMs,
    ...deps.tuning,
  };
  // An unusable rules file stops the worker here, before it takes any job, with every problem.
  const rules = config.rulesFile === undefined ? undefined : await loadRulesFile(config.rulesFile);
  const keys = createKeys(config.queuePrefix);
  const store = createHireStore({ redis: connection, keys });
  const docspace = buildDocspace(deps, keys);
  const queues = buildQueues(deps);
  const buffer = createInviteBuffer({
    redis: connection,
    keys,
    batchSize: config.invite.batchSize,
    flushes: queues.invites,
    flushOptions: queues.flushOptions,
  });
  const offboarding = createOffboardingStore({ redis: connection, keys });
  const idle = buildIdleFlush(deps, queues);
  const processors = buildProcessors(deps, {
    keys,
    store,
    buffer,
    docspace,
    queues,
    offboarding,
    rules,
    idle,
  });
  const stopKeeping = await keepRedisState(deps, { store, buffer, queues, tuning });
  const workers = startJobWorkers(deps, tuning, processors);
  const stopEvents = wireEvents(deps, { workers, queues, docspace });
  const stopSweep = startOldJobSweep({
    queues: [queues.hires, queues.invites],
    maxAgeMs: config.jobs.failedRetentionDays * DAY_MS,
    completedMaxAgeMs: COMPLETED_RETENTION_SECONDS * 1000,
    ...(tuning.failedSweepIntervalMs === undefined
      ? {}
      : { intervalMs: tuning.failedSweepIntervalMs }),
    logger,
  });
  await Promise.all(workers.map((worker) => worker.waitUntilReady()));
  logger.info('workers started', {
    queues: workers.map((w) => w.name),
    inviteMode: config.invite.mode,
    batchSize: config.invite.batchSize,
    maxWaitMs: config.invite.maxWaitMs,
    circuitThreshold: config.docspace.circuit.threshold,
    rules: rules === undefined ? 'none' : `${rules.rules.length} rule(s) from PROVISIONING_RULES`,
  });

  return {
    async close() {
      idle?.stop();
      await stopSweep();
      await stopKeeping();
      await Promise.all(workers.map((worker) => worker.close()));
      stopEvents();
      await Promise.all([queues.hires.close(), queues.invites.close()]);
    },
  };
}

/** The DocSpace request path: client, shared budget and shared circuit. */
function buildDocspace(deps: StartWorkersDeps, keys: Keys): DocspaceStack {
  return createDocspaceStack(deps.config.docspace, {
    connection: deps.connection,
    keys,
    logger: deps.logger,
    metrics: deps.metrics,
    onRequest: deps.onRequest,
  });
}

interface Queues {
  readonly hires: Queue<ProvisionJobData>;
  readonly invites: Queue<InviteFlushJobData>;
  /** Options of every flush job (the tick's and the size trigger's). */
  readonly flushOptions: ReturnType<typeof inviteFlushJobOptions>;
}

/** The two queues this process adds to and holds, with their errors logged. */
function buildQueues({ config, connection, logger }: StartWorkersDeps): Queues {
  const prefix = config.queuePrefix;
  const hires = new Queue<ProvisionJobData>(QUEUES.hires, { connection, prefix });
  const invites = new Queue<InviteFlushJobData>(QUEUES.invites, { connection, prefix });
  for (const queue of [hires, invites])
    queue.on('error', (err) => {
      logger.error('queue error', { queue: queue.name, error: err.message });
    });
  const { attempts, backoffMs, failedRetentionDays } = config.jobs;
  return {
    hires,
    invites,
    flushOptions: inviteFlushJobOptions(attempts, backoffMs, failedRetentionDays),
  };
}

interface Processors {
  readonly provision: Processor<ProvisionJobData>;
  /** None with `INVITE_MODE=none`. */
  readonly flush: Processor<InviteFlushJobData> | undefined;
}

/** The job processors, each with the wait policy of its queue; the circuit holds both queues. */
function buildProcessors(
  deps: StartWorkersDeps,
  parts: {
    keys: Keys;
    store: HireStore;
    buffer: InviteBuffer;
    docspace: DocspaceStack;
    queues: Queues;
    offboarding: OffboardingStore;
    rules: RulesFile | undefined;
    idle: IdleFlush | undefined;
  },
): Processors {
  const { config, logger, metrics } = deps;
  const { keys, store, buffer, docspace, queues, offboarding, idle } = parts;
  const circuit = createCircuitHold(docspace.breaker, [queues.hires, queues.invites]);
  const waitsOf = (queue: Queue) =>
    createJobWaits({ circuit, budget: docspace.budget, queue, logger });
  const userType = USER_TYPES[config.docspace.userType];
  const inviteMode = config.invite.mode;
  const clock = deps.now === undefined ? {} : { now: deps.now };
  // One lease per person, shared by hires and leavers (workers/offboard.ts, OffboardDeps.locks).
  const locks = createLocks(deps.connection);
  const personLease = {
    locks,
    lockKey: keys.hireLock,
    lockTtlMs: Math.max(60_000, 4 * config.docspace.timeoutMs),
  };
  const fetchers = createFetchers(config, deps.providers ?? PROVIDERS);
  // A cancelled termination puts a joiner it withdrew back on their schedule (workers/offboard.ts).
  const joiners: JoinerJobs = {
    hireOf: async (jobId) => (await queues.hires.getJob(jobId))?.data.hire,
    add: async (jobId, data) => {
      const { attempts, backoffMs, failedRetentionDays } = config.jobs;
      await queues.hires.add(PROVISION_JOB, data, {
        ...provisionJobOptions(attempts, backoffMs, failedRetentionDays),
        jobId,
      });
    },
  };
  const offboard = createOffboardProcessor({
    joiners,
    ...clock,
    reader: createLeaverReader(fetchers),
    mode: config.offboarding.mode,
    scope: config.offboarding.scope,
    maxPerHour: config.offboarding.maxPerHour,
    zone: config.hrTimeZone,
    docspace: docspace.client,
    store,
    offboarding,
    ...personLease,
    waits: waitsOf(queues.hires),
    logger,
    ...(metrics ? { metrics } : {}),
  });
  const cancelOffboard = createCancelOffboardProcessor({
    ...clock,
    store,
    offboarding,
    logger,
    ...personLease,
    joiners,
  });
  const grants = buildGrants(deps, parts, waitsOf(queues.invites));
  const flush =
    inviteMode === 'none'
      ? undefined
      : createInviteFlushProcessor({
          buffer,
          store,
          docspace: docspace.client,
          mode: inviteMode,
          batchSize: config.invite.batchSize,
          userType,
          waits: waitsOf(queues.invites),
          logger,
          ...(metrics ? { metrics } : {}),
        });
  const provision = createProvisionProcessor({
    fetchers,
    docspace: docspace.client,
    store,
    ...personLease,
    claim: createPersonClaim({ locks, keys, lockTtlMs: personLease.lockTtlMs }),
    refLockKey: keys.refLock,
    userType,
    inviteMode,
    inviteBuffer:
      idle === undefined
        ? buffer
        : {
            added: () => {
              idle.added();
              return buffer.added();
            },
          },
    waits: waitsOf(queues.hires),
    logger,
    ...(metrics ? { metrics } : {}),
    ...clock,
    ...(grants ? { rules: grants.requester } : {}),
    offboarding,
    zone: config.hrTimeZone,
    ...(config.provisionLeadDays === undefined ? {} : { leadDays: config.provisionLeadDays }),
  });
  return {
    // One queue, three job names: leavers ride the hires queue (its retries, replay, dashboard).
    provision: async (job, token) => {
      if (job.name === OFFBOARD_JOB) return await offboard(job, token);
      if (job.name === CANCEL_OFFBOARD_JOB) {
        return await cancelOffboard(job as unknown as CancelOffboardJob, token);
      }
      idle?.started();
      try {
        return await provision(job, token);
      } finally {
        idle?.finished();
      }
    },
    // Grants flushes share the invites queue (one flush at a time): dispatched by job name.
    flush:
      grants === undefined
        ? flush
        : (job) =>
            job.name === GRANTS_TICK_JOB || job.name === GRANTS_FULL_JOB
              ? grants.processor(job)
              : flush === undefined
                ? Promise.resolve({ calls: 0, invited: 0 })
                : flush(job),
  };
}

/**
 * The flush a worker asks for when its burst of hires is over (workers/idle-flush.ts): with
 * `INVITE_MODE=invite` only, as `resend`'s endpoint allows 5 calls in 15 minutes
 * (docs/docspace.md#how-docspace-behaves) and its batches are kept as large as the tick makes them.
 */
function buildIdleFlush(
  { config, logger }: StartWorkersDeps,
  queues: Queues,
): IdleFlush | undefined {
  if (config.invite.mode !== 'invite') return undefined;
  const tickEveryMs = inviteTickEvery(config.invite.maxWaitMs);
  return createIdleFlush({
    flushes: queues.invites,
    flushOptions: queues.flushOptions,
    idleMs: idleFlushDelay(tickEveryMs),
    minIntervalMs: tickEveryMs,
    onError: (err) => {
      logger.warn('idle invite flush not asked; the tick sends the batch', {
        error: err instanceof Error ? err.message : String(err),
      });
    },
  });
}

/**
 * The invite tick's period: half the allowed wait, so a person created just after a tick is still
 * sent in time at the next one, with room for the call itself.
 */
export function inviteTickEvery(maxWaitMs: number): number {
  return Math.max(50, Math.floor(maxWaitMs / 2));
}

/** Groups and rooms by rule (`PROVISIONING_RULES`): none without a rules file. */
function buildGrants(
  deps: StartWorkersDeps,
  parts: {
    keys: Keys;
    store: HireStore;
    docspace: DocspaceStack;
    queues: Queues;
    rules: RulesFile | undefined;
  },
  waits: ReturnType<typeof createJobWaits>,
): { requester: ProvisionRules; processor: ReturnType<typeof createGrantsProcessor> } | undefined {
  const { config, logger, connection } = deps;
  const { keys, rules, docspace, queues } = parts;
  if (rules === undefined) return undefined;
  const grantsStore = createGrantsStore({ redis: connection, keys });
  const requester = createGrantRequester({
    rules,
    store: grantsStore,
    flushes: queues.invites,
    flushOptions: queues.flushOptions,
    batchSize: config.invite.batchSize,
    maxWaitMs: config.invite.maxWaitMs,
    logger,
  });
  const processor = createGrantsProcessor({
    store: grantsStore,
    hires: parts.store,
    docspace: docspace.client,
    groupIds: createGroupIds({
      docspace: docspace.client,
      store: grantsStore,
      locks: createLocks(connection),
      lockKey: keys.groupLock,
      lockTtlMs: Math.max(30_000, 3 * config.docspace.timeoutMs),
    }),
    batchSize: config.invite.batchSize,
    waits,
    logger,
  });
  return { requester, processor };
}

/**
 * What this worker keeps in Redis (the invite tick, one flush at a time), written now and put back
 * whenever Redis forgets it (docs/design.md, rule 9), with the reconciler of lost invitations. Resolves to
 * the function that stops keeping it.
 */
async function keepRedisState(
  deps: StartWorkersDeps,
  parts: { store: HireStore; buffer: InviteBuffer; queues: Queues; tuning: WorkerTuning },
): Promise<() => Promise<void>> {
  const { config, connection, logger, metrics } = deps;
  const { invites, flushOptions } = parts.queues;
  const inviting = config.invite.mode !== 'none';
  const setup = createRedisSetup({
    invites,
    invite: inviting
      ? {
          tickEveryMs: inviteTickEvery(config.invite.maxWaitMs),
          jobOptions: flushOptions,
        }
      : undefined,
    logger,
    ...(metrics ? { metrics } : {}),
  });
  await setup.ensure();
  return keepRedisSetup({
    connection,
    setup,
    ...(inviting
      ? {
          reconcile: createInviteReconciler({
            store: parts.store,
            buffer: parts.buffer,
            invites,
            maxWaitMs: config.invite.maxWaitMs,
            logger,
            ...(metrics ? { metrics } : {}),
          }),
        }
      : {}),
    intervalMs: parts.tuning.redisCheckMs ?? redisCheckInterval(config.invite.maxWaitMs),
    logger,
  });
}

/**
 * Hire jobs in flight per DocSpace request slot (`DOCSPACE_CONCURRENCY`). A job spends much of its
 * time on Redis steps around its DocSpace call (the lease and record, the first-attempt mark, the
 * `created` transition, BullMQ's moves), during which its slot would sit idle if there were only
 * as many jobs as slots; the request budget (src/docspace/request-budget.ts) still lets no more
 * than `DOCSPACE_CONCURRENCY` requests out at once, and jobs waiting for a slot keep their locks
 * (BullMQ renews them) and use no attempt (docs/performance.md, "Worker levers").
 */
export const HIRE_JOBS_PER_REQUEST_SLOT = 3;

/**
 * A BullMQ worker per processor: provisions {@link HIRE_JOBS_PER_REQUEST_SLOT} times as many jobs
 * at once as DocSpace takes requests, one flush at a time.
 */
function startJobWorkers(
  { config, connection }: StartWorkersDeps,
  tuning: WorkerTuning,
  processors: Processors,
): Worker[] {
  const shared = {
    connection,
    prefix: config.queuePrefix,
    lockDuration: tuning.lockDurationMs,
    stalledInterval: tuning.stalledIntervalMs,
    maxStalledCount: tuning.maxStalledCount,
    // A limiter must be set for queue.rateLimit() (the 429 pause) to take effect; this one also
    // keeps job starts within the DocSpace request budget.
    limiter: { max: config.docspace.maxRps, duration: 1_000 },
    settings: { backoffStrategy: createBackoffStrategy(config.jobs.backoffMs) },
  };
  const provision = new Worker<ProvisionJobData>(QUEUES.hires, processors.provision, {
    ...shared,
    concurrency: config.docspace.concurrency * HIRE_JOBS_PER_REQUEST_SLOT,
  });
  if (processors.flush === undefined) return [provision];
  const flush = new Worker<InviteFlushJobData>(QUEUES.invites, processors.flush, {
    ...shared,
    concurrency: 1,
  });
  return [provision, flush];
}

/**
 * Logs and counts what the workers report: errors, finished jobs, and each job's final failure
 * (a 429 or circuit wait and a delay are no failures); metrics watch the queues and the circuit.
 * Returns the function that stops the watching.
 */
function wireEvents(
  { logger, metrics }: StartWorkersDeps,
  parts: { workers: readonly Worker[]; queues: Queues; docspace: DocspaceStack },
): () => void {
  for (const worker of parts.workers) {
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
  const { breaker } = parts.docspace;
  const unwatchQueues = metrics?.watchQueues([parts.queues.hires, parts.queues.invites]);
  const unwatchCircuit = breaker && metrics?.watchCircuit(() => breaker.read());
  return () => {
    unwatchQueues?.();
    unwatchCircuit?.();
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
