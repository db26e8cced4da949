import type { JobsOptions, Queue } from 'bullmq';
import type { InviteFlushJobData } from '../src/queue/contract.js';

/**
 * Name of the flush job a worker asks for when it ran out of hires. The flush processor
 * (workers/invite-flush.ts) treats it like the tick: whatever waits, one partial batch at most.
 */
export const FLUSH_IDLE_JOB = 'flush-idle';

export interface IdleFlushDeps {
  /** Where the flush is asked for (deduplicated: one idle flush waits at a time). */
  readonly flushes: Pick<Queue<InviteFlushJobData>, 'add'>;
  /** Options of every flush job (see inviteFlushJobOptions). */
  readonly flushOptions: JobsOptions;
  /** How long the worker must have had no hire in flight before it asks. */
  readonly idleMs: number;
  /** The least time between two requests of this process (the tick's period). */
  readonly minIntervalMs: number;
  /** Failures to ask are only reported: the tick still sends everyone in time. */
  readonly onError: (err: unknown) => void;
  readonly now?: () => number;
}

export interface IdleFlush {
  /** A hire job began in this process. */
  started(): void;
  /** A hire job of this process ended (however it ended). */
  finished(): void;
  /** Someone entered the invite buffer from this process. */
  added(): void;
  /** Stops the pending timer. */
  stop(): void;
}

/**
 * Sends the last partial batch of a burst once the burst is over, instead of at the next tick
 * (up to half of `INVITE_BATCH_MAX_WAIT_MS` later, docs/performance.md#worker-levers-where-a-jobs-time-goes): when
 * this process added people to the invite buffer and then had no hire in flight for `idleMs`,
 * it asks for one flush. Within a burst a worker is never idle that long, so batches stay full;
 * at most one request per `minIntervalMs`, so a slow trickle of hires costs at most one more
 * invite call per tick period. Only a trigger: the buffer, the flush job and the tick keep every
 * guarantee (docs/design.md, rules 3, 7 and 9).
 */
export function createIdleFlush(deps: IdleFlushDeps): IdleFlush {
  const now = deps.now ?? Date.now;
  let inFlight = 0;
  let pending = false;
  let lastAsked = Number.NEGATIVE_INFINITY;
  let timer: NodeJS.Timeout | undefined;

  const clear = (): void => {
    if (timer !== undefined) clearTimeout(timer);
    timer = undefined;
  };

  const ask = (): void => {
    timer = undefined;
    if (inFlight > 0 || !pending) return;
    const wait = lastAsked + deps.minIntervalMs - now();
    if (wait > 0) {
      arm(wait);
      return;
    }
    pending = false;
    lastAsked = now();
    deps.flushes
      .add(FLUSH_IDLE_JOB, {}, { ...deps.flushOptions, deduplication: { id: FLUSH_IDLE_JOB } })
      .catch(deps.onError);
  };

  const arm = (ms: number): void => {
    clear();
    timer = setTimeout(ask, ms);
    timer.unref();
  };

  return {
    started() {
      inFlight += 1;
      clear();
    },
    finished() {
      inFlight = Math.max(0, inFlight - 1);
      if (inFlight === 0 && pending) arm(deps.idleMs);
    },
    added() {
      pending = true;
    },
    stop: clear,
  };
}

/** How long a worker waits idle before it asks: a tenth of the tick's period, 50 to 250 ms. */
export function idleFlushDelay(tickEveryMs: number): number {
  return Math.min(250, Math.max(50, Math.floor(tickEveryMs / 10)));
}
