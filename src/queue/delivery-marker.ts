import { defineScript } from './scripts.js';
import type { RedisConnection } from './redis.js';

// KEYS: delivery marker. ARGV: ttl (s). Takes the marker (`pending`) when nobody has it; returns
// what it held before (nil when it was free). One round trip instead of SET NX followed by GET.
const CLAIM = `
local current = redis.call('GET', KEYS[1])
if current then return current end
redis.call('SET', KEYS[1], 'pending', 'EX', ARGV[1])
return false
`;

/**
 * The delivery marker both intakes share (src/queue/intake.ts for hires and movers,
 * src/queue/leaver-intake.ts for leavers): `pending` while a delivery is being stored, `done` once
 * its jobs are in Redis. `claim` answers what the marker held before: null (taken now),
 * `pending` (a concurrent copy or an attempt that died half-way) or `done` (a duplicate).
 */
export function createDeliveryMarker(redis: RedisConnection) {
  const claim = defineScript(redis, 'onboardingIntakeClaim', 1, CLAIM);
  return {
    async claim(key: string, ttlSeconds: number): Promise<string | null> {
      const before = await claim.run([key], [ttlSeconds]);
      return typeof before === 'string' ? before : null;
    },
    done(key: string, ttlSeconds: number): Promise<unknown> {
      return redis.set(key, 'done', 'EX', ttlSeconds);
    },
  };
}
