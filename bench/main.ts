/**
 * `npm run bench [-- options]`: the benchmarks of issue #6 (intake, end to end, backlog). Writes
 * `bench/results/<name>-<date>.json` per benchmark and `bench/results/latest.md` (the tables of
 * docs/performance.md). Timings are reported, never judged: only a crash fails the command.
 */
import { join } from 'node:path';
import { Command, InvalidArgumentError, Option } from 'commander';
import { runBacklog } from './backlog.js';
import { E2E_VARIANTS, runE2e } from './e2e.js';
import { runIntake } from './intake.js';
import { runRules } from './rules.js';
import { runScale } from './scale.js';
import { describeMachine } from './machine.js';
import { cleanUpOnSignals } from './processes.js';
import { RESULTS_DIR, writeJson, writeMarkdown, type Report } from './report.js';
import { connect, privateRedis, REDIS_URL, startPrivateRedis } from './redis.js';
import type { WorkerKind } from './stack.js';

const BENCHES = ['intake', 'e2e', 'backlog', 'scale', 'rules'] as const;
type Bench = (typeof BENCHES)[number];

interface Options {
  readonly quick: boolean;
  readonly only?: Bench;
  readonly scale: boolean;
  readonly scaleHires?: number;
  readonly scaleLatency: number;
  readonly runs?: number;
  readonly profile: boolean;
  readonly ladder: boolean;
  readonly duration?: number;
  readonly hires?: number;
  readonly backlogHires?: number;
  readonly maxRps: number;
  readonly concurrency: number;
  readonly latency: number;
  readonly sharedRedis: boolean;
  readonly e2eVariants?: WorkerKind[];
  readonly e2eQueuedFirst: boolean;
}

const positive = (value: string): number => {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('a whole number ≥ 1');
  return n;
};

const program = new Command('bench')
  .description('Speed and cost of docspace-onboarding against its baselines (issue #6)')
  .option('--quick', 'small sizes and one run: proves the benchmarks work (CI), < 2 minutes', false)
  .addOption(new Option('--only <bench>', 'run one benchmark').choices(BENCHES))
  .option(
    '--scale',
    'scaling out only (same as --only scale): 1, 2 and 4 workers, at 25 requests/s and no cap',
    false,
  )
  .option('--scale-hires <n>', 'scale: hires per run (default 1500; 60 with --quick)', positive)
  .option('--scale-latency <ms>', 'scale: simulator latency per call', positive, 100)
  .option('--runs <n>', 'runs per benchmark (default 3; 1 with --quick)', positive)
  .option('--profile', 'write a CPU profile of the service during the intake benchmark', false)
  .option('--ladder', 'intake: also measure each step from `queue.add` to the service', false)
  .option(
    '--duration <s>',
    'intake: seconds per handler and run (default 10; 2 with --quick)',
    positive,
  )
  .option('--hires <n>', 'end to end: hires (default 1000; 300 with --quick)', positive)
  .option('--backlog-hires <n>', 'backlog: hires (default 100000; 2000 with --quick)', positive)
  .option(
    '--max-rps <n>',
    'end to end: DOCSPACE_MAX_RPS (default 10000: no cap, the bound is concurrency ÷ latency)',
    positive,
    10_000,
  )
  .option('--concurrency <n>', 'end to end: DOCSPACE_CONCURRENCY', positive, 10)
  .option('--latency <ms>', 'end to end: simulator latency per call', positive, 20)
  .option(
    '--e2e-queued-first',
    'end to end: accept every delivery before the worker starts (times and counts the worker alone)',
    false,
  )
  .addOption(
    new Option(
      '--e2e-variants <workers...>',
      'end to end: only these workers (e.g. `service` alone for before/after pairs)',
    ).choices(E2E_VARIANTS),
  )
  .option(
    '--shared-redis',
    'use REDIS_URL instead of a private redis-server (Redis CPU and command counts then include everyone else on it)',
    false,
  )
  .action(async (options: Options) => {
    await main(options);
  });

async function main(options: Options): Promise<void> {
  cleanUpOnSignals();
  const log = (line: string): void => {
    process.stdout.write(`${line}\n`);
  };
  // Its own Redis unless told otherwise: commands per hire and Redis CPU are then the bench's alone.
  const own = options.sharedRedis ? undefined : await startPrivateRedis();
  try {
    await requireRedis();
    await runSelected(options, log);
  } finally {
    await own?.stop();
  }
}

async function runSelected(options: Options, log: (line: string) => void): Promise<void> {
  const quick = options.quick;
  const only = options.scale ? 'scale' : options.only;
  // Scaling out takes minutes: run on its own (--scale), or small within --quick.
  const selected = (name: Bench): boolean =>
    only === undefined ? name !== 'scale' || quick : only === name;
  // The scaling runs are long: once each unless asked.
  const runs = options.runs ?? (quick || only === 'scale' ? 1 : 3);
  const machine = await describeMachine();
  log(
    `bench: ${machine.cpus} vCPU, Node ${machine.node}, Redis ${machine.redis} (${privateRedis ? 'its own redis-server' : `shared, ${REDIS_URL}`}), ${runs} run(s)${quick ? ', quick' : ''}`,
  );
  let report: Report = { machine, quick, runs };

  if (selected('intake')) {
    const intake = await runIntake({
      durationS: options.duration ?? (quick ? 2 : 10),
      warmupS: quick ? 1 : 3,
      connections: 50,
      runs,
      ladder: options.ladder,
      ...(options.profile ? { profileDir: join(RESULTS_DIR, 'profiles') } : {}),
      log,
    });
    report = { ...report, intake };
    log(`bench: ${writeJson('intake', machine, intake)}`);
    if (intake.profile) {
      const owners = Object.entries(intake.profile.byOwner).filter(([, share]) => share >= 0.5);
      log(`bench: profile ${intake.profile.file}`);
      log(
        `busy time by owner (%): ${owners.map(([owner, share]) => `${owner} ${share}`).join(', ')}`,
      );
      log('functions with the most self time (all, then ours):');
      for (const entry of [...intake.profile.top, ...intake.profile.ours]) {
        log(`  ${String(entry.share).padStart(5)}%  ${entry.name}  ${entry.where}`);
      }
    }
  }
  if (selected('e2e')) {
    const e2e = await runE2e({
      hires: options.hires ?? (quick ? 300 : 1000),
      existingShare: 0.1,
      repeatShare: 0.05,
      latencyMs: options.latency,
      maxRps: options.maxRps,
      concurrency: options.concurrency,
      batchSize: 50,
      runs,
      ...(options.e2eVariants ? { variants: options.e2eVariants } : {}),
      queuedFirst: options.e2eQueuedFirst,
      log,
    });
    report = { ...report, e2e };
    log(`bench: ${writeJson('e2e', machine, e2e)}`);
  }
  if (selected('backlog')) {
    const backlog = await runBacklog({
      hires: options.backlogHires ?? (quick ? 2000 : 100_000),
      latencyMs: 20,
      maxRps: 500,
      concurrency: 50,
      batchSize: 50,
      log,
    });
    report = { ...report, backlog };
    log(`bench: ${writeJson('backlog', machine, backlog)}`);
  }
  if (selected('scale')) {
    const scale = await runScale({
      hires: options.scaleHires ?? (quick ? 60 : 1500),
      workerCounts: quick ? [1, 2] : [1, 2, 4],
      // DocSpace cloud: 1,500 requests a minute per portal (docs/docspace.md#how-docspace-behaves).
      caps: [25, null],
      latencyMs: options.scaleLatency,
      concurrency: options.concurrency,
      batchSize: 50,
      log,
    });
    report = { ...report, scale };
    log(`bench: ${writeJson('scale', machine, scale)}`);
  }
  if (selected('rules')) {
    // Groups and rooms by rule (docs/rules.md): DocSpace calls per hire with rules on.
    const rules = await runRules({
      hires: options.hires ?? (quick ? 200 : 1000),
      batchSize: 50,
      log,
    });
    log(`bench: ${writeJson('rules', machine, rules)}`);
  }
  const { file, text } = await writeMarkdown(report);
  log(`\n${text}\nbench: ${file}`);
}

async function requireRedis(): Promise<void> {
  const redis = connect();
  try {
    await redis.ping();
  } catch {
    throw new Error(
      `no Redis answers at ${REDIS_URL}: start one (docker compose up -d redis) or set REDIS_URL`,
    );
  } finally {
    redis.disconnect();
  }
}

await program.parseAsync().catch((err: unknown) => {
  process.stderr.write(
    `bench: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`,
  );
  process.exit(1);
});
// Timers of libraries (ioredis reconnects, autocannon) must not keep a finished run alive.
process.exit(0);
