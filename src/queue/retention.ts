import type { Queue } from 'bullmq';
import type { Logger } from '../logger.js';

export const DAY_MS = 86_400_000;
/** How often each worker process looks for failed and completed jobs past their age limit. */
export const FAILED_SWEEP_INTERVAL_MS = 3_600_000;
/** Jobs removed per Redis call, so one sweep never blocks Redis for long. */
const BATCH = 1_000;

/**
 * Removes the jobs in `state` older than `maxAgeMs` (by when they finished) from each queue, a batch
 * at a time; returns how many.
 *
 * Failed jobs hold people's data (names, emails, DocSpace's reasons), so they are kept for replay
 * only as long as `FAILED_JOB_RETENTION_DAYS` says. The jobs' own `removeOnFail.age` does the same,
 * but BullMQ applies it only when another job fails (reference: BullMQ's "auto-removal of jobs"
 * guide): without a sweep, a quiet queue keeps its old failures for ever.
 *
 * Completed jobs are removed only here, after COMPLETED_RETENTION_SECONDS (src/queue/contract.ts):
 * an age limit on each job would cost a range read of the completed set at every completion.
 */
export async function removeOldJobs(
  queues: readonly Pick<Queue, 'clean'>[],
  maxAgeMs: number,
  state: 'failed' | 'completed' = 'failed',
): Promise<number> {
  let removed = 0;
  for (const queue of queues) {
    for (;;) {
      const ids = await queue.clean(maxAgeMs, BATCH, state);
      removed += ids.length;
      if (ids.length < BATCH) break;
    }
  }
  return removed;
}

/**
 * Runs {@link removeOldJobs} now and then every `intervalMs` for the failed jobs older than
 * `maxAgeMs` and the completed ones older than `completedMaxAgeMs`, logging what it removed;
 * returns a function that stops it (and waits for a sweep under way). Every worker process runs
 * one: removal is idempotent, so several sweeping at once only repeat a cheap range query.
 */
export function startOldJobSweep(deps: {
  readonly queues: readonly Pick<Queue, 'clean' | 'name'>[];
  readonly maxAgeMs: number;
  readonly completedMaxAgeMs: number;
  readonly intervalMs?: number;
  readonly logger: Pick<Logger, 'info' | 'warn'>;
}): () => Promise<void> {
  let running: Promise<void> | undefined;
  const sweepOne = async (state: 'failed' | 'completed', maxAgeMs: number): Promise<void> => {
    try {
      const removed = await removeOldJobs(deps.queues, maxAgeMs, state);
      if (removed > 0) {
        deps.logger.info(`old ${state} jobs removed`, {
          removed,
          olderThanDays: Math.round((maxAgeMs / DAY_MS) * 100) / 100,
        });
      }
    } catch (err: unknown) {
      deps.logger.warn(`old ${state} jobs not removed this time`, {
        error: err instanceof Error ? err.message : String(err),
      });
    }
  };
  const sweep = () => {
    running ??= sweepOne('failed', deps.maxAgeMs)
      .then(() => sweepOne('completed', deps.completedMaxAgeMs))
      .finally(() => {
        running = undefined;
      });
  };
  sweep();
  const timer = setInterval(sweep, deps.intervalMs ?? FAILED_SWEEP_INTERVAL_MS);
  timer.unref();
  return async () => {
    clearInterval(timer);
    await running;
  };
}
