import { join } from 'node:path';
import { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import { loadConfig } from '../src/config.js';
import { DEMO_API_KEY } from '../docspace-sim/constants.js';
import { createLogger } from '../src/logger.js';
import { createKeys, QUEUES } from '../src/queue/keys.js';
import { startApi, type RunningApi } from '../src/server.js';
import { ROOT, startChild, type RunningChild } from './processes.js';
import { REDIS_URL } from './redis.js';

export type WorkerKind = 'service' | 'seed' | 'naive';

export interface WorkerSettings {
  readonly prefix: string;
  readonly docspaceUrl: string;
  readonly maxRps: number;
  readonly concurrency: number;
  readonly batchSize: number;
}

/**
 * The worker under test in its own process (its RSS and CPU are its own): the service's
 * `workers/main.ts worker` with production defaults, or one of the baselines.
 */
export async function startWorkerProcess(
  kind: WorkerKind,
  settings: WorkerSettings,
): Promise<RunningChild> {
  const env = {
    REDIS_URL,
    QUEUE_PREFIX: settings.prefix,
    DOCSPACE_URL: settings.docspaceUrl,
    DOCSPACE_API_KEY: DEMO_API_KEY,
    DOCSPACE_MAX_RPS: String(settings.maxRps),
    DOCSPACE_CONCURRENCY: String(settings.concurrency),
    INVITE_BATCH_SIZE: String(settings.batchSize),
    LOG_LEVEL: 'info',
    WORKER_METRICS_PORT: '0',
    NODE_ENV: 'production',
  };
  if (kind === 'service') {
    return await startChild(join(ROOT, 'workers/main.ts'), ['worker'], {
      env,
      readyLine: /"message":"workers started"/,
      keepLines: /"level":"error"/,
    });
  }
  return await startChild(join(ROOT, 'bench/baselines/main.ts'), [kind], { env });
}

/** The real API in this process (it only takes the deliveries here; intake is measured apart). */
export async function startBenchApi(prefix: string, secret: string): Promise<RunningApi> {
  const config = loadConfig(
    {
      REDIS_URL,
      QUEUE_PREFIX: prefix,
      WEBHOOK_SECRET: secret,
      PORT: '0',
      // WEBHOOK_RATE_LIMIT_PER_MINUTE unset (off): every delivery comes from this one address.
      LOG_LEVEL: 'error',
    },
    'api',
  );
  return await startApi({
    config,
    logger: createLogger({ level: 'error', service: 'bench-api', silent: true }),
  });
}

/** Jobs of the `hires` queue not finished yet (waiting, active, delayed, …). */
export async function unfinishedJobs(queue: Queue): Promise<number> {
  const counts = await queue.getJobCounts(
    'waiting',
    'active',
    'delayed',
    'prioritized',
    'waiting-children',
  );
  return Object.values(counts).reduce((sum, n) => sum + n, 0);
}

/** Whether the service's invitation buffer and flush queue are empty (true for the baselines). */
export async function invitesSettled(redis: Redis, prefix: string): Promise<boolean> {
  const keys = createKeys(prefix);
  const pending = await redis.zcard(keys.invitePending);
  const invites = new Queue(QUEUES.invites, { connection: redis, prefix });
  try {
    const counts = await invites.getJobCounts('waiting', 'active', 'prioritized');
    return pending === 0 && Object.values(counts).every((n) => n === 0);
  } finally {
    await invites.close();
  }
}
