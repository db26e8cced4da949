import { Queue } from 'bullmq';
import { QUEUES } from '../src/queue/keys.js';
import { startFakeDocspace } from './fake-docspace.js';
import { cleanupOnInterrupt } from './processes.js';
import { benchHire, newSecret, postDeliveries, type Delivery } from './hires.js';
import {
  benchPrefix,
  connect,
  deletePrefix,
  prefixFootprint,
  sampleUsedMemory,
  usedMemory,
  type KeyGroup,
} from './redis.js';
import { invitesSettled, startBenchApi, startWorkerProcess, unfinishedJobs } from './stack.js';
import { mib, round, sleep } from './stats.js';

export interface BacklogOptions {
  readonly hires: number;
  readonly latencyMs: number;
  readonly maxRps: number;
  readonly concurrency: number;
  readonly batchSize: number;
  readonly log: (line: string) => void;
}

export interface BacklogPoint {
  readonly t: number;
  readonly phase: 'intake' | 'drain';
  readonly redisUsedMiB: number;
  readonly workerRssMiB?: number;
  readonly unfinishedJobs?: number;
}

export interface BacklogResult {
  readonly settings: Omit<BacklogOptions, 'log'>;
  readonly intakeSeconds: number;
  readonly intakeHiresPerSecond: number;
  /** What the prefix holds once every hire is queued and no worker ran. */
  readonly afterIntake: {
    readonly mib: number;
    readonly bytesPerHire: number;
    readonly groups: KeyGroup[];
  };
  readonly drainSeconds: number;
  readonly drainHiresPerSecond: number;
  readonly workerRssStartMiB: number;
  readonly workerPeakRssMiB: number;
  readonly workerRssEndMiB: number;
  /** Peak worker RSS ÷ thousands of hires queued (issue #12: flat memory makes it shrink with size). */
  readonly workerPeakRssMiBPer1000: number;
  /** (Peak − start) worker RSS ÷ thousands of hires queued: what the backlog itself costs the worker. */
  readonly workerRssGrowthMiBPer1000: number;
  /** Peak of `used_memory` above its level before the run (the whole server). */
  readonly redisPeakDeltaMiB: number;
  /** What stays once drained, by key pattern, with each pattern's TTL (retention). */
  readonly afterDrain: {
    readonly mib: number;
    readonly bytesPerHire: number;
    readonly groups: KeyGroup[];
  };
  /** Samples over time (intake, then drain), thinned to about 40 points. */
  readonly series: BacklogPoint[];
}

/**
 * 100,000 hires accepted through the API while no worker runs, then drained by one worker process:
 * Redis memory and worker RSS over time, and what stays in Redis afterwards.
 */
export async function runBacklog(options: BacklogOptions): Promise<BacklogResult> {
  const prefix = benchPrefix('backlog');
  const secret = newSecret();
  const redis = connect();
  const forget = cleanupOnInterrupt('keys', () => deletePrefix(redis, prefix));
  const docspace = await startFakeDocspace(options.latencyMs);
  const api = await startBenchApi(prefix, secret);
  const hires = new Queue(QUEUES.hires, { connection: redis, prefix });
  const points: BacklogPoint[] = [];
  const base = await usedMemory(redis);
  const started = performance.now();
  const elapsed = (): number => round((performance.now() - started) / 1000, 1);
  const memory = sampleUsedMemory(redis, 1000);
  let worker: Awaited<ReturnType<typeof startWorkerProcess>> | undefined;
  try {
    const deliveries: Delivery[] = Array.from({ length: options.hires }, (_, n) => ({
      id: `msg_backlog_${n}`,
      hires: [benchHire(n, 'backlog')],
    }));
    const intakeTimer = setInterval(() => {
      void usedMemory(redis).then((used) =>
        points.push({ t: elapsed(), phase: 'intake', redisUsedMiB: mib(used - base) }),
      );
    }, 1000);
    const intakeStart = performance.now();
    await postDeliveries(`http://127.0.0.1:${api.port}`, secret, deliveries, 50);
    const intakeSeconds = (performance.now() - intakeStart) / 1000;
    clearInterval(intakeTimer);
    options.log(`backlog: ${options.hires} hires accepted in ${intakeSeconds.toFixed(1)} s`);
    const afterIntake = await prefixFootprint(redis, prefix);
    options.log(`backlog: the prefix holds ${mib(afterIntake.bytes)} MiB before any worker runs`);

    worker = await startWorkerProcess('service', {
      prefix,
      docspaceUrl: docspace.url,
      maxRps: options.maxRps,
      concurrency: options.concurrency,
      batchSize: options.batchSize,
    });
    const workerRssStart = worker.rss();
    const drainStart = performance.now();
    let lastLog = 0;
    for (;;) {
      await sleep(1000);
      const left = await unfinishedJobs(hires);
      const used = await usedMemory(redis);
      points.push({
        t: elapsed(),
        phase: 'drain',
        redisUsedMiB: mib(used - base),
        workerRssMiB: mib(worker.rss()),
        unfinishedJobs: left,
      });
      if (performance.now() - lastLog > 15_000) {
        lastLog = performance.now();
        options.log(`backlog: ${left} jobs left, worker RSS ${mib(worker.rss())} MiB`);
      }
      if (left === 0 && (await invitesSettled(redis, prefix))) break;
    }
    const drainSeconds = (performance.now() - drainStart) / 1000;
    const workerPeakRss = worker.peakRss();
    const workerRssEnd = worker.rss();
    const samples = await memory.stop();
    const afterDrain = await prefixFootprint(redis, prefix);
    return {
      settings: {
        hires: options.hires,
        latencyMs: options.latencyMs,
        maxRps: options.maxRps,
        concurrency: options.concurrency,
        batchSize: options.batchSize,
      },
      intakeSeconds: round(intakeSeconds, 1),
      intakeHiresPerSecond: round(options.hires / intakeSeconds, 0),
      afterIntake: {
        mib: mib(afterIntake.bytes),
        bytesPerHire: round(afterIntake.bytes / options.hires, 0),
        groups: afterIntake.groups,
      },
      drainSeconds: round(drainSeconds, 1),
      drainHiresPerSecond: round(options.hires / drainSeconds, 1),
      workerRssStartMiB: mib(workerRssStart),
      workerPeakRssMiB: mib(workerPeakRss),
      workerRssEndMiB: mib(workerRssEnd),
      workerPeakRssMiBPer1000: round(mib(workerPeakRss) / (options.hires / 1000), 2),
      workerRssGrowthMiBPer1000: round(
        mib(workerPeakRss - workerRssStart) / (options.hires / 1000),
        3,
      ),
      redisPeakDeltaMiB: mib(Math.max(...samples.map((s) => s.usedMemory)) - base),
      afterDrain: {
        mib: mib(afterDrain.bytes),
        bytesPerHire: round(afterDrain.bytes / options.hires, 0),
        groups: afterDrain.groups,
      },
      series: thin(points, 40),
    };
  } finally {
    await memory.stop();
    await worker?.stop();
    await api.close();
    await hires.close();
    await docspace.close();
    await deletePrefix(redis, prefix);
    forget();
    redis.disconnect();
  }
}

/** Every k-th point (and the last), so the JSON stays small. */
function thin<T>(points: readonly T[], target: number): T[] {
  const step = Math.max(1, Math.ceil(points.length / target));
  const out = points.filter((_, index) => index % step === 0);
  const last = points.at(-1);
  if (last !== undefined && out.at(-1) !== last) out.push(last);
  return out;
}
