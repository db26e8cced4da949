import type { RedisConnection } from './redis.js';
import { defineScript } from './scripts.js';

const RELEASE = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
`;

/** A read sent with a lease (`['hgetall', key]`): its answer is used only when the lease is taken. */
export type LeaseRead = readonly [command: string, ...args: (string | number)[]];

/**
 * Short leases in Redis: one job at a time works on a person. The owner is the job id, so a job
 * retried after a crash takes its own lease back at once; a dead holder's lease simply expires.
 */
export function createLocks(redis: RedisConnection) {
  const release = defineScript(redis, 'onboardingLockRelease', 1, RELEASE);

  /** The lease is held already: it is ours (a job retried after a crash) when it names us. */
  const retake = async (key: string, owner: string, ttlMs: number): Promise<boolean> =>
    (await redis.get(key)) === owner && (await redis.pexpire(key, ttlMs)) === 1;

  return {
    async acquire(key: string, owner: string, ttlMs: number): Promise<boolean> {
      if ((await redis.set(key, owner, 'PX', ttlMs, 'NX')) === 'OK') return true;
      return await retake(key, owner, ttlMs);
    },

    /**
     * Takes the lease like {@link acquire} and sends `reads` in the same round trip
     * (docs/performance.md, "Worker levers"): one connection runs its commands in order, so they
     * see what there was once the lease was taken, as reads sent after it would. Their answers in
     * order, or undefined when another owner holds the lease.
     */
    async acquireReading(
      key: string,
      owner: string,
      ttlMs: number,
      reads: readonly LeaseRead[],
    ): Promise<unknown[] | undefined> {
      const answers = await redis
        .pipeline([['set', key, owner, 'PX', ttlMs, 'NX'], ...reads.map((read) => [...read])])
        .exec();
      if (answers === null) throw new Error('Redis did not answer the lease');
      for (const [err] of answers) if (err) throw err;
      const [set, ...rest] = answers.map(([, value]) => value);
      return set === 'OK' || (await retake(key, owner, ttlMs)) ? rest : undefined;
    },

    async release(key: string, owner: string): Promise<void> {
      await release.run([key], [owner]);
    },
  };
}

/** What the job processors use of the leases (tests pass their own). */
export type Locks = Pick<ReturnType<typeof createLocks>, 'acquire' | 'release'>;
