import { ServiceError } from '../errors.js';
import type { Logger } from '../logger.js';
import {
  countJobs,
  listJobs,
  QUEUE_NAMES,
  type JobCounts,
  type JobPage,
  type ListState,
  type QueueName,
  type ReplayQueues,
} from './job-listing.js';
import {
  FRESH_BUDGET,
  logReplayed,
  replayFailedJobs,
  type BulkFilter,
  type BulkResult,
} from './replay-failed.js';

export type { BulkFilter, BulkProgress, BulkResult } from './replay-failed.js';

/** Failed jobs read per round trip by a bulk replay: bounded memory whatever the backlog. */
const PAGE_SIZE = 500;

export interface ReplayedJob {
  readonly id: string;
  readonly queue: QueueName;
  /** The state the job was replayed from. */
  readonly from: 'failed' | 'completed';
}

export interface ReplayerDeps {
  readonly queues: ReplayQueues;
  readonly logger: Pick<Logger, 'info' | 'warn'>;
  readonly now?: () => number;
  /** Failed jobs read per round trip by a bulk replay (default 500); tests make it small. */
  readonly pageSize?: number;
}

export type Replayer = ReturnType<typeof createReplayer>;

/**
 * Listing and replaying jobs, shared by the admin API and the `replay` command line. Every replay
 * resets the job's attempts (`job.retry(state, { resetAttemptsMade, resetAttemptsStarted })`):
 * bull-board's Retry and `queue.retryJobs` keep `attemptsMade`, so a job replayed that way gets a
 * single run and no retries (https://docs.bullmq.io/guide/jobs/retrying-job; docs/operations.md). Every replayed job is logged (`job replayed`), and
 * every bulk replay once more with its filters and counts.
 */
export function createReplayer(deps: ReplayerDeps) {
  const { queues, logger } = deps;
  const now = deps.now ?? Date.now;
  const pageSize = deps.pageSize ?? PAGE_SIZE;

  return {
    list: (options: {
      state: ListState;
      queue?: QueueName;
      start: number;
      limit: number;
    }): Promise<JobPage> => listJobs(queues, options),

    counts: (): Promise<JobCounts> => countJobs(queues),

    /**
     * Replays one failed or completed job, looked up in `hires` then `invites` unless `queue` says.
     * @throws ServiceError ERR_NOT_FOUND when no such job, ERR_CONFLICT when it is not finished.
     */
    async replayOne(id: string, queue?: QueueName): Promise<ReplayedJob> {
      const names = queue === undefined ? QUEUE_NAMES : [queue];
      for (const name of names) {
        const job = await queues[name].getJob(id);
        if (job === undefined) continue;
        const state = await job.getState();
        if (state !== 'failed' && state !== 'completed') throw notReplayable(id, name, state);
        const attemptsMade = job.attemptsMade;
        try {
          await job.retry(state, FRESH_BUDGET);
        } catch (err: unknown) {
          // It changed between the look and the move (a worker, or another operator, got there).
          const current = await queues[name].getJobState(id);
          if (current === 'unknown') throw notFound(id, [name], err);
          if (current !== state) throw notReplayable(id, name, current, err);
          throw err;
        }
        logReplayed(logger, job, name, state, false, attemptsMade);
        return { id, queue: name, from: state };
      }
      throw notFound(id, names);
    },

    /** Replays every failed job matching the filters; see {@link replayFailedJobs}. */
    replayFailed: (filter: BulkFilter = {}): Promise<BulkResult> =>
      replayFailedJobs({ queues, logger, now, pageSize }, filter),
  };
}

function notFound(id: string, queues: readonly QueueName[], cause?: unknown): ServiceError {
  return new ServiceError('ERR_NOT_FOUND', `no job "${id}" in ${queues.join(' or ')}`, { cause });
}

function notReplayable(id: string, queue: QueueName, state: string, cause?: unknown): ServiceError {
  return new ServiceError(
    'ERR_CONFLICT',
    `job "${id}" on ${queue} is ${state}: only failed or completed jobs can be replayed`,
    { cause, details: [{ path: 'id', message: `job is ${state}` }] },
  );
}
