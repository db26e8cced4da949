import { Redis } from 'ioredis';

/**
 * The two kinds of Redis connection the service needs (reference/bullmq.md §1.3):
 * - `producer` (HTTP side): fails fast when Redis is away, so a webhook is answered 503 and the
 *   sender delivers it again, instead of waiting in an offline queue while the sender times out;
 * - `worker`: retries for ever (`maxRetriesPerRequest: null`, which BullMQ requires for workers), so
 *   workers ride out a Redis restart by themselves.
 */
export type RedisRole = 'producer' | 'worker';

export function createRedis(url: string, role: RedisRole): Redis {
  const common = { connectionName: `docspace-onboarding:${role}` };
  return role === 'producer'
    ? new Redis(url, {
        ...common,
        enableOfflineQueue: false,
        maxRetriesPerRequest: 1,
        connectTimeout: 2_000,
        commandTimeout: 2_000,
      })
    : new Redis(url, { ...common, maxRetriesPerRequest: null });
}

/** Resolves once `redis` is connected; rejects after `timeoutMs` (fail-fast start for producers). */
export async function waitForRedis(redis: Redis, timeoutMs: number): Promise<void> {
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
