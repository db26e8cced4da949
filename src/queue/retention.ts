import type { Queue } from 'bullmq';
import type { Logger } from '../logger.js';

export const DAY_MS = 86_400_000;
/** How often each worker process looks for failed jobs past their age limit. */
export const FAILED_SWEEP_INTERVAL_MS = 3_600_000;
/** Jobs removed per Redis call, so one sweep never blocks Redis for long. */
const BATCH = 1_000;

/**
 * Removes the failed jobs older than `maxAgeMs` (by when they failed) from each queue, a batch at a
 * time; returns how many. Failed jobs hold people's data (names, emails, DocSpace's reasons), so
 * they are kept for replay only as long as `FAILED_JOB_RETENTION_DAYS` says. The jobs' own
 * `removeOnFail.age` does the same, but BullMQ applies it only when another job fails
 * (reference: BullMQ's "auto-removal of jobs" guide): without a sweep, a quiet queue keeps its
 * old failures for ever.
 */
export async function removeOldFailedJobs(
  queues: readonly Pick<Queue, 'clean'>[],
  maxAgeMs: number,
): Promise<number> {
  let removed = 0;
  for (const queue of queues) {
    for (;;) {
      const ids = await queue.clean(maxAgeMs, BATCH, 'failed');
      removed += ids.length;
      if (ids.length < BATCH) break;
    }
  }
  return removed;
}

/**
 * Runs {@link removeOldFailedJobs} now and then every `intervalMs`, logging what it removed; returns
 * a function that stops it (and waits for a sweep under way). Every worker process runs one: removal is idempotent, so several
 * sweeping at once only repeat a cheap range query.
 */
export function startFailedJobSweep(deps: {
  readonly queues: readonly Pick<Queue, 'clean' | 'name'>[];
  readonly maxAgeMs: number;
  readonly intervalMs?: number;
  readonly logger: Pick<Logger, 'info' | 'warn'>;
}): () => Promise<void> {
  let running: Promise<void> | undefined;
  const sweep = () => {
    running ??= removeOldFailedJobs(deps.queues, deps.maxAgeMs)
      .then((removed) => {
        if (removed > 0) {
          deps.logger.info('old failed jobs removed', {
            removed,
            olderThanDays: Math.round((deps.maxAgeMs / DAY_MS) * 100) / 100,
          });
        }
      })
      .catch((err: unknown) => {
        deps.logger.warn('old failed jobs not removed this time', {
          error: err instanceof Error ? err.message : String(err),
        });
      })
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
