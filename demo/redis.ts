import { spawnSync } from 'node:child_process';
import { Cluster } from 'ioredis';
import {
  createRedis,
  describeRedis,
  waitForRedis,
  type RedisConnection,
} from '../src/queue/redis.js';
import type { RedisSettings } from '../src/redis-settings.js';
import { startRedisServer } from './redis-server.js';

/** The Redis the demo uses, and how to stop it when the demo started its own. */
export interface DemoRedis {
  readonly url: string;
  readonly stop: () => Promise<void>;
}

/**
 * Uses the Redis `settings` name when it answers; otherwise, for a single server, starts a private
 * `redis-server` on a free port (nothing saved to disk) and says so, or explains both ways out.
 * A Sentinel or Cluster setup that does not answer is an error: the demo does not replace it.
 */
export async function ensureRedis(
  target: RedisSettings | string,
  out: (line: string) => void,
): Promise<DemoRedis> {
  const settings = typeof target === 'string' ? { url: target } : target;
  const { url } = settings;
  if (await answers(settings)) return { url, stop: () => Promise.resolve() };
  const { where, setting } = describeRedis(settings);
  if (setting !== 'REDIS_URL') throw new Error(`no answer from ${where}: check ${setting}`);
  const found = spawnSync('redis-server', ['--version'], { stdio: 'ignore' });
  if (found.error !== undefined || found.status !== 0) {
    throw new Error(
      `no Redis answers at ${url}, and redis-server is not installed.\n` +
        `  Either start a Redis and point REDIS_URL at it (e.g. "docker compose up -d redis" with REDIS_PASSWORD in .env,\n` +
        `  then REDIS_URL=redis://:<that password>@127.0.0.1:6379),\n` +
        `  or install redis-server ("sudo apt-get install redis-server", "brew install redis") and run the demo again: it starts a private one.`,
    );
  }
  const server = await startRedisServer();
  if (server === undefined) {
    throw new Error(
      `no Redis answers at ${url}, and the private redis-server the demo started did not answer either`,
    );
  }
  out(
    `No Redis answered at ${url}: started a private redis-server on port ${server.port} (it stops with the demo).`,
  );
  return { url: server.url, stop: server.stop };
}

/** Deletes every key under `prefix:` (the demo starts and ends clean), on every Cluster master. */
export async function deleteKeys(redis: RedisConnection, prefix: string): Promise<void> {
  for (const node of redis instanceof Cluster ? redis.nodes('master') : [redis]) {
    let cursor = '0';
    do {
      const [next, keys] = await node.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
      // One key at a time: on a Cluster, keys of one UNLINK must share a slot.
      for (const key of keys) await node.unlink(key);
      cursor = next;
    } while (cursor !== '0');
  }
}

async function answers(settings: RedisSettings): Promise<boolean> {
  const redis = createRedis(settings, 'producer');
  redis.on('error', () => undefined);
  try {
    await waitForRedis(redis, 1_500);
    await redis.ping();
    return true;
  } catch {
    return false;
  } finally {
    redis.disconnect();
  }
}
