import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { parseDuration } from '../domain/duration.js';
import { PayloadError } from '../errors.js';
import { QUEUE_NAMES, type QueueName } from '../queue/job-listing.js';

/** Exit codes of `npm run replay`; scripts rely on them, so they never change meaning. */
export const EXIT = {
  /** Done, including "0 jobs matched". */
  ok: 0,
  /** Unexpected error, bad settings, or some matched jobs could not be replayed. */
  error: 1,
  /** Usage error: unknown option, bad value, missing or conflicting action. */
  usage: 2,
  /** `--job`: no such job, or it is neither failed nor completed. */
  notReplayable: 3,
  /** Redis did not answer. */
  redisUnreachable: 4,
} as const;

export type CliRequest =
  | { readonly kind: 'status'; readonly json: boolean }
  | {
      readonly kind: 'failed';
      readonly since?: number;
      readonly reason?: string;
      readonly queue?: QueueName;
      readonly dryRun: boolean;
    }
  | { readonly kind: 'job'; readonly id: string; readonly queue?: QueueName }
  | { readonly kind: 'held'; readonly json: boolean }
  /** `emails` undefined: every held offboarding (`--all`). */
  | { readonly kind: 'release-held'; readonly emails?: readonly string[] };

export interface CliOutput {
  readonly out: (text: string) => void;
  readonly err: (text: string) => void;
}

const HELP_AFTER = `
Examples:
  npm run replay -- --failed --since 2h --reason "DOCSPACE_API_KEY" --dry-run
  npm run replay -- --failed --queue invites
  npm run replay -- --job hire-3f2a9c-0
  npm run replay -- status --json
  npm run replay -- held
  npm run replay -- release-held ada@example.com grace@example.com
  npm run replay -- release-held --all

Every replay gives the job a fresh attempt budget and is logged (JSON lines on stderr), as is
every release of a held offboarding (emails masked).
Redis is found as the service finds it (REDIS_URL, REDIS_SENTINELS or REDIS_CLUSTER_NODES, and
QUEUE_PREFIX), from the environment or .env.

Exit codes:
  0  done (also when nothing matched: "0 jobs matched", "0 released")
  1  unexpected error, bad settings, or some matched jobs could not be replayed
  2  usage error (unknown option, bad value, missing or conflicting action)
  3  --job: no such job, or it is neither failed nor completed
  4  Redis unreachable
`;

interface RootOptions {
  failed?: true;
  job?: string;
  since?: number;
  reason?: string;
  dryRun?: true;
  queue?: QueueName;
}

/**
 * Reads the command line (commander) into a request, or the exit code to stop with: help and
 * version exit 0, every usage error 2 (commander's own message on stderr). Nothing here touches
 * Redis, so a typo never half-runs a replay.
 */
export function parseCli(
  args: readonly string[],
  output: CliOutput,
): CliRequest | { exit: number } {
  let request: CliRequest | undefined;
  const program = new Command('replay')
    .description(
      'Replay failed jobs of docspace-onboarding, show the queues, or release held offboardings.',
    )
    .exitOverride()
    .configureOutput({ writeOut: output.out, writeErr: output.err })
    .showHelpAfterError('(add --help for usage)')
    .addHelpText('after', HELP_AFTER);

  const queueOption = () =>
    new Option('--queue <name>', 'only this queue (default: both)').choices(QUEUE_NAMES);
  program
    .addOption(new Option('--failed', 'replay every failed job that matches the filters'))
    .addOption(new Option('--job <id>', 'replay one failed or completed job').conflicts('failed'))
    .addOption(
      new Option(
        '--since <duration>',
        'with --failed: only jobs that failed within 90s, 30m, 2h, 7d…',
      ).argParser(sinceArg),
    )
    .addOption(
      new Option(
        '--reason <text>',
        'with --failed: only jobs whose failure reason contains TEXT (any case)',
      ),
    )
    .addOption(new Option('--dry-run', 'with --failed: count and list the matches, replay nothing'))
    .addOption(queueOption())
    .action((options: RootOptions) => {
      request = rootRequest(options, (message) =>
        program.error(`error: ${message}`, { exitCode: EXIT.usage, code: 'replay.usage' }),
      );
    });

  program
    .command('status')
    .description('count the jobs per state per queue')
    .option('--json', 'print JSON for machines instead of a table')
    .action((options: { json?: true }) => {
      request = { kind: 'status', json: options.json === true };
    });

  program
    .command('held')
    .description('list the offboardings held by OFFBOARDING_MAX_PER_HOUR, waiting for an admin')
    .option('--json', 'print JSON for machines instead of lines')
    .action((options: { json?: true }) => {
      request = { kind: 'held', json: options.json === true };
    });

  const releaseHeld = program
    .command('release-held')
    .description('release held offboardings: the EMAILs named, or every one with --all')
    .argument('[emails...]', 'the leavers to release')
    .addOption(new Option('--all', 'release every held offboarding'))
    .action((emails: string[], options: { all?: true }) => {
      const named = emails.map((email) => email.trim()).filter((email) => email !== '');
      const usage = (message: string): never =>
        releaseHeld.error(`error: ${message}`, { exitCode: EXIT.usage, code: 'replay.usage' });
      if (options.all === true && emails.length > 0) usage('give EMAILs or --all, not both');
      if (options.all !== true && named.length === 0) {
        usage('name the EMAILs to release, or give --all to release every held offboarding');
      }
      request =
        options.all === true ? { kind: 'release-held' } : { kind: 'release-held', emails: named };
    });

  try {
    program.parse([...args], { from: 'user' });
  } catch (err: unknown) {
    if (err instanceof CommanderError) return { exit: err.exitCode === 0 ? EXIT.ok : EXIT.usage };
    throw err;
  }
  return request ?? { exit: EXIT.usage };
}

function rootRequest(options: RootOptions, usage: (message: string) => never): CliRequest {
  const queue = options.queue === undefined ? {} : { queue: options.queue };
  if (options.job !== undefined) {
    const onlyFailed = ['since', 'reason', 'dryRun'] as const;
    const misplaced = onlyFailed.filter((name) => options[name] !== undefined);
    if (misplaced.length > 0) usage(`--${flag(misplaced[0] ?? '')} goes with --failed, not --job`);
    if (options.job.trim() === '') usage('--job needs a job id');
    return { kind: 'job', id: options.job.trim(), ...queue };
  }
  if (options.failed !== true) {
    usage('nothing to do: give --failed, --job ID, or the status, held or release-held command');
  }
  if (options.reason?.trim() === '') usage('--reason needs some text to look for');
  return {
    kind: 'failed',
    dryRun: options.dryRun === true,
    ...queue,
    ...(options.since === undefined ? {} : { since: options.since }),
    ...(options.reason === undefined ? {} : { reason: options.reason }),
  };
}

function sinceArg(value: string): number {
  try {
    return parseDuration(value, '--since');
  } catch (err: unknown) {
    if (err instanceof PayloadError) throw new InvalidArgumentError(err.details[0]?.message ?? '');
    throw err;
  }
}

function flag(name: string): string {
  return name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
}
