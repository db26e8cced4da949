import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { startRedisServer } from '../demo/redis-server.js';
import { cleanupOnInterrupt } from './processes.js';

/**
 * The Redis every benchmark uses: `REDIS_URL` (default 127.0.0.1:6379), or the bench's own
 * server once {@link startPrivateRedis} ran. A live binding: importers see the change.
 */
export let REDIS_URL = process.env['REDIS_URL'] ?? 'redis://127.0.0.1:6379';

/** Whether the benchmarks run on a Redis of their own (command counts and CPU are then theirs). */
export let privateRedis = false;

/**
 * Starts `redis-server` on a free loopback port, without persistence, and points {@link REDIS_URL}
 * at it: on a shared Redis, `INFO commandstats` and `used_cpu_*` count everyone's commands.
 * Returns undefined when no `redis-server` can be started (the shared one is used then).
 */
export async function startPrivateRedis(): Promise<
  { url: string; stop: () => Promise<void> } | undefined
> {
  const server = await startRedisServer();
  if (server === undefined) return undefined;
  cleanupOnInterrupt('processes', server.stop);
  REDIS_URL = server.url;
  privateRedis = true;
  return { url: server.url, stop: server.stop };
}

/** A `QUEUE_PREFIX` no one else uses; every benchmark deletes its keys when it ends. */
export function benchPrefix(name: string): string {
  return `dso-bench-${name}-${randomUUID().slice(0, 8)}`;
}

export function connect(): Redis {
  return new Redis(REDIS_URL, { maxRetriesPerRequest: 1, connectionName: 'docspace-bench' });
}

/** Deletes every key under `prefix:` (never anything else: others share this Redis). */
export async function deletePrefix(redis: Redis, prefix: string): Promise<number> {
  let cursor = '0';
  let deleted = 0;
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 2000);
    if (keys.length > 0) deleted += await redis.unlink(...keys);
    cursor = next;
  } while (cursor !== '0');
  return deleted;
}

/** Redis' `used_memory` (bytes) from `INFO memory`: the whole server, so compare deltas. */
export async function usedMemory(redis: Redis): Promise<number> {
  const info = await redis.info('memory');
  const match = /^used_memory:(\d+)/m.exec(info);
  return match ? Number(match[1]) : Number.NaN;
}

/** CPU seconds the Redis server has used (`INFO cpu`, user + system): the whole server. */
export async function redisCpuSeconds(redis: Redis): Promise<number> {
  const info = await redis.info('cpu');
  const field = (name: string): number =>
    Number(new RegExp(`^${name}:([\\d.]+)`, 'm').exec(info)?.[1]);
  return field('used_cpu_user') + field('used_cpu_sys');
}

/**
 * Calls per command since the server started (`INFO commandstats`), commands run by Lua scripts
 * included (Redis counts `redis.call` like a client's command).
 */
export async function commandStats(redis: Redis): Promise<Map<string, number>> {
  const info = await redis.info('commandstats');
  const calls = new Map<string, number>();
  for (const match of info.matchAll(/^cmdstat_([^:]+):calls=(\d+)/gm)) {
    calls.set(match[1] ?? '', Number(match[2]));
  }
  return calls;
}

/**
 * Reads of client sockets Redis has made (`total_reads_processed`): about one per round trip, as
 * a pipeline or a batch arrives in one read; a count of round trips, not of commands.
 */
export async function socketReads(redis: Redis): Promise<number> {
  const info = await redis.info('stats');
  return Number(/^total_reads_processed:(\d+)/m.exec(info)?.[1] ?? Number.NaN);
}

/**
 * Commands sent between two {@link commandStats} readings, by command, most first, without the
 * bench's own `info` (its memory sampler and these readings).
 */
export function commandsBetween(
  before: ReadonlyMap<string, number>,
  after: ReadonlyMap<string, number>,
): { total: number; byCommand: Record<string, number> } {
  const rows: [string, number][] = [];
  for (const [command, calls] of after) {
    if (command === 'info') continue;
    const delta = calls - (before.get(command) ?? 0);
    if (delta > 0) rows.push([command, delta]);
  }
  rows.sort((a, b) => b[1] - a[1]);
  return { total: rows.reduce((sum, [, n]) => sum + n, 0), byCommand: Object.fromEntries(rows) };
}

export async function redisVersion(redis: Redis): Promise<string> {
  const info = await redis.info('server');
  return /^redis_version:(\S+)/m.exec(info)?.[1] ?? 'unknown';
}

export interface MemorySample {
  /** Seconds since the sampler started. */
  readonly t: number;
  readonly usedMemory: number;
}

/** Samples `used_memory` every `everyMs` until stopped. */
export function sampleUsedMemory(redis: Redis, everyMs: number) {
  const started = performance.now();
  const samples: MemorySample[] = [];
  const take = async (): Promise<void> => {
    const usedMemoryNow = await usedMemory(redis).catch(() => Number.NaN);
    samples.push({ t: (performance.now() - started) / 1000, usedMemory: usedMemoryNow });
  };
  void take();
  const timer = setInterval(() => void take(), everyMs);
  return {
    samples,
    async stop(): Promise<MemorySample[]> {
      clearInterval(timer);
      await take();
      return samples;
    },
  };
}

export interface KeyGroup {
  /** The key with ids replaced by placeholders, without the prefix. */
  readonly pattern: string;
  readonly keys: number;
  readonly bytes: number;
  /** TTL of one key of the group in seconds; -1 none. */
  readonly ttlSeconds: number;
}

/**
 * What `prefix` holds, key by key (`MEMORY USAGE … SAMPLES 0`, exact but slow on big keys),
 * grouped by pattern: the precise footprint, unlike `used_memory` which counts everyone's keys.
 */
export async function prefixFootprint(
  redis: Redis,
  prefix: string,
): Promise<{ keys: number; bytes: number; groups: KeyGroup[] }> {
  const groups = new Map<string, { keys: number; bytes: number; sample: string }>();
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 2000);
    cursor = next;
    if (keys.length === 0) continue;
    const pipeline = redis.pipeline();
    for (const key of keys) pipeline.memory('USAGE', key, 'SAMPLES', 0);
    const replies = (await pipeline.exec()) ?? [];
    keys.forEach((key, index) => {
      const bytes = Number(replies[index]?.[1] ?? 0);
      const pattern = keyPattern(key.slice(prefix.length + 1));
      const group = groups.get(pattern) ?? { keys: 0, bytes: 0, sample: key };
      group.keys += 1;
      group.bytes += bytes;
      groups.set(pattern, group);
    });
  } while (cursor !== '0');
  const out: KeyGroup[] = [];
  for (const [pattern, group] of groups) {
    out.push({
      pattern,
      keys: group.keys,
      bytes: group.bytes,
      ttlSeconds: await redis.ttl(group.sample),
    });
  }
  out.sort((a, b) => b.bytes - a.bytes);
  return {
    keys: out.reduce((sum, g) => sum + g.keys, 0),
    bytes: out.reduce((sum, g) => sum + g.bytes, 0),
    groups: out,
  };
}

/** `hires:hire-3f…-0` → `hires:<job>`, `state:hire:9a…` → `state:hire:<id>`, `invites:17` → `invites:<n>`. */
export function keyPattern(key: string): string {
  return key
    .replace(/hire-[0-9a-f]{8,}-\d+/g, '<job>')
    .replace(/\b[0-9a-f]{24,}\b/g, '<id>')
    .replace(/repeat:[^:]+:\d+/g, 'repeat:<tick>')
    .replace(/(^|:)\d+(?=:|$)/g, '$1<n>');
}
