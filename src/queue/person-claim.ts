import { recordOf, type HireRecord } from './hire-store.js';
import type { Keys } from './keys.js';
import type { createLocks } from './locks.js';

/** What a hire job reads of a person once it holds their lease. */
export interface ClaimedPerson {
  readonly record: HireRecord | undefined;
  /**
   * The state of their disable (src/queue/offboarding-store.ts): null when they have none,
   * undefined when it was not read (the offboarding store then reads it itself).
   */
  readonly offboardingState?: string | null;
}

/** Takes a person's lease for `owner` (a job id); undefined when another job holds it. */
export type PersonClaim = (personKey: string, owner: string) => Promise<ClaimedPerson | undefined>;

/**
 * The lease, the record and the pending-disable check of a hire in one round trip instead of
 * three (docs/performance.md, "Worker levers"): the same commands (`SET NX`, `HGETALL`, `HGET`),
 * the reads sent behind the lease on the same connection, so they see what a read after it would.
 */
export function createPersonClaim(deps: {
  readonly locks: Pick<ReturnType<typeof createLocks>, 'acquireReading'>;
  readonly keys: Keys;
  readonly lockTtlMs: number;
}): PersonClaim {
  const { locks, keys, lockTtlMs } = deps;
  return async (personKey, owner) => {
    const answers = await locks.acquireReading(keys.hireLock(personKey), owner, lockTtlMs, [
      ['hgetall', keys.hire(personKey)],
      ['hget', keys.offboarding(personKey), 'state'],
    ]);
    if (answers === undefined) return undefined;
    const [hash, state] = answers;
    return {
      record: recordOf(hash as Record<string, string>),
      offboardingState: typeof state === 'string' ? state : null,
    };
  };
}
