import { randomBytes } from 'node:crypto';
import { Writable } from 'node:stream';
import { Queue } from 'bullmq';
import { loadConfig, type Config } from '../../src/config.js';
import { ConfigError, type ErrorDetail } from '../../src/errors.js';
import { readProviderSettings } from '../../src/providers/settings.js';
import type { Provider } from '../../src/providers/types.js';
import { DEMO_API_KEY } from '../../docspace-sim/constants.js';
import {
  createDocspaceSim,
  type DocspaceSim,
  type SimLang,
  type SimLogger,
} from '../../docspace-sim/server.js';
import { signStandardWebhook } from '../../src/domain/signature.js';
import { createLogger, type Logger } from '../../src/logger.js';
import { createMetrics, type Metrics } from '../../src/metrics.js';
import { createHireStore, type HireStore } from '../../src/queue/hire-store.js';
import { createKeys, QUEUES } from '../../src/queue/keys.js';
import { createRedis, type RedisConnection } from '../../src/queue/redis.js';
import { startApi, type RunningApi } from '../../src/server.js';
import { startWorkers, type RunningWorkers, type WorkerTuning } from '../../workers/start.js';
import { deletePrefix, REDIS_URL, uniquePrefix, waitFor } from './redis.js';

/** Settings tests use unless they say otherwise: fast retries, short waits. */
export const TEST_SETTINGS: Record<string, string> = {
  JOB_ATTEMPTS: '5',
  JOB_BACKOFF_MS: '50',
  INVITE_BATCH_SIZE: '50',
  INVITE_BATCH_MAX_WAIT_MS: '400',
  DOCSPACE_MAX_RPS: '200',
  DOCSPACE_CONCURRENCY: '10',
  DOCSPACE_TIMEOUT_MS: '2000',
  LOG_LEVEL: 'info',
};

export const FAST_TUNING: WorkerTuning = {
  lockDurationMs: 1_000,
  stalledIntervalMs: 300,
  maxStalledCount: 5,
};

export interface Stack {
  readonly config: Config;
  readonly sim: DocspaceSim;
  readonly simUrl: string;
  readonly apiUrl: string;
  readonly secret: string;
  readonly prefix: string;
  readonly store: HireStore;
  readonly redis: RedisConnection;
  readonly hires: Queue;
  readonly invites: Queue;
  readonly logger: Logger;
  /** The metrics of the API and the workers (one registry, as in `npm start`). */
  readonly metrics: Metrics;
  /** The JSON lines logged so far. */
  readonly logLines: readonly string[];
  /** Posts a signed generic delivery; `data` is one hire or an array. */
  post(data: unknown, options?: { id?: string; type?: string; at?: Date }): Promise<Response>;
  /** Waits until every email's record is in one of `states`. */
  settled(emails: readonly string[], states?: readonly string[], timeoutMs?: number): Promise<void>;
  startWorkers(tuning?: Partial<WorkerTuning>): Promise<RunningWorkers>;
  stopWorkers(): Promise<void>;
  close(): Promise<void>;
}

let counter = 0;

/**
 * The service as a test sees it: the simulator on a real port, the API on port 0, the workers
 * in-process, all on a fresh QUEUE_PREFIX that `close()` deletes.
 */
export async function startStack(
  settings: Record<string, string> = {},
  options: {
    workers?: boolean;
    tuning?: Partial<WorkerTuning>;
    legacy?: boolean;
    /** HR systems to serve instead of the registry's (their settings are read from `settings`). */
    providers?: readonly Provider[];
    /** The simulated portal's language (its error texts); default English. */
    lang?: SimLang;
    /** Paid seats of the simulated plan; default no limit. */
    paidSeats?: number;
    /** The workers' clock for effective dates (rules 12 and 14); default the real one. */
    now?: () => number;
    /** Hears the simulator's line for each call it answers (`docspace-sim call`, with `seq`). */
    simLogger?: SimLogger;
  } = {},
): Promise<Stack> {
  const sim = createDocspaceSim({
    apiKeys: [DEMO_API_KEY],
    legacy: options.legacy ?? false,
    ...(options.lang === undefined ? {} : { lang: options.lang }),
    ...(options.paidSeats === undefined ? {} : { paidSeats: options.paidSeats }),
    ...(options.simLogger === undefined ? {} : { logger: options.simLogger }),
  });
  const { url: simUrl } = await sim.listen(0);
  const prefix = uniquePrefix();
  const secret = `whsec_${randomBytes(24).toString('base64')}`;
  const env: Record<string, string> = {
    ...TEST_SETTINGS,
    REDIS_URL,
    QUEUE_PREFIX: prefix,
    DOCSPACE_URL: simUrl,
    DOCSPACE_API_KEY: DEMO_API_KEY,
    WEBHOOK_SECRET: secret,
    PORT: '0',
    ...settings,
  };
  let config: Config;
  try {
    const loaded = loadConfig(env, 'all');
    const problems: ErrorDetail[] = [];
    config =
      options.providers === undefined
        ? loaded
        : { ...loaded, providers: readProviderSettings(env, options.providers, true, problems) };
    if (problems.length > 0) throw new ConfigError(problems);
  } catch (err: unknown) {
    // A test with bad settings fails; it must not hang on the simulator's open server.
    await sim.close();
    throw err;
  }
  // Every line the service logs is kept (tests check that no secret ever reaches a log).
  const logLines: string[] = [];
  const logStream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      logLines.push(
        ...chunk
          .toString()
          .split('\n')
          .filter((line) => line !== ''),
      );
      if (process.env['TEST_LOGS'] !== undefined) process.stderr.write(chunk);
      done();
    },
  });
  const logger = createLogger({ level: config.logLevel, service: 'test', stream: logStream });
  const redis = createRedis(REDIS_URL, 'worker');
  const keys = createKeys(prefix);
  const store = createHireStore({ redis, keys });
  const hires = new Queue(QUEUES.hires, { connection: redis, prefix });
  const invites = new Queue(QUEUES.invites, { connection: redis, prefix });
  const providers = options.providers === undefined ? {} : { providers: options.providers };
  const metrics = createMetrics({ defaultMetrics: false });
  const api: RunningApi = await startApi({ config, logger, metrics, ...providers });
  const apiUrl = `http://127.0.0.1:${api.port}`;
  let workers: RunningWorkers | undefined;

  const stack: Stack = {
    config,
    sim,
    simUrl,
    apiUrl,
    secret,
    prefix,
    store,
    redis,
    hires,
    invites,
    logger,
    metrics,
    logLines,
    async post(data, opts = {}) {
      const body = JSON.stringify({
        type: opts.type ?? 'employee.hired',
        timestamp: new Date().toISOString(),
        data,
      });
      const id = opts.id ?? `msg_${Date.now()}_${++counter}`;
      return await fetch(`${apiUrl}/webhooks/hires`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          ...signStandardWebhook(secret, id, body, opts.at),
        },
        body,
      });
    },
    async settled(emails, states = ['invited', 'existed', 'failed'], timeoutMs = 15_000) {
      await waitFor(
        async () => {
          const records = await Promise.all(emails.map((e) => store.get(store.keyOf(e))));
          return records.every((r) => r !== undefined && states.includes(r.state))
            ? true
            : undefined;
        },
        timeoutMs,
        `${emails.length} hires to reach ${states.join('/')}`,
      );
    },
    async startWorkers(tuning) {
      workers = await startWorkers({
        config,
        logger,
        metrics,
        ...providers,
        connection: redis,
        ...(options.now === undefined ? {} : { now: options.now }),
        tuning: { ...FAST_TUNING, ...options.tuning, ...tuning },
      });
      return workers;
    },
    async stopWorkers() {
      await workers?.close();
      workers = undefined;
    },
    async close() {
      await api.close();
      await workers?.close();
      await hires.close();
      await invites.close();
      await deletePrefix(prefix);
      redis.disconnect();
      await sim.close();
    },
  };
  if (options.workers ?? true) await stack.startWorkers();
  return stack;
}

/** The simulator's successful calls to `path` (POST /people or the invite endpoints). */
export function okCalls(sim: DocspaceSim, method: string, path: string) {
  return sim
    .state()
    .calls.filter((c) => c.method === method && c.path === path && c.outcome === 'ok');
}

/** How many successful invite calls named each email (POST /people/invite) or user id (PUT). */
export function inviteCounts(sim: DocspaceSim): Map<string, number> {
  const counts = new Map<string, number>();
  const state = sim.state();
  const emailOf = new Map(state.users.map((u) => [u.id, u.email.toLowerCase()]));
  for (const call of state.calls) {
    if (call.path !== '/api/2.0/people/invite' || call.outcome !== 'ok') continue;
    const named =
      call.emails?.map((e) => e.toLowerCase()) ??
      call.userIds?.map((id) => emailOf.get(id) ?? id) ??
      [];
    for (const email of named) counts.set(email, (counts.get(email) ?? 0) + 1);
  }
  return counts;
}
