import { z } from 'zod';
import { url } from './settings.js';

/** One `host:port` of a Sentinel or Cluster node. */
export interface RedisNode {
  readonly host: string;
  readonly port: number;
}

/**
 * How the service reaches Redis (docs/configuration.md#redis): one server at `url`, a master found through
 * Sentinel, or a Cluster. In the last two, `url` only carries the user, password and TLS
 * (`rediss://`) of the data nodes; its host and port are not used.
 */
export interface RedisSettings {
  readonly url: string;
  readonly sentinels?: readonly RedisNode[];
  /** The master's name in Sentinel (`REDIS_SENTINEL_MASTER`, default `mymaster`). */
  readonly sentinelMaster?: string;
  /** Password of the sentinels themselves (not of the master). */
  readonly sentinelPassword?: string;
  readonly clusterNodes?: readonly RedisNode[];
  /** PEM file of the CA that signed the Redis servers' certificates (`rediss://` only). */
  readonly tlsCaFile?: string;
}

/**
 * A prefix whose keys all hash to one Cluster slot: it starts with a non-empty hash tag, so Redis
 * Cluster hashes only what is between the first braces (https://redis.io/docs/latest/operate/oss_and_stack/reference/cluster-spec/#hash-tags).
 */
export const HASH_TAGGED = /^\{[^{}]+\}/;

const NODE = /^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9._-]+):(\d{1,5})$/;

/** `host:port,host:port` (IPv6 as `[::1]:26379`); each bad item is its own problem. */
function nodeList(examplePort: number) {
  return z
    .string()
    .transform((raw, ctx) => {
      const nodes: RedisNode[] = [];
      for (const item of raw.split(',').map((part) => part.trim())) {
        const match = NODE.exec(item);
        const port = Number(match?.[2]);
        if (match?.[1] === undefined || port < 1 || port > 65535) {
          ctx.issues.push({
            code: 'custom',
            input: raw,
            message: `"${item}" is not host:port (e.g. redis-0.redis:${examplePort})`,
          });
          continue;
        }
        nodes.push({ host: match[1].replace(/^\[|\]$/g, ''), port });
      }
      return nodes;
    })
    .optional();
}

/** The Redis settings, one schema each (part of `loadConfig`'s schema). */
export const REDIS_SETTINGS = {
  REDIS_URL: url(['redis:', 'rediss:']).default('redis://127.0.0.1:6379'),
  REDIS_SENTINELS: nodeList(26379),
  REDIS_SENTINEL_MASTER: z.string().default('mymaster'),
  REDIS_SENTINEL_PASSWORD: z.string().optional(),
  REDIS_CLUSTER_NODES: nodeList(6379),
  REDIS_TLS_CA_FILE: z.string().optional(),
};

type RedisValues = z.output<z.ZodObject<typeof REDIS_SETTINGS>>;

/**
 * The rules between the Redis settings (and `QUEUE_PREFIX`), added to `ctx` as problems. Called
 * even when some setting is wrong on its own, so the values are checked for their type first.
 */
export function checkRedisSettings(
  value: Partial<Record<keyof RedisValues | 'QUEUE_PREFIX', unknown>>,
  ctx: z.RefinementCtx,
): void {
  const problem = (path: string, message: string) => {
    ctx.addIssue({ code: 'custom', path: [path], message, input: undefined });
  };
  const redisUrl = typeof value.REDIS_URL === 'string' ? value.REDIS_URL : '';
  const cluster = value.REDIS_CLUSTER_NODES !== undefined;
  if (value.REDIS_SENTINELS !== undefined && cluster) {
    problem(
      'REDIS_CLUSTER_NODES',
      'cannot be used together with REDIS_SENTINELS: set the one your Redis runs',
    );
  }
  const prefix = typeof value.QUEUE_PREFIX === 'string' ? value.QUEUE_PREFIX : '';
  if (cluster && !HASH_TAGGED.test(prefix)) {
    problem(
      'QUEUE_PREFIX',
      `must start with a hash tag in braces on Redis Cluster, e.g. {${prefix.replace(/[{}]/g, '')}}: ` +
        'BullMQ scripts and our own transactions touch several keys at once, which Redis Cluster ' +
        'allows only within one hash slot, and braces make every key hash on the prefix alone',
    );
  }
  if (cluster && databaseOf(redisUrl) !== 0) {
    problem('REDIS_URL', 'names a database other than 0, and Redis Cluster has only database 0');
  }
  if (value.REDIS_TLS_CA_FILE !== undefined && !redisUrl.startsWith('rediss:')) {
    problem(
      'REDIS_TLS_CA_FILE',
      'is set but REDIS_URL is not rediss://: use rediss:// to connect with TLS',
    );
  }
}

/** How to connect, from the checked settings. */
export function redisSettingsOf(value: RedisValues): RedisSettings {
  const sentinels = value.REDIS_SENTINELS;
  return {
    url: value.REDIS_URL,
    ...(sentinels === undefined
      ? {}
      : {
          sentinels,
          sentinelMaster: value.REDIS_SENTINEL_MASTER,
          ...(value.REDIS_SENTINEL_PASSWORD === undefined
            ? {}
            : { sentinelPassword: value.REDIS_SENTINEL_PASSWORD }),
        }),
    ...(value.REDIS_CLUSTER_NODES === undefined ? {} : { clusterNodes: value.REDIS_CLUSTER_NODES }),
    ...(value.REDIS_TLS_CA_FILE === undefined ? {} : { tlsCaFile: value.REDIS_TLS_CA_FILE }),
  };
}

function databaseOf(redisUrl: string): number {
  try {
    const path = new URL(redisUrl).pathname.replace(/^\//, '');
    return path === '' ? 0 : Number(path);
  } catch {
    return 0;
  }
}
