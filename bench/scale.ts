import { Queue } from 'bullmq';
import { QUEUES } from '../src/queue/keys.js';
import { checkRules, startSimulator, waitUntilInvited } from './e2e.js';
import { newSecret, postDeliveries, workload } from './hires.js';
import { cleanupOnInterrupt, procCpuSeconds } from './processes.js';
import { benchPrefix, connect, deletePrefix, redisCpuSeconds } from './redis.js';
import { startBenchApi, startWorkerProcess } from './stack.js';
import { busiestSecond, median, round, withoutLog } from './stats.js';

export interface ScaleOptions {
  readonly hires: number;
  readonly workerCounts: readonly number[];
  /** Requests per second DocSpace allows (its 429 beyond), and DOCSPACE_MAX_RPS; null: no cap. */
  readonly caps: readonly (number | null)[];
  readonly latencyMs: number;
  readonly concurrency: number;
  readonly batchSize: number;
  readonly log: (line: string) => void;
}

export interface ScaleSample {
  readonly workers: number;
  readonly cap: number | null;
  readonly seconds: number;
  readonly hiresPerSecond: number;
  /** DocSpace requests per second over the run, and in its busiest second. */
  readonly requestsPerSecond: number;
  readonly busiestSecond: number;
  readonly answered429: number;
  readonly callsPerHire: number;
  /**
   * CPU used per second of the run (1 = one core busy): the worker processes together, this
   * process (the simulator and the API), and Redis.
   */
  readonly workerCores: number;
  readonly benchCores: number;
  readonly redisCores: number;
  /** Median time a provision job took, from start to finish (DocSpace call and Redis steps). */
  readonly jobMs: number;
  /** What bounds the rate: the cap, or workers × concurrency ÷ latency, in hires/s. */
  readonly capBound: number | null;
  readonly concurrencyBound: number;
  readonly rulesHeld: boolean;
}

export interface ScaleResult {
  readonly settings: Omit<ScaleOptions, 'log'>;
  readonly samples: ScaleSample[];
}

/**
 * Scaling out (issue #13): the same hires through the real API into 1, 2 and 4 worker processes,
 * against the simulator with DocSpace cloud's cap (it answers 429 beyond `cap` requests a second,
 * and the service is set to the same DOCSPACE_MAX_RPS) and with no cap at all.
 */
export async function runScale(options: ScaleOptions): Promise<ScaleResult> {
  const work = workload(options.hires, 0.1, 0.05);
  const samples: ScaleSample[] = [];
  for (const cap of options.caps) {
    for (const workers of options.workerCounts) {
      const sample = await runOnce(workers, cap, work, options);
      samples.push(sample);
      options.log(
        `scale ${workers} worker(s), cap ${cap ?? 'none'}: ${sample.seconds} s, ${sample.hiresPerSecond} hires/s, ${sample.requestsPerSecond} requests/s (busiest second ${sample.busiestSecond}, ${sample.answered429} × 429), job ${sample.jobMs} ms, cores: workers ${sample.workerCores}, simulator+API ${sample.benchCores}, Redis ${sample.redisCores}; rules ${sample.rulesHeld ? 'held' : 'BROKEN'}`,
      );
    }
  }
  return { settings: withoutLog(options), samples };
}

async function runOnce(
  workers: number,
  cap: number | null,
  work: ReturnType<typeof workload>,
  options: ScaleOptions,
): Promise<ScaleSample> {
  const prefix = benchPrefix(`scale-${workers}`);
  const secret = newSecret();
  const redis = connect();
  const forget = cleanupOnInterrupt('keys', () => deletePrefix(redis, prefix));
  const { sim, simUrl } = await startSimulator(work, {
    latencyMs: options.latencyMs,
    rateLimitPerSecond: cap,
  });
  const api = await startBenchApi(prefix, secret);
  const hires = new Queue(QUEUES.hires, { connection: redis, prefix });
  const running = await Promise.all(
    Array.from({ length: workers }, () =>
      startWorkerProcess('service', {
        prefix,
        docspaceUrl: simUrl,
        // No cap: the highest DOCSPACE_MAX_RPS the service takes.
        maxRps: cap ?? 10_000,
        concurrency: options.concurrency,
        batchSize: options.batchSize,
      }),
    ),
  );
  const cpuAtStart = running.map((w) => procCpuSeconds(w.pid));
  const benchCpuAtStart = process.cpuUsage();
  const redisCpuAtStart = await redisCpuSeconds(redis);
  try {
    const existing = new Set(work.existing.map((h) => h.email.toLowerCase()));
    const expected = work.hires.map((h) => h.email.toLowerCase()).filter((e) => !existing.has(e));
    const started = Date.now();
    await postDeliveries(`http://127.0.0.1:${api.port}`, secret, work.deliveries, 20);
    const deadline = Date.now() + 120_000 + (10_000 * options.hires) / (cap ?? 100);
    const state = await waitUntilInvited({
      what: `scale ${workers}`,
      ...{ sim, hires, redis, prefix, expected, deadline },
      buffered: true,
    });
    const seconds =
      (Math.max(...state.calls.map((c) => c.at)) + options.latencyMs - started) / 1000;
    const cpu = running.reduce(
      (sum, w, i) => sum + procCpuSeconds(w.pid) - (cpuAtStart[i] ?? 0),
      0,
    );
    const benchCpu = process.cpuUsage(benchCpuAtStart);
    const redisCpu = (await redisCpuSeconds(redis)) - redisCpuAtStart;
    const jobs = await hires.getCompleted(0, -1);
    const checks = checkRules(state, expected, existing);
    const callsPerHire = state.calls.length / options.hires;
    const perHire = (requests: number) => round(requests / callsPerHire, 1);
    return {
      workers,
      cap,
      seconds: round(seconds, 1),
      hiresPerSecond: round(options.hires / seconds, 1),
      requestsPerSecond: round(state.calls.length / seconds, 1),
      busiestSecond: busiestSecond(state.calls.map((c) => c.at)),
      answered429: state.calls.filter((c) => c.status === 429).length,
      callsPerHire: round(callsPerHire, 3),
      workerCores: round(cpu / seconds, 2),
      benchCores: round((benchCpu.user + benchCpu.system) / 1e6 / seconds, 2),
      redisCores: round(redisCpu / seconds, 2),
      jobMs: Math.round(median(jobs.map((job) => (job.finishedOn ?? 0) - (job.processedOn ?? 0)))),
      capBound: cap === null ? null : perHire(cap),
      concurrencyBound: perHire((workers * options.concurrency * 1000) / options.latencyMs),
      rulesHeld:
        checks.created === checks.newHires &&
        checks.invitedOnce === checks.newHires &&
        checks.invitedMoreThanOnce === 0 &&
        checks.existingInvited === 0,
    };
  } finally {
    await Promise.all(running.map((w) => w.stop()));
    await api.close();
    await hires.close();
    await sim.close();
    await deletePrefix(redis, prefix);
    forget();
    redis.disconnect();
  }
}
