import type { Job } from 'bullmq';
import type { Logger } from '../logger.js';
import {
  hireIdOf,
  QUEUE_NAMES,
  type QueueName,
  type ReplayQueue,
  type ReplayQueues,
} from './job-listing.js';

/** How many matched jobs a bulk replay reports by id. */
const REPORTED_JOBS = 100;
/** Every replay starts over with the job's whole attempt budget (`resetAttemptsMade`, https://docs.bullmq.io/guide/jobs/retrying-job). */
export const FRESH_BUDGET = { resetAttemptsMade: true, resetAttemptsStarted: true } as const;

export interface BulkFilter {
  /** Only jobs that failed at most this many milliseconds ago (`job.finishedOn`). */
  readonly since?: number;
  /** Only jobs whose failure reason contains this text, whatever the case. */
  readonly reason?: string;
  readonly queue?: QueueName;
  /** Count and list the matches; replay nothing. */
  readonly dryRun?: boolean;
  readonly onProgress?: (progress: BulkProgress) => void;
}

export interface BulkProgress {
  /** Failed jobs looked at so far, and about how many there are to look at. */
  readonly scanned: number;
  readonly total: number;
  readonly matched: number;
  readonly replayed: number;
}

export interface BulkResult extends BulkProgress {
  readonly dryRun: boolean;
  /** Matched jobs that were still failed but could not be replayed (each logged at warn). */
  readonly errors: number;
  /** The first 100 matched jobs. */
  readonly jobs: readonly { id: string; queue: QueueName; failedReason: string }[];
}

export interface BulkDeps {
  readonly queues: ReplayQueues;
  readonly logger: Pick<Logger, 'info' | 'warn'>;
  readonly now: () => number;
  readonly pageSize: number;
}

/** The `job replayed` line: what was replayed, from which state, and how many attempts it had used. */
export function logReplayed(
  logger: Pick<Logger, 'info'>,
  job: Job,
  queue: QueueName,
  from: string,
  bulk: boolean,
  attemptsMadeBefore: number,
): void {
  const hireId = hireIdOf(job);
  logger.info('job replayed', {
    queue,
    jobId: job.id,
    jobName: job.name,
    ...(hireId === undefined ? {} : { hireId }),
    from,
    attemptsMadeBefore,
    bulk,
  });
}

/**
 * Replays every failed job that matches the filters, oldest first, a page at a time (bounded
 * memory whatever the backlog). Only jobs that had failed when the sweep began are considered, so a
 * replayed job that fails again at once is not replayed a second time in the same sweep. Logs one
 * line per job and one summary line with the filters and counts.
 */
export async function replayFailedJobs(deps: BulkDeps, filter: BulkFilter): Promise<BulkResult> {
  const { queues, logger, now, pageSize } = deps;
  const startedAt = now();
  const dryRun = filter.dryRun ?? false;
  const cutoff = filter.since === undefined ? undefined : startedAt - filter.since;
  const needle = filter.reason?.toLowerCase();
  const names = filter.queue === undefined ? QUEUE_NAMES : [filter.queue];

  const plans = await Promise.all(
    names.map(async (name) => {
      const count = await queues[name].getJobCountByTypes('failed');
      const start =
        cutoff === undefined ? 0 : await firstFailedAtOrAfter(queues[name], cutoff, count);
      return { name, start, count };
    }),
  );
  let scanned = 0;
  let matched = 0;
  let replayed = 0;
  let errors = 0;
  const total = plans.reduce((sum, p) => sum + Math.max(0, p.count - p.start), 0);
  const reported: { id: string; queue: QueueName; failedReason: string }[] = [];
  const progress = (): void => filter.onProgress?.({ scanned, total, matched, replayed });

  const matches = (job: Job): boolean =>
    (cutoff === undefined || (job.finishedOn ?? 0) >= cutoff) &&
    (needle === undefined || reasonOf(job).toLowerCase().includes(needle));

  /** Replays one matched job; false when it is still failed afterwards (it keeps its place). */
  const replay = async (job: Job, name: QueueName): Promise<boolean> => {
    const attemptsMade = job.attemptsMade;
    try {
      await job.retry('failed', FRESH_BUDGET);
      logReplayed(logger, job, name, 'failed', true, attemptsMade);
      replayed += 1;
      return true;
    } catch (err: unknown) {
      const current = await queues[name].getJobState(job.id ?? '');
      if (current !== 'failed') return true; // moved on meanwhile: nothing to do
      errors += 1;
      logger.warn('job replay failed', {
        queue: name,
        jobId: job.id,
        error: err instanceof Error ? err.message : String(err),
      });
      return false;
    }
  };

  progress();
  for (const { name, start } of plans) {
    // `offset` counts the jobs before our position that stay in the failed set (those that do
    // not match, or could not be replayed); replayed jobs leave it, so the rest move up.
    let offset = start;
    sweep: for (;;) {
      const page = await queues[name].getJobs('failed', offset, offset + pageSize - 1, true);
      if (page.length === 0) break;
      for (const job of page) {
        if ((job.finishedOn ?? 0) > startedAt) break sweep;
        scanned += 1;
        if (matches(job)) {
          matched += 1;
          if (reported.length < REPORTED_JOBS)
            reported.push({ id: job.id ?? '', queue: name, failedReason: reasonOf(job) });
          if (dryRun || !(await replay(job, name))) offset += 1;
        } else {
          offset += 1;
        }
        progress();
      }
    }
  }

  logger.info(dryRun ? 'replay dry run' : 'jobs replayed', {
    count: replayed,
    matched,
    scanned,
    errors,
    dryRun,
    queue: filter.queue ?? 'all',
    ...(filter.since === undefined ? {} : { sinceMs: filter.since }),
    ...(filter.reason === undefined ? {} : { reasonFilter: filter.reason }),
  });
  return { scanned, total, matched, replayed, errors, dryRun, jobs: reported };
}

/**
 * Index (oldest first) of the first failed job that finished at or after `cutoff`: a binary search
 * over the failed set, which BullMQ keeps ordered by finish time, so `since` costs a few reads
 * instead of a scan of every older failure. It backs off a little in case the set shrank meanwhile.
 */
async function firstFailedAtOrAfter(
  queue: ReplayQueue,
  cutoff: number,
  count: number,
): Promise<number> {
  let low = 0;
  let high = count;
  while (low < high) {
    const middle = Math.floor((low + high) / 2);
    const [job] = await queue.getJobs('failed', middle, middle, true);
    if (job !== undefined && (job.finishedOn ?? 0) < cutoff) low = middle + 1;
    else high = middle;
  }
  return Math.max(0, low - 10);
}

function reasonOf(job: Job): string {
  // Typed `string`, but unset on jobs that never failed.
  const { failedReason } = job as { failedReason?: string };
  return failedReason ?? '';
}
