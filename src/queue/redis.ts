import { readFileSync } from 'node:fs';
import type { ConnectionOptions } from 'node:tls';
import { Cluster, Redis, type ClusterOptions, type RedisOptions } from 'ioredis';
import { ConfigError } from '../errors.js';
import type { RedisNode, RedisSettings } from '../redis-settings.js';

/**
 * A Redis connection as the service uses it: one server (reached directly or through Sentinel) or
 * a Cluster. Both take the same commands, scripts, pipelines and transactions (keys of one slot).
 */
export type RedisConnection = Redis | Cluster;

/**
 * The two kinds of Redis connection the service needs (https://docs.bullmq.io/guide/going-to-production, `maxRetriesPerRequest`):
 * - `producer` (HTTP side, replay command line): fails fast when Redis is away, so a webhook is
 *   answered 503 and the sender delivers it again, instead of waiting in an offline queue while the
 *   sender times out;
 * - `worker`: retries for ever (`maxRetriesPerRequest: null`, which BullMQ requires for workers), so
 *   workers ride out a Redis restart or failover by themselves.
 */
export type RedisRole = 'producer' | 'worker';

const ROLE_OPTIONS: Readonly<Record<RedisRole, RedisOptions>> = {
  producer: { maxRetriesPerRequest: 1, connectTimeout: 2_000, commandTimeout: 2_000 },
  worker: { maxRetriesPerRequest: null },
};

/** Per-connection choices beyond the role. */
export interface ConnectionTuning {
  /**
   * ioredis auto-pipelining: commands issued while a batch is on its way are sent together in
   * the next one (one write and one read for many commands, in the order they were issued). The
   * API's producer connection uses it (docs/performance.md#intake-levers); never a worker's
   * connection (blocking commands, and BullMQ's worker was reported to break with it:
   * taskforcesh/bullmq#457).
   */
  readonly autoPipelining?: boolean;
}

/**
 * Builds the connection `settings` describe, for `role`. A plain URL string is one server.
 * - Sentinel: ioredis asks the sentinels for the master, follows `+switch-master` at once
 *   (`failoverDetector`), and reconnects when a server it is connected to has become a replica
 *   (`READONLY`): the worker sends the command again there, the producer fails it (503).
 * - Cluster: ioredis Cluster; `REDIS_URL`'s user, password and TLS apply to every node.
 * - TLS: `rediss://` in `REDIS_URL`; `REDIS_TLS_CA_FILE` names the CA to trust (else Node's).
 */
export function createRedis(
  target: RedisSettings | string,
  role: RedisRole,
  options: ConnectionTuning = {},
): RedisConnection {
  const settings: RedisSettings = typeof target === 'string' ? { url: target } : target;
  const connectionName = `docspace-onboarding:${role}`;
  const tls = tlsOptions(settings);
  const common: RedisOptions = {
    connectionName,
    ...ROLE_OPTIONS[role],
    ...(options.autoPipelining === true ? { enableAutoPipelining: true } : {}),
    ...(tls === undefined ? {} : { tls }),
  };
  if (settings.clusterNodes !== undefined) {
    const clusterOptions: ClusterOptions = {
      // Only the Cluster's own queue may be turned off: a node's must stay on (nodes connect lazily).
      enableOfflineQueue: role === 'worker',
      ...(options.autoPipelining === true ? { enableAutoPipelining: true } : {}),
      redisOptions: { ...common, ...credentials(settings.url) },
    };
    return new Cluster(settings.clusterNodes.map(toNode), clusterOptions);
  }
  const reconnectOnError = (err: Error): 1 | 2 | false =>
    err.message.startsWith('READONLY') ? (role === 'worker' ? 2 : 1) : false;
  const offline = role === 'producer' ? { enableOfflineQueue: false } : {};
  if (settings.sentinels !== undefined) {
    return new Redis({
      ...common,
      ...offline,
      ...credentials(settings.url),
      sentinels: settings.sentinels.map(toNode),
      name: settings.sentinelMaster ?? 'mymaster',
      ...(settings.sentinelPassword === undefined
        ? {}
        : { sentinelPassword: settings.sentinelPassword }),
      failoverDetector: true,
      reconnectOnError,
      ...(tls === undefined ? {} : { enableTLSForSentinelMode: true, sentinelTLS: tls }),
    });
  }
  return new Redis(settings.url, { ...common, ...offline, reconnectOnError });
}

/** Where the connection goes, for messages: never a password. */
export function describeRedis(settings: RedisSettings): { where: string; setting: string } {
  const list = (nodes: readonly RedisNode[]) => nodes.map((n) => `${n.host}:${n.port}`).join(',');
  if (settings.clusterNodes !== undefined) {
    return {
      where: `Redis Cluster at ${list(settings.clusterNodes)}`,
      setting: 'REDIS_CLUSTER_NODES',
    };
  }
  if (settings.sentinels !== undefined) {
    return {
      where: `Redis master "${settings.sentinelMaster ?? 'mymaster'}" through the sentinels at ${list(settings.sentinels)}`,
      setting: 'REDIS_SENTINELS',
    };
  }
  return { where: `Redis at ${hidePassword(settings.url)}`, setting: 'REDIS_URL' };
}

/** Resolves once `redis` is connected; rejects after `timeoutMs` (fail-fast start for producers). */
export async function waitForRedis(redis: RedisConnection, timeoutMs: number): Promise<void> {
  if (redis.status === 'ready') return;
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => {
      cleanup();
      reject(new Error(`Redis did not answer within ${timeoutMs} ms`));
    }, timeoutMs);
    const onReady = (): void => {
      cleanup();
      resolve();
    };
    const cleanup = (): void => {
      clearTimeout(timer);
      redis.off('ready', onReady);
    };
    redis.on('ready', onReady);
  });
}

/** The user, password and database of a Redis URL (Sentinel and Cluster take them as options). */
function credentials(url: string): Pick<RedisOptions, 'username' | 'password' | 'db'> {
  const parsed = new URL(url);
  const db = Number(parsed.pathname.replace(/^\//, '') || '0');
  return {
    ...(parsed.username === '' ? {} : { username: decodeURIComponent(parsed.username) }),
    ...(parsed.password === '' ? {} : { password: decodeURIComponent(parsed.password) }),
    ...(db === 0 ? {} : { db }),
  };
}

/** TLS options for `rediss://`: the CA of `REDIS_TLS_CA_FILE` when given, else Node's own. */
function tlsOptions(settings: RedisSettings): ConnectionOptions | undefined {
  if (!settings.url.startsWith('rediss:')) return undefined;
  if (settings.tlsCaFile === undefined) return {};
  try {
    return { ca: readFileSync(settings.tlsCaFile) };
  } catch (err: unknown) {
    throw new ConfigError([
      {
        path: 'REDIS_TLS_CA_FILE',
        message: `cannot be read (${err instanceof Error && 'code' in err ? String(err.code) : 'error'}): ${settings.tlsCaFile}`,
      },
    ]);
  }
}

function toNode(node: RedisNode): { host: string; port: number } {
  return { host: node.host, port: node.port };
}

function hidePassword(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password !== '') parsed.password = '***';
    return parsed.toString();
  } catch {
    return '(REDIS_URL)';
  }
}
