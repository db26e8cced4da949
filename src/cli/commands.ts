import { ServiceError } from '../errors.js';
import { LIST_STATES, QUEUE_NAMES, type JobCounts, type QueueName } from '../queue/job-listing.js';
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
  }
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
