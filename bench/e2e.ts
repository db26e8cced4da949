import { Queue } from 'bullmq';
import { DEMO_API_KEY } from '../docspace-sim/constants.js';
import { createDocspaceSim, type DocspaceSim } from '../docspace-sim/server.js';
import type { SimFaults, SimState } from '../docspace-sim/types.js';
import type { Redis } from 'ioredis';
import { QUEUES } from '../src/queue/keys.js';
import { newSecret, postDeliveries, workload, type Workload } from './hires.js';
import { cleanupOnInterrupt, procCpuSeconds } from './processes.js';
import {
  benchPrefix,
  commandStats,
  commandsBetween,
  connect,
  deletePrefix,
  prefixFootprint,
  sampleUsedMemory,
  socketReads,
} from './redis.js';
import {
  invitesSettled,
  startBenchApi,
  startWorkerProcess,
  unfinishedJobs,
  type WorkerKind,
} from './stack.js';
import { mib, medianOf, round, sleep, withoutLog } from './stats.js';

/** How long the idle worker's own Redis traffic is sampled before each run. */
const IDLE_SAMPLE_MS = 3_000;

export const E2E_VARIANTS: readonly WorkerKind[] = ['service', 'seed', 'naive'];

export interface E2eOptions {
  readonly hires: number;
  readonly existingShare: number;
  readonly repeatShare: number;
  readonly latencyMs: number;
  readonly maxRps: number;
  readonly concurrency: number;
  readonly batchSize: number;
  readonly runs: number;
  /** Accept every delivery before the worker starts: times and counts the worker alone. */
  readonly queuedFirst?: boolean;
  /** Which workers to run (default {@link E2E_VARIANTS}): `--e2e-variants service` for A/B pairs. */
  readonly variants?: readonly WorkerKind[];
  readonly log: (line: string) => void;
}

export interface E2eSample {
  readonly variant: WorkerKind;
  readonly run: number;
  /** From the first delivery posted to the answer of the last DocSpace call. */
  readonly seconds: number;
  /** From the first delivery posted to the intake's answer to the last (the worker cannot beat it). */
  readonly postedSeconds: number;
  readonly hiresPerSecond: number;
  readonly calls: number;
  readonly callsPerHire: number;
  readonly callsByEndpoint: Record<string, number>;
  readonly inviteCalls: number;
  /** People per invite call, in call order. */
  readonly inviteBatchSizes: readonly number[];
  readonly workerPeakRssMiB: number;
  readonly workerCpuMsPerHire: number;
  /** Peak of Redis' used_memory above its level before the run (the whole server). */
  readonly redisPeakDeltaMiB: number;
  /** What the run's prefix holds in Redis once done (exact, `MEMORY USAGE`). */
  readonly redisPrefixMiB: number;
  /**
   * Redis commands per hire over the whole run (intake through the API, worker, flushes; Lua
   * scripts' inner commands included), from `INFO commandstats`; exact only on the bench's own Redis.
   */
  readonly redisCommandsPerHire: number;
  /**
   * The same less what the idle worker sends anyway (stall checks, lock renewals, the invite tick;
   * measured for 3 s before the run, times the run's length): on a slow machine runs last longer,
   * and this part grows with time, not with hires.
   */
  readonly redisCommandsPerHireLessIdle: number;
  /**
   * Reads of client sockets by Redis per hire over the run (`total_reads_processed`, the bench's
   * own few included): about its round trips per hire.
   */
  readonly redisReadsPerHire: number;
  /** The same, by command (per hire, two decimals), most first. */
  readonly redisCommandsByName: Record<string, number>;
  readonly checks: E2eChecks;
}

/** The provisioning rules, checked on what the simulator saw (reported, never asserted here). */
export interface E2eChecks {
  readonly newHires: number;
  readonly created: number;
  readonly invitedOnce: number;
  readonly invitedMoreThanOnce: number;
  readonly existingInvited: number;
  readonly errorLines: readonly string[];
}

export interface E2eResult {
  readonly settings: Omit<E2eOptions, 'log'>;
  /** Requests/s allowed: min(DOCSPACE_MAX_RPS, DOCSPACE_CONCURRENCY × 1000 / latency). */
  readonly requestBound: number;
  /**
   * Fewest calls per hire: one create each, one lookup per person who already had an account
   * (their create is refused, and rule 10 settles a refusal by a lookup, never by DocSpace's
   * text), and one invite call per batch of new hires: 1 + existing share + new share ÷ batch.
   */
  readonly floorCallsPerHire: number;
  /** requestBound / floorCallsPerHire. */
  readonly hiresPerSecondBound: number;
  readonly samples: E2eSample[];
  readonly medians: Record<
    string,
    Omit<
      E2eSample,
      | 'variant'
      | 'run'
      | 'postedSeconds'
      | 'redisReadsPerHire'
      | 'callsByEndpoint'
      | 'inviteBatchSizes'
      | 'checks'
      | 'redisCommandsByName'
    >
  >;
  /** Service hires/s over the bound (target ≥ 0.8 with no request cap, issue #12). */
  readonly serviceVsBound: number;
  readonly serviceVsSeed: number;
  readonly serviceVsNaive: number;
}

/**
 * 5,000 hires (10% with an account already, 5% delivered twice) through the real API into one
 * worker process, against the built-in simulator at `latencyMs` per call; the same for the seed
 * algorithm and the naive worker, each on a fresh simulator and prefix, interleaved per run.
 */
export async function runE2e(options: E2eOptions): Promise<E2eResult> {
  const work = workload(options.hires, options.existingShare, options.repeatShare);
  const newHires = options.hires - work.existing.length;
  const requestBound = requestBoundOf(options);
  const floorCallsPerHire =
    (options.hires + work.existing.length + Math.ceil(newHires / options.batchSize)) /
    options.hires;
  const hiresPerSecondBound = requestBound / floorCallsPerHire;
  const samples: E2eSample[] = [];
  const variants = options.variants ?? E2E_VARIANTS;
  for (let run = 1; run <= options.runs; run++) {
    for (const variant of variants) {
      const sample = await runOnce(variant, run, work, options);
      samples.push(sample);
      options.log(
        `e2e run ${run} ${variant.padEnd(7)} ${sample.seconds.toFixed(1).padStart(6)} s (posted in ${sample.postedSeconds.toFixed(1)} s)  ${sample.hiresPerSecond.toFixed(1).padStart(6)} hires/s  ${sample.callsPerHire.toFixed(3)} calls/hire  ${sample.inviteCalls} invite calls  RSS ${sample.workerPeakRssMiB} MiB  Redis +${sample.redisPeakDeltaMiB} MiB  ${sample.redisCommandsPerHire} Redis commands/hire (${sample.redisCommandsPerHireLessIdle} less idle), ${sample.redisReadsPerHire} socket reads/hire  checks ${checksLine(sample.checks)}`,
      );
      options.log(
        `  commands/hire: ${Object.entries(sample.redisCommandsByName)
          .slice(0, 14)
          .map(([name, n]) => `${name} ${n}`)
          .join(', ')}`,
      );
    }
  }
  const medians: E2eResult['medians'] = {};
  for (const variant of variants) {
    const mine = samples.filter((s) => s.variant === variant);
    medians[variant] = {
      seconds: round(
        medianOf(mine, (s) => s.seconds),
        1,
      ),
      hiresPerSecond: round(
        medianOf(mine, (s) => s.hiresPerSecond),
        1,
      ),
      calls: medianOf(mine, (s) => s.calls),
      callsPerHire: round(
        medianOf(mine, (s) => s.callsPerHire),
        3,
      ),
      inviteCalls: medianOf(mine, (s) => s.inviteCalls),
      workerPeakRssMiB: round(
        medianOf(mine, (s) => s.workerPeakRssMiB),
        1,
      ),
      workerCpuMsPerHire: round(
        medianOf(mine, (s) => s.workerCpuMsPerHire),
        2,
      ),
      redisPeakDeltaMiB: round(
        medianOf(mine, (s) => s.redisPeakDeltaMiB),
        1,
      ),
      redisPrefixMiB: round(
        medianOf(mine, (s) => s.redisPrefixMiB),
        1,
      ),
      redisCommandsPerHire: round(
        medianOf(mine, (s) => s.redisCommandsPerHire),
        1,
      ),
      redisCommandsPerHireLessIdle: round(
        medianOf(mine, (s) => s.redisCommandsPerHireLessIdle),
        1,
      ),
    };
  }
  const hps = (variant: string): number => medians[variant]?.hiresPerSecond ?? Number.NaN;
  return {
    settings: withoutLog(options),
    requestBound,
    floorCallsPerHire: round(floorCallsPerHire, 3),
    hiresPerSecondBound: round(hiresPerSecondBound, 2),
    samples,
    medians,
    serviceVsBound: round(hps('service') / hiresPerSecondBound, 3),
    serviceVsSeed: round(hps('service') / hps('seed'), 2),
    serviceVsNaive: round(hps('service') / hps('naive'), 2),
  };
}

/** Requests/s allowed: min(DOCSPACE_MAX_RPS, DOCSPACE_CONCURRENCY × 1000 / latency). */
function requestBoundOf(options: E2eOptions): number {
  return Math.min(options.maxRps, (options.concurrency * 1000) / options.latencyMs);
}

function checksLine(checks: E2eChecks): string {
  const ok =
    checks.created === checks.newHires &&
    checks.invitedOnce === checks.newHires &&
    checks.invitedMoreThanOnce === 0 &&
    checks.existingInvited === 0;
  return ok
    ? 'ok'
    : `created ${checks.created}/${checks.newHires}, invited once ${checks.invitedOnce}, more than once ${checks.invitedMoreThanOnce}, existing invited ${checks.existingInvited}`;
}

async function runOnce(
  variant: WorkerKind,
  run: number,
  work: Workload,
  options: E2eOptions,
): Promise<E2eSample> {
  const prefix = benchPrefix(`e2e-${variant}`);
  const secret = newSecret();
  const redis = connect();
  const forget = cleanupOnInterrupt('keys', () => deletePrefix(redis, prefix));
  const { sim, simUrl } = await startSimulator(work, { latencyMs: options.latencyMs });
  const api = await startBenchApi(prefix, secret);
  const hires = new Queue(QUEUES.hires, { connection: redis, prefix });
  const post = async (): Promise<number> => {
    await postDeliveries(`http://127.0.0.1:${api.port}`, secret, work.deliveries, 20);
    return Date.now();
  };
  // --e2e-queued-first: every delivery is accepted before the worker starts (the worker alone is
  // timed and counted; no idle sample, as it starts busy).
  const postedFirst = options.queuedFirst === true ? await post() : undefined;
  const worker = await startWorkerProcess(variant, {
    prefix,
    docspaceUrl: simUrl,
    maxRps: options.maxRps,
    concurrency: options.concurrency,
    batchSize: options.batchSize,
  });
  const cpuAtReady = procCpuSeconds(worker.pid);
  const memory = sampleUsedMemory(redis, 500);
  try {
    const existing = new Set(work.existing.map((h) => h.email.toLowerCase()));
    const expected = work.hires.map((h) => h.email.toLowerCase()).filter((e) => !existing.has(e));
    const idleStart = await commandStats(redis);
    if (postedFirst === undefined) await sleep(IDLE_SAMPLE_MS);
    const commandsBefore = await commandStats(redis);
    const readsBefore = await socketReads(redis);
    const idlePerSecond =
      postedFirst === undefined
        ? (commandsBetween(idleStart, commandsBefore).total * 1000) / IDLE_SAMPLE_MS
        : 0;
    const started = Date.now();
    const posted = postedFirst ?? (await post());
    // Generous on a loaded machine: ten times what the one-by-one seed needs, plus two minutes.
    const deadline =
      Date.now() +
      120_000 +
      10 * options.hires * Math.max(options.latencyMs, 1000 / requestBoundOf(options));
    const state = await waitUntilInvited({
      what: `e2e ${variant}`,
      ...{ sim, hires, redis, prefix, expected, deadline },
      buffered: variant === 'service',
    });
    const commands = commandsBetween(commandsBefore, await commandStats(redis));
    const reads = (await socketReads(redis)) - readsBefore;
    const lastAnswer = Math.max(...state.calls.map((c) => c.at)) + options.latencyMs;
    const seconds = (lastAnswer - started) / 1000;
    const peakRss = worker.peakRss();
    const cpu = procCpuSeconds(worker.pid) - cpuAtReady;
    const samples = await memory.stop();
    const base = samples[0]?.usedMemory ?? 0;
    const peak = Math.max(...samples.map((s) => s.usedMemory));
    const footprint = await prefixFootprint(redis, prefix);
    const callsByEndpoint: Record<string, number> = {};
    for (const call of state.calls) {
      const key = `${call.method} ${call.path}`;
      callsByEndpoint[key] = (callsByEndpoint[key] ?? 0) + 1;
    }
    const calls = state.calls.length;
    return {
      variant,
      run,
      seconds: round(seconds, 2),
      postedSeconds: round(Math.max(0, posted - started) / 1000, 2),
      hiresPerSecond: round(options.hires / seconds, 2),
      calls,
      callsPerHire: round(calls / options.hires, 3),
      callsByEndpoint,
      inviteCalls: callsByEndpoint['POST /api/2.0/people/invite'] ?? 0,
      inviteBatchSizes: state.calls
        .filter((c) => c.path === '/api/2.0/people/invite')
        .map((c) => c.emails?.length ?? 0),
      workerPeakRssMiB: mib(peakRss),
      workerCpuMsPerHire: round((cpu * 1000) / options.hires, 2),
      redisPeakDeltaMiB: mib(peak - base),
      redisPrefixMiB: mib(footprint.bytes),
      redisCommandsPerHire: round(commands.total / options.hires, 1),
      redisCommandsPerHireLessIdle: round(
        Math.max(0, commands.total - idlePerSecond * ((Date.now() - started) / 1000)) /
          options.hires,
        1,
      ),
      redisReadsPerHire: round(reads / options.hires, 1),
      redisCommandsByName: Object.fromEntries(
        Object.entries(commands.byCommand).map(([name, n]) => [name, round(n / options.hires, 2)]),
      ),
      checks: { ...checkRules(state, expected, existing), errorLines: worker.keptLines },
    };
  } finally {
    await memory.stop();
    await worker.stop();
    await api.close();
    await hires.close();
    await sim.close();
    await deletePrefix(redis, prefix);
    forget();
    redis.disconnect();
  }
}

/**
 * The simulator of one run, at `faults` (latency, a cap), holding the workload's people who already
 * have an account, half of them in another case: DocSpace compares emails case-insensitively.
 */
export async function startSimulator(
  work: Workload,
  faults: Partial<SimFaults>,
): Promise<{ sim: DocspaceSim; simUrl: string }> {
  const sim = createDocspaceSim({ apiKeys: [DEMO_API_KEY] });
  const { url: simUrl } = await sim.listen(0);
  sim.setFaults(faults);
  work.existing.forEach((hire, index) => {
    const email = index % 2 === 0 ? hire.email : hire.email.toUpperCase();
    sim.addUser({ email, firstName: 'Already', lastName: 'There' });
  });
  return { sim, simUrl };
}

/**
 * Polls until DocSpace created and invited every `expected` email, no job is left and the
 * service's invitation buffer is empty (`buffered`); returns what the simulator saw then. The
 * simulator is asked first: Redis is read only near the end, so the bench's own reads barely
 * count in the run's Redis commands.
 */
export async function waitUntilInvited(run: {
  readonly what: string;
  readonly sim: DocspaceSim;
  readonly hires: Queue;
  readonly redis: Redis;
  readonly prefix: string;
  readonly expected: readonly string[];
  readonly deadline: number;
  readonly buffered: boolean;
}): Promise<SimState> {
  for (;;) {
    if (Date.now() > run.deadline) throw new Error(`${run.what}: not done before the deadline`);
    await sleep(100);
    if (!invitedAll(run.sim.state(), run.expected)) continue;
    if ((await unfinishedJobs(run.hires)) > 0) continue;
    if (run.buffered && !(await invitesSettled(run.redis, run.prefix))) continue;
    const state = run.sim.state();
    if (invitedAll(state, run.expected)) return state;
  }
}

/** Emails named by successful invite calls, with how often. */
export function inviteCounts(state: SimState): Map<string, number> {
  const counts = new Map<string, number>();
  for (const call of state.calls) {
    if (call.path !== '/api/2.0/people/invite' || call.outcome !== 'ok') continue;
    for (const email of call.emails ?? []) {
      const key = email.toLowerCase();
      counts.set(key, (counts.get(key) ?? 0) + 1);
    }
  }
  return counts;
}

export function invitedAll(state: SimState, expected: readonly string[]): boolean {
  const created = new Set(
    state.users.filter((u) => u.createdVia === 'people').map((u) => u.email.toLowerCase()),
  );
  const invited = inviteCounts(state);
  return expected.every((email) => created.has(email) && invited.has(email));
}

export function checkRules(
  state: SimState,
  expected: readonly string[],
  existing: ReadonlySet<string>,
): Omit<E2eChecks, 'errorLines'> {
  const invited = inviteCounts(state);
  const created = state.users.filter((u) => u.createdVia === 'people').length;
  return {
    newHires: expected.length,
    created,
    invitedOnce: expected.filter((email) => invited.get(email) === 1).length,
    invitedMoreThanOnce: [...invited.values()].filter((n) => n > 1).length,
    existingInvited: [...existing].filter((email) => invited.has(email)).length,
  };
}
