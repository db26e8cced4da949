import type { RedisConnection } from './redis.js';
import { defineScript } from './scripts.js';

const RELEASE = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
`;

/**
 * Short leases in Redis: one job at a time works on a person. The owner is the job id, so a job
 * retried after a crash takes its own lease back at once; a dead holder's lease simply expires.
 */
export function createLocks(redis: RedisConnection) {
  const release = defineScript(redis, 'onboardingLockRelease', 1, RELEASE);
  return {
    async acquire(key: string, owner: string, ttlMs: number): Promise<boolean> {
      if ((await redis.set(key, owner, 'PX', ttlMs, 'NX')) === 'OK') return true;
      return (await redis.get(key)) === owner && (await redis.pexpire(key, ttlMs)) === 1;
    },
    async release(key: string, owner: string): Promise<void> {
      await release.run([key], [owner]);
    },
  };
}

export type Locks = ReturnType<typeof createLocks>;
