import type { JobsOptions, Queue } from 'bullmq';
import { FLUSH_FULL_JOB, type InviteFlushJobData } from './contract.js';
import type { Keys } from './keys.js';
import type { RedisConnection } from './redis.js';
import { defineScript } from './scripts.js';

// KEYS: hire, invite buffer, owed index. ARGV: the person's key, score. Puts a person owed an
// invitation back in the buffer when they are still `created` and not in it; drops them from the
// index when they are no longer `created` (or their record is gone). Returns 1 when put back.
const PUT_BACK = `
local state = redis.call('HGET', KEYS[1], 'state')
if state ~= 'created' then
  redis.call('ZREM', KEYS[3], ARGV[1])
  return 0
end
if redis.call('ZSCORE', KEYS[2], ARGV[1]) then return 0 end
redis.call('ZADD', KEYS[2], ARGV[2], ARGV[1])
return 1
`;

/**
 * The people created by us and waiting for their invitation call, oldest first (a sorted set of
 * their keys, scored by when they were created). A person enters it with their `created` record,
 * in the same script (src/queue/hire-store.ts), so nobody is recorded created without being owed
 * a call; a flush job writes its batch to its own data before it takes the batch out (see
 * workers/invite-flush.ts), so a person is always here, in a flush job, or invited.
 */
export interface InviteBuffer {
  /** How many people wait. */
  size(): Promise<number>;
  /** The `count` who waited longest, left in the buffer. */
  peek(count: number): Promise<string[]>;
  /** Takes `keys` out: their batch is in a flush job's data by now. */
  take(keys: readonly string[]): Promise<void>;
  /**
   * Puts a person recorded `created` back when Redis lost their entry (the reconciler); clears
   * them from the owed index when they are no longer `created`. True when put back.
   */
  putBack(key: string): Promise<boolean>;
  /**
   * After someone entered the buffer: once a whole batch waits, asks for a `flush-full` job
   * instead of waiting for the tick (one such job waits at a time). The buffer is counted only on
   * every {@link sizeCheckEvery}-th call of this process (one `ZCARD` per hire was a tenth of the
   * invite path's Redis work): a full batch is flushed within that many more people, or by the tick.
   */
  added(): Promise<void>;
}

export interface InviteBufferDeps {
  readonly redis: RedisConnection;
  readonly keys: Keys;
  /** `INVITE_BATCH_SIZE`: the most people in one invite call, and what counts as full. */
  readonly batchSize: number;
  /** Where a full batch asks for its flush. */
  readonly flushes: Pick<Queue<InviteFlushJobData>, 'add'>;
  /** Options of every flush job (see inviteFlushJobOptions). */
  readonly flushOptions: JobsOptions;
  readonly now?: () => number;
}

/** How many `added()` calls share one count of the buffer: a tenth of a batch, at least 1. */
export function sizeCheckEvery(batchSize: number): number {
  return Math.max(1, Math.floor(batchSize / 10));
}

/** The invite buffer of one deployment (`QUEUE_PREFIX`), shared by every worker. */
export function createInviteBuffer(deps: InviteBufferDeps): InviteBuffer {
  const { redis, keys, batchSize } = deps;
  const checkEvery = sizeCheckEvery(batchSize);
  let addedSinceCheck = 0;
  const now = deps.now ?? Date.now;
  const pending = keys.invitePending;
  const putBack = defineScript(redis, 'onboardingInvitePutBack', 3, PUT_BACK);
  const size = () => redis.zcard(pending);

  return {
    size,
    peek: (count) => redis.zrange(pending, 0, count - 1),
    async take(taken) {
      if (taken.length > 0) await redis.zrem(pending, ...taken);
    },
    async putBack(key) {
      return (await putBack.run([keys.hire(key), pending, keys.inviteOwed], [key, now()])) === 1;
    },
    async added() {
      addedSinceCheck += 1;
      if (addedSinceCheck < checkEvery) return;
      addedSinceCheck = 0;
      if ((await size()) < batchSize) return;
      await deps.flushes.add(
        FLUSH_FULL_JOB,
        {},
        { ...deps.flushOptions, deduplication: { id: FLUSH_FULL_JOB } },
      );
    },
  };
}
