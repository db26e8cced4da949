import { Queue } from 'bullmq';
import { createDocspaceSim, type DocspaceSim } from '../../../docspace-sim/server.js';
import { DEMO_API_KEY } from '../../../docspace-sim/constants.js';
import { createKeys, emailKey, QUEUES } from '../../../src/queue/keys.js';
import { createRedis, type RedisConnection } from '../../../src/queue/redis.js';
import type { RedisSettings } from '../../../src/redis-settings.js';
import { deletePrefix, REDIS_URL, uniquePrefix, waitFor } from '../../helpers/redis.js';
import { newWebhookSecret, sleep } from './deliveries.js';
import { killAll } from './processes.js';
import { emailOf } from './rules.js';

/** Settings every fault test starts from; each test overrides what it is about. */
export const FAULT_SETTINGS: Readonly<Record<string, string>> = {
  LOG_LEVEL: 'info',
  JOB_ATTEMPTS: '10',
  JOB_BACKOFF_MS: '100',
  INVITE_BATCH_SIZE: '5',
  INVITE_BATCH_MAX_WAIT_MS: '400',
  DOCSPACE_MAX_RPS: '100',
  DOCSPACE_CONCURRENCY: '5',
  DOCSPACE_TIMEOUT_MS: '3000',
  // The per-address webhook limit stays on (its code path is exercised) but out of reach: every
  // delivery here comes from 127.0.0.1, hundreds a minute.
  WEBHOOK_RATE_LIMIT_PER_MINUTE: '1000000',
};

/**
 * What the fault tests share: the simulator in this process (its URL goes to the service processes
 * as DOCSPACE_URL), a fresh QUEUE_PREFIX, a webhook secret, and a Redis connection to look at the
 * queues and records. `close()` kills every process the test started and deletes the prefix.
 */
export interface FaultStack {
  readonly sim: DocspaceSim;
  readonly simUrl: string;
  readonly prefix: string;
  readonly secret: string;
  readonly apiKey: string;
  readonly redisUrl: string;
  readonly redis: RedisConnection;
  readonly hires: Queue;
  readonly invites: Queue;
  /** The environment of a service process: the shared settings, then `overrides`. */
  env(overrides?: Readonly<Record<string, string>>): Record<string, string>;
  /** Seeds a DocSpace account registered an hour ago (a person who had an account long before). */
  addExistingUser(email: string, firstName: string): void;
  /** The state of each email's record (keyed by lower-cased email). */
  records(emails: Iterable<string>): Promise<Map<string, string | undefined>>;
  /** True when no provision job waits or runs and nobody waits for an invitation. */
  idle(): Promise<boolean>;
  /**
   * Waits until every email's record is in the state `want(email)` and the stack is idle, polled
   * gently (the simulator runs in this process); on timeout the error shows the states and queues.
   */
  settled(
    emails: readonly string[],
    want: (email: string) => string,
    timeoutMs: number,
    what: string,
  ): Promise<void>;
  close(): Promise<void>;
}

export async function startFaultStack(
  options: {
    redisUrl?: string;
    /** A Sentinel or Cluster setup (its settings also go into `settings` for the processes). */
    redis?: RedisSettings;
    settings?: Readonly<Record<string, string>>;
    random?: () => number;
    apiKey?: string;
    label?: string;
    /** Default: a fresh one from `label`. */
    prefix?: string;
  } = {},
): Promise<FaultStack> {
  const apiKey = options.apiKey ?? DEMO_API_KEY;
  let clockOffsetMs = 0;
  const sim = createDocspaceSim({
    apiKeys: [apiKey],
    now: () => Date.now() + clockOffsetMs,
    ...(options.random === undefined ? {} : { random: options.random }),
  });
  const { url: simUrl } = await sim.listen(0);
  const prefix = options.prefix ?? uniquePrefix(options.label ?? 'faults');
  const secret = newWebhookSecret();
  const redisUrl = options.redis?.url ?? options.redisUrl ?? REDIS_URL;
  const redis = createRedis(options.redis ?? redisUrl, 'worker');
  redis.on('error', () => undefined);
  const hires = new Queue(QUEUES.hires, { connection: redis, prefix });
  const invites = new Queue(QUEUES.invites, { connection: redis, prefix });
  for (const queue of [hires, invites]) queue.on('error', () => undefined);
  const keys = createKeys(prefix);
  const base: Record<string, string> = {
    ...FAULT_SETTINGS,
    REDIS_URL: redisUrl,
    QUEUE_PREFIX: prefix,
    DOCSPACE_URL: simUrl,
    DOCSPACE_API_KEY: apiKey,
    WEBHOOK_SECRET: secret,
    ...options.settings,
  };

  const stack: FaultStack = {
    sim,
    simUrl,
    prefix,
    secret,
    apiKey,
    redisUrl,
    redis,
    hires,
    invites,
    env: (overrides = {}) => ({ ...base, ...overrides }),
    addExistingUser(email, firstName) {
      clockOffsetMs = -3_600_000;
      try {
        sim.addUser({ email, firstName, lastName: 'Existing' });
      } finally {
        clockOffsetMs = 0;
      }
    },
    async records(emails) {
      const unique = [...new Set([...emails].map(emailOf))];
      const pipeline = redis.pipeline();
      for (const email of unique) pipeline.hget(keys.hire(emailKey(email)), 'state');
      const replies = (await pipeline.exec()) ?? [];
      return new Map(
        unique.map((email, index) => {
          const value = replies[index]?.[1];
          return [email, typeof value === 'string' ? value : undefined];
        }),
      );
    },
    async idle() {
      const counts = await hires.getJobCounts('waiting', 'active', 'delayed', 'prioritized');
      const busy = Object.values(counts).reduce((a, b) => a + b, 0);
      return busy === 0 && (await redis.zcard(keys.invitePending)) === 0;
    },
    async settled(emails, want, timeoutMs, what) {
      const records = () => stack.records(emails);
      await waitFor(
        async () => {
          await sleep(250);
          return [...(await records())].every(([email, state]) => state === want(email)) &&
            (await stack.idle())
            ? true
            : undefined;
        },
        timeoutMs,
        what,
      ).catch(async (err: unknown) => {
        const states: Record<string, number> = {};
        for (const state of (await records()).values()) {
          states[String(state)] = (states[String(state)] ?? 0) + 1;
        }
        const failed = (await invites.getFailed()).map((job) => job.failedReason);
        throw new Error(
          `${String(err)}; records ${JSON.stringify(states)}; hires ${JSON.stringify(await hires.getJobCounts())}; ` +
            `invites ${JSON.stringify(await invites.getJobCounts())}; failed invite batches: ${failed.join(' | ')}`,
        );
      });
    },
    async close() {
      await killAll();
      await hires.close();
      await invites.close();
      redis.disconnect();
      await sim.close();
      if (options.redisUrl === undefined && options.redis === undefined) await deletePrefix(prefix);
    },
  };
  return stack;
}
