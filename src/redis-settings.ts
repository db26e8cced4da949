import type { ErrorDetail } from './errors.js';

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

/** The settings as read from the environment, before they are checked. */
export interface RawRedisSettings {
  readonly url: string;
  readonly sentinels: string | undefined;
  readonly sentinelMaster: string | undefined;
  readonly sentinelPassword: string | undefined;
  readonly clusterNodes: string | undefined;
  readonly tlsCaFile: string | undefined;
  readonly queuePrefix: string;
}

/**
 * A prefix whose keys all hash to one Cluster slot: it starts with a non-empty hash tag, so Redis
 * Cluster hashes only what is between the first braces (https://redis.io/docs/latest/operate/oss_and_stack/reference/cluster-spec/#hash-tags).
 */
export const HASH_TAGGED = /^\{[^{}]+\}/;

/**
 * Checks the Redis topology settings; every problem goes to `problems`. Pure: loadConfig passes
 * what it read from the environment.
 */
export function parseRedisSettings(raw: RawRedisSettings, problems: ErrorDetail[]): RedisSettings {
  const sentinels = nodeList('REDIS_SENTINELS', raw.sentinels, problems);
  const clusterNodes = nodeList('REDIS_CLUSTER_NODES', raw.clusterNodes, problems);
  if (sentinels !== undefined && clusterNodes !== undefined) {
    problems.push({
      path: 'REDIS_CLUSTER_NODES',
      message: 'cannot be used together with REDIS_SENTINELS: set the one your Redis runs',
    });
  }
  if (clusterNodes !== undefined) {
    if (!HASH_TAGGED.test(raw.queuePrefix)) {
      problems.push({
        path: 'QUEUE_PREFIX',
        message:
          `must start with a hash tag in braces on Redis Cluster, e.g. {${raw.queuePrefix.replace(/[{}]/g, '')}}: ` +
          'BullMQ scripts and our own transactions touch several keys at once, which Redis Cluster ' +
          'allows only within one hash slot, and braces make every key hash on the prefix alone',
      });
    }
    if (databaseOf(raw.url) !== 0) {
      problems.push({
        path: 'REDIS_URL',
        message: 'names a database other than 0, and Redis Cluster has only database 0',
      });
    }
  }
  const tls = raw.url.startsWith('rediss:');
  if (raw.tlsCaFile !== undefined && !tls) {
    problems.push({
      path: 'REDIS_TLS_CA_FILE',
      message: 'is set but REDIS_URL is not rediss://: use rediss:// to connect with TLS',
    });
  }
  return {
    url: raw.url,
    ...(sentinels === undefined
      ? {}
      : {
          sentinels,
          sentinelMaster: raw.sentinelMaster ?? 'mymaster',
          ...(raw.sentinelPassword === undefined ? {} : { sentinelPassword: raw.sentinelPassword }),
        }),
    ...(clusterNodes === undefined ? {} : { clusterNodes }),
    ...(raw.tlsCaFile === undefined ? {} : { tlsCaFile: raw.tlsCaFile }),
  };
}

/** `host:port,host:port` (IPv6 as `[::1]:26379`), or undefined when unset. */
function nodeList(
  name: string,
  raw: string | undefined,
  problems: ErrorDetail[],
): RedisNode[] | undefined {
  if (raw === undefined) return undefined;
  const nodes: RedisNode[] = [];
  for (const item of raw.split(',').map((part) => part.trim())) {
    const match = /^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9._-]+):(\d{1,5})$/.exec(item);
    const port = Number(match?.[2]);
    if (match?.[1] === undefined || port < 1 || port > 65535) {
      problems.push({
        path: name,
        message: `"${item}" is not host:port (e.g. redis-0.redis:${name === 'REDIS_SENTINELS' ? 26379 : 6379})`,
      });
      continue;
    }
    nodes.push({ host: match[1].replace(/^\[|\]$/g, ''), port });
  }
  return nodes;
}

function databaseOf(url: string): number {
  try {
    const path = new URL(url).pathname.replace(/^\//, '');
    return path === '' ? 0 : Number(path);
  } catch {
    return 0;
  }
}
