import type { RedisConnection } from './redis.js';

/**
 * The delivery marker both intakes share (src/queue/intake.ts for hires and movers,
 * src/queue/leaver-intake.ts for leavers): `pending` while a delivery is being stored, `done` once
 * its jobs are in Redis. `claim` answers what the marker held before: null (taken now),
 * `pending` (a concurrent copy or an attempt that died half-way) or `done` (a duplicate).
 *
 * A new delivery, nearly every one, is claimed by one `SET NX` (one command in Redis, where a Lua
 * script of `GET` and `SET` ran three: docs/performance.md#intake-levers); only a marker that is
 * already there costs a second round trip, a `GET`, to tell `pending` from `done`.
 */
export function createDeliveryMarker(redis: RedisConnection) {
  return {
    async claim(key: string, ttlSeconds: number): Promise<string | null> {
      if ((await redis.set(key, 'pending', 'EX', ttlSeconds, 'NX')) === 'OK') return null;
      // Gone since the SET NX (it expired in between): as good as a copy still being stored, whose
      // jobs and records are added again harmlessly (src/queue/intake.ts).
      return (await redis.get(key)) ?? 'pending';
    },
    done(key: string, ttlSeconds: number): Promise<unknown> {
      return redis.set(key, 'done', 'EX', ttlSeconds);
    },
  };
}
