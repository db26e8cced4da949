import type { Queue } from 'bullmq';
import { ServiceError } from '../errors.js';
import type { Logger } from '../logger.js';
import { LIST_STATES, QUEUE_NAMES, type JobCounts, type QueueName } from '../queue/job-listing.js';
import { releaseOffboardings } from '../queue/offboarding-release.js';
import type { OffboardingRecord, OffboardingStore } from '../queue/offboarding-store.js';
import type { BulkProgress, BulkResult, Replayer } from '../queue/replay.js';
import { EXIT, type CliOutput, type CliRequest } from './program.js';

export interface ProgressView {
  readonly update: (progress: BulkProgress) => void;
  readonly stop: () => void;
}

export interface CommandDeps {
  readonly replayer: Pick<Replayer, 'counts' | 'replayOne' | 'replayFailed'>;
  readonly output: CliOutput;
  /** Made when a bulk replay starts: a bar on a terminal, plain lines otherwise. */
  readonly progress: () => ProgressView;
  /** The leavers' records, for `held` and `release-held` (docs/design.md, rule 12). */
  readonly offboarding: Pick<OffboardingStore, 'list' | 'release'>;
  /** The hires queue: a release queues the held disables again. */
  readonly hires: Pick<Queue, 'add'>;
  readonly logger: Pick<Logger, 'info'>;
}

/** Runs one parsed request against Redis and returns the exit code (see EXIT). */
export async function runRequest(request: CliRequest, deps: CommandDeps): Promise<number> {
  switch (request.kind) {
    case 'status':
      return await status(request.json, deps);
    case 'job':
      return await replayJob(request.id, request.queue, deps);
    case 'failed':
      return await replayFailed(request, deps);
    case 'held':
      return await listHeld(request.json, deps);
    case 'release-held':
      return await releaseHeld(request.emails, deps);
  }
}

async function listHeld(json: boolean, deps: CommandDeps): Promise<number> {
  const held = (await deps.offboarding.list('held')).map(describe);
  if (json) {
    deps.output.out(`${JSON.stringify({ offboardings: held })}\n`);
    return EXIT.ok;
  }
  deps.output.out(`${held.length} held offboarding${held.length === 1 ? '' : 's'}.\n`);
  for (const record of held) {
    deps.output.out(
      `  ${record.email}  ${record.employeeId}  effective ${record.effectiveAt}  ${oneLine(record.reason)}\n`,
    );
  }
  return EXIT.ok;
}

/**
 * Releases the held offboardings named (or all) through the same code as the admin API
 * (src/queue/offboarding-release.ts). Named emails that are not held are listed and left alone:
 * a release never touches a scheduled, done or cancelled record.
 */
async function releaseHeld(
  emails: readonly string[] | undefined,
  deps: CommandDeps,
): Promise<number> {
  const released = await releaseOffboardings(
    { offboarding: deps.offboarding, queue: deps.hires },
    emails,
  );
  for (const record of released) {
    deps.logger.info('offboarding released by an admin', {
      email: record.email,
      jobId: record.jobId,
    });
  }
  deps.logger.info('offboardings released by an admin', {
    released: released.length,
    all: emails === undefined,
  });
  const { out } = deps.output;
  out(`${released.length} released; their disables are queued again.\n`);
  for (const record of released) out(`  ${record.email}\n`);
  if (emails !== undefined) {
    const done = new Set(released.map((record) => record.email.toLowerCase()));
    const notHeld = emails.filter((email) => !done.has(email.toLowerCase()));
    if (notHeld.length > 0) out(`Not held, left alone: ${notHeld.join(', ')}\n`);
  }
  return EXIT.ok;
}

function describe(record: OffboardingRecord) {
  return {
    email: record.email,
    employeeId: record.employeeId,
    effectiveAt: new Date(record.effectiveAt).toISOString(),
    state: record.state,
    reason: record.reason ?? '',
  };
}

async function status(json: boolean, deps: CommandDeps): Promise<number> {
  const counts = await deps.replayer.counts();
  deps.output.out(json ? `${JSON.stringify(counts)}\n` : table(counts));
  return EXIT.ok;
}

async function replayJob(
  id: string,
  queue: QueueName | undefined,
  deps: CommandDeps,
): Promise<number> {
  try {
    const replayed = await deps.replayer.replayOne(id, queue);
    deps.output.out(
      `Replayed job ${replayed.id} on ${replayed.queue} (was ${replayed.from}), with a fresh attempt budget.\n`,
    );
    return EXIT.ok;
  } catch (err: unknown) {
    if (
      err instanceof ServiceError &&
      (err.code === 'ERR_NOT_FOUND' || err.code === 'ERR_CONFLICT')
    ) {
      deps.output.err(`${err.message}\n`);
      return EXIT.notReplayable;
    }
    throw err;
  }
}

async function replayFailed(
  request: CliRequest & { kind: 'failed' },
  deps: CommandDeps,
): Promise<number> {
  const view = deps.progress();
  let result: BulkResult;
  try {
    result = await deps.replayer.replayFailed({
      dryRun: request.dryRun,
      ...(request.queue === undefined ? {} : { queue: request.queue }),
      ...(request.since === undefined ? {} : { since: request.since }),
      ...(request.reason === undefined ? {} : { reason: request.reason }),
      onProgress: view.update,
    });
  } finally {
    view.stop();
  }
  const { out, err } = deps.output;
  const jobs = (n: number) => `${n} job${n === 1 ? '' : 's'}`;
  if (result.dryRun) {
    out(`${jobs(result.matched)} matched (dry run: nothing replayed).\n`);
    for (const job of result.jobs) {
      out(`  ${job.queue.padEnd(8)} ${job.id}  ${oneLine(job.failedReason)}\n`);
    }
    if (result.matched > result.jobs.length) {
      out(`  … and ${result.matched - result.jobs.length} more\n`);
    }
  } else if (result.matched === 0) {
    out('0 jobs matched; nothing replayed.\n');
  } else {
    out(
      `${jobs(result.matched)} matched; replayed ${result.replayed}, with a fresh attempt budget.\n`,
    );
  }
  if (result.errors > 0) {
    err(`${jobs(result.errors)} could not be replayed; see the "job replay failed" log lines.\n`);
    return EXIT.error;
  }
  return EXIT.ok;
}

function table(counts: JobCounts): string {
  const header = ['queue', ...LIST_STATES];
  const rows = QUEUE_NAMES.map((name) => [
    name,
    ...LIST_STATES.map((s) => String(counts[name][s])),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]) =>
    cells
      .map((cell, i) => (i === 0 ? cell.padEnd(widths[i] ?? 0) : cell.padStart(widths[i] ?? 0)))
      .join('  ')
      .trimEnd();
  return `${[header, ...rows].map(line).join('\n')}\n`;
}

function oneLine(text: string): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > 100 ? `${flat.slice(0, 99)}…` : flat;
}
