import { Queue, type Job } from 'bullmq';
import { QUEUES } from './keys.js';
import type { RedisConnection } from './redis.js';

/** The queues operators list and replay, in the order they are searched. */
export type QueueName = keyof typeof QUEUES;
export const QUEUE_NAMES: readonly QueueName[] = [QUEUES.hires, QUEUES.invites];

/** Job states the admin API lists and the CLI counts (BullMQ's own names). */
export const LIST_STATES = [
  'waiting',
  'active',
  'delayed',
  'prioritized',
  'completed',
  'failed',
] as const;
export type ListState = (typeof LIST_STATES)[number];

/** The BullMQ calls listing and replaying need; a real `Queue` (of any job data) fits. */
export type ReplayQueue = Pick<
  Queue,
  'getJob' | 'getJobs' | 'getJobState' | 'getJobCounts' | 'getJobCountByTypes'
>;
export type ReplayQueues = Readonly<Record<QueueName, ReplayQueue>>;

/** One job as the admin API shows it: the fields README.md#http lists, plus the queue it is on. */
export interface JobSummary {
  readonly id: string;
  readonly name: string;
  readonly queue: QueueName;
  readonly state: ListState;
  readonly failedReason: string | null;
  readonly attemptsMade: number;
  readonly data: unknown;
  readonly timestamp: number;
}

export interface JobPage {
  readonly jobs: readonly JobSummary[];
  /** Jobs in `state` over the queues listed, when the page was read. */
  readonly total: number;
}

export type JobCounts = Readonly<Record<QueueName, Readonly<Record<ListState, number>>>>;

export function isQueueName(value: string): value is QueueName {
  return (QUEUE_NAMES as readonly string[]).includes(value);
}

export function isListState(value: string): value is ListState {
  return (LIST_STATES as readonly string[]).includes(value);
}

/**
 * A page of the jobs in `state`. Over both queues the list is `hires` then `invites`, each newest
 * first (BullMQ's order), so `start`/`limit` page through one list without loading either queue.
 */
export async function listJobs(
  queues: ReplayQueues,
  options: { state: ListState; queue?: QueueName; start: number; limit: number },
): Promise<JobPage> {
  const names = options.queue === undefined ? QUEUE_NAMES : [options.queue];
  const counts = await Promise.all(names.map((n) => queues[n].getJobCountByTypes(options.state)));
  const jobs: JobSummary[] = [];
  let skip = options.start;
  for (const [index, name] of names.entries()) {
    const count = counts[index] ?? 0;
    const wanted = options.limit - jobs.length;
    if (wanted <= 0) break;
    if (skip >= count) {
      skip -= count;
      continue;
    }
    const page = await queues[name].getJobs(options.state, skip, skip + wanted - 1);
    jobs.push(...page.slice(0, wanted).map((job) => summarize(job, name, options.state)));
    skip = 0;
  }
  return { jobs, total: counts.reduce((sum, n) => sum + n, 0) };
}

/** Jobs per state per queue, for `replay status` and dashboards. */
export async function countJobs(queues: ReplayQueues): Promise<JobCounts> {
  const entries = await Promise.all(
    QUEUE_NAMES.map(async (name) => {
      const raw = await queues[name].getJobCounts(...LIST_STATES);
      const counts = Object.fromEntries(LIST_STATES.map((s) => [s, raw[s] ?? 0]));
      return [name, counts as Record<ListState, number>] as const;
    }),
  );
  return Object.fromEntries(entries) as Record<QueueName, Record<ListState, number>>;
}

export function summarize(job: Job, queue: QueueName, state: ListState): JobSummary {
  return {
    id: job.id ?? '',
    name: job.name,
    queue,
    state,
    failedReason: reasonOrNull((job as { failedReason?: string }).failedReason),
    attemptsMade: job.attemptsMade,
    data: job.data as unknown,
    timestamp: job.timestamp,
  };
}

/** BullMQ leaves `failedReason` unset, or empty, on jobs that never failed. */
function reasonOrNull(reason: string | undefined): string | null {
  return reason === undefined || reason === '' ? null : reason;
}

/** The sender's id of the person a `provision` job is about, when the job has one. */
export function hireIdOf(job: Job): string | undefined {
  const data = job.data as unknown;
  if (typeof data !== 'object' || data === null || !('hire' in data)) return undefined;
  const hire = data.hire;
  if (typeof hire !== 'object' || hire === null || !('hireId' in hire)) return undefined;
  return typeof hire.hireId === 'string' && hire.hireId !== '' ? hire.hireId : undefined;
}

/**
 * Opens both queues on `connection` for listing and replaying (the `replay` command line); the
 * caller closes them, then its connection. `onError` receives the queues' connection errors.
 */
export function openQueues(
  connection: RedisConnection,
  prefix: string,
  onError: (err: Error) => void,
): { queues: Record<QueueName, Queue>; close: () => Promise<void> } {
  const queues = {
    hires: new Queue(QUEUES.hires, { connection, prefix }),
    invites: new Queue(QUEUES.invites, { connection, prefix }),
  };
  for (const queue of Object.values(queues)) queue.on('error', onError);
  return {
    queues,
    close: async () => {
      await Promise.all(Object.values(queues).map((q) => q.close()));
    },
  };
}
