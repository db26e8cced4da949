import { STATUS_CODES, type Server } from 'node:http';
import type { Duplex } from 'node:stream';
import { Queue } from 'bullmq';
import { createApp } from './app.js';
import type { Config } from './config.js';
import type { Logger } from './logger.js';
import { createMetrics, type Metrics } from './metrics.js';
import { provisionJobOptions, type ProvisionJobData } from './queue/contract.js';
import { createGrantsStore } from './queue/grants-store.js';
import { createHireStore } from './queue/hire-store.js';
import { createIntake } from './queue/intake.js';
import { createLeaverIntake } from './queue/leaver-intake.js';
import { createOffboardingStore } from './queue/offboarding-store.js';
import { createKeys, QUEUES } from './queue/keys.js';
import { createRedis, waitForRedis, type RedisConnection } from './queue/redis.js';
import { createReplayer } from './queue/replay.js';
import { PROVIDERS } from './providers/registry.js';
import type { Provider } from './providers/types.js';

export interface RunningApi {
  readonly port: number;
  readonly close: () => Promise<void>;
}

/** How long in-flight requests may take to finish once shutdown starts. */
const DRAIN_MS = 10_000;

/**
 * Starts the HTTP side on `config.port` (0 picks a free port). It waits up to 5 s for Redis, then
 * starts anyway: until Redis answers, webhooks get 503 and `/readyz` says so, and the producer
 * connection keeps trying.
 */
export async function startApi(deps: {
  config: Config;
  logger: Logger;
  redis?: RedisConnection;
  /** Shared with the workers when both run in one process (one registry for /metrics). */
  metrics?: Metrics;
  /** The HR systems served (the registry unless a test passes its own). */
  providers?: readonly Provider[];
}): Promise<RunningApi> {
  const { config, logger } = deps;
  // Auto-pipelined: concurrent deliveries share writes and reads to Redis (docs/performance.md#intake-levers).
  const redis = deps.redis ?? createRedis(config.redis, 'producer', { autoPipelining: true });
  const ownsRedis = deps.redis === undefined;
  redis.on('error', (err: Error) => {
    logger.warn('redis (api) unavailable', { error: err.message });
  });
  const keys = createKeys(config.queuePrefix);
  const queue = new Queue<ProvisionJobData>(QUEUES.hires, {
    connection: redis,
    prefix: config.queuePrefix,
    defaultJobOptions: provisionJobOptions(
      config.jobs.attempts,
      config.jobs.backoffMs,
      config.jobs.failedRetentionDays,
    ),
  });
  const invites = new Queue(QUEUES.invites, { connection: redis, prefix: config.queuePrefix });
  for (const q of [queue, invites]) {
    q.on('error', (err) => {
      logger.warn('queue (api) error', { queue: q.name, error: err.message });
    });
  }
  const metrics = deps.metrics ?? createMetrics({ logger });
  const unwatch = metrics.watchQueues([queue, invites]);
  // Wait a little for the first connection, so a fresh start does not answer its first webhooks 503.
  await waitForRedis(redis, 5_000).catch(() => {
    logger.warn('Redis does not answer yet: webhooks get 503 until it does', {
      redis: 'unreachable',
    });
  });
  let stopping = false;
  if (config.webhookSecrets.length === 0) {
    logger.warn('WEBHOOK_SECRET is not set: POST /webhooks/hires answers 503 until it is set');
  }
  const hireStore = createHireStore({ redis, keys });
  const app = createApp({
    logger,
    intake: createIntake({ queue, redis, keys, hireStore }),
    leaverIntake: createLeaverIntake({ queue, redis, keys }),
    webhookSecrets: config.webhookSecrets,
    health: { ping: () => redis.ping(), stopping: () => stopping },
    stopping: () => stopping,
    metrics,
    adminToken: config.adminToken,
    metricsToken: config.metricsToken,
    queues: [queue, invites],
    hireStore,
    offboarding: createOffboardingStore({ redis, keys }),
    grantsStore: createGrantsStore({ redis, keys }),
    providers: deps.providers ?? PROVIDERS,
    providerConfigs: config.providers,
    webhookRateLimitPerMinute: config.webhookRateLimitPerMinute,
    trustProxyHops: config.trustProxyHops,
    replayer: createReplayer({
      queues: { hires: queue, invites },
      logger: logger.child({ via: 'admin-api' }),
    }),
  });
  const server = await listen(app.listen.bind(app), config.port);
  server.on('clientError', answerClientError);
  const address = server.address();
  const port = typeof address === 'object' && address !== null ? address.port : config.port;
  logger.info('api listening', { port });

  return {
    port,
    async close() {
      stopping = true;
      await closeServer(server, DRAIN_MS);
      unwatch();
      await Promise.all([queue.close(), invites.close()]);
      if (ownsRedis) await redis.quit().catch(() => undefined);
    },
  };
}

function listen(
  start: (port: number, callback: () => void) => Server,
  port: number,
): Promise<Server> {
  return new Promise((resolve, reject) => {
    const server = start(port, () => {
      server.off('error', reject);
      resolve(server);
    });
    server.once('error', reject);
  });
}

/** Stops accepting, lets in-flight requests finish, and cuts idle and late connections. */
function closeServer(server: Server, drainMs: number): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      server.closeAllConnections();
    }, drainMs);
    server.close(() => {
      clearTimeout(timer);
      resolve();
    });
    server.closeIdleConnections();
  });
}

/**
 * Node's HTTP parser errors, as the status Node itself would answer (431, 413; else 400), except
 * a request that did not arrive in time: that is trouble on the way, not a wrong delivery, so 503
 * with `Retry-After` rather than Node's 408 (docs/design.md, rule 11; BambooHR never retries a 4xx).
 */
const CLIENT_ERRORS: Readonly<Record<string, [number, string]>> = {
  HPE_HEADER_OVERFLOW: [431, 'the request headers are larger than 16 KiB'],
  HPE_CHUNK_EXTENSIONS_OVERFLOW: [413, 'the chunk extensions are too large'],
  ERR_HTTP_REQUEST_TIMEOUT: [503, 'the request did not arrive in time; deliver again'],
};

/**
 * Requests Node's HTTP parser refuses (a control byte in a header, a body longer than its
 * Content-Length, bad chunking, oversized headers) never reach express; without this they get
 * Node's bare "400 Bad Request". README.md#http: every error body is JSON. Same rule as Node's default
 * handler: nothing is written on a connection that already carried an answer.
 */
function answerClientError(err: NodeJS.ErrnoException, socket: Duplex): void {
  const written = 'bytesWritten' in socket ? Number(socket.bytesWritten) : 0;
  if (err.code === 'ECONNRESET' || !socket.writable || written > 0) {
    socket.destroy();
    return;
  }
  const [status, message] = CLIENT_ERRORS[err.code ?? ''] ?? [400, 'malformed HTTP request'];
  const code =
    status === 413 ? 'ERR_BODY_TOO_LARGE' : status === 503 ? 'ERR_UNAVAILABLE' : 'ERR_PAYLOAD';
  const body = JSON.stringify({ error: { code, message, details: [] } });
  socket.end(
    `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? 'Bad Request'}\r\n` +
      'Content-Type: application/json; charset=utf-8\r\n' +
      (status === 503 ? 'Retry-After: 5\r\n' : '') +
      `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
  );
}
