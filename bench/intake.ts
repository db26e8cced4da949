import { mkdirSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import autocannon from 'autocannon';
import { summarizeProfile, type ProfileSummary } from './profile.js';
import { cleanupOnInterrupt, procCpuSeconds, ROOT, startChild } from './processes.js';
import {
  benchPrefix,
  commandStats,
  connect,
  deletePrefix,
  privateRedis,
  REDIS_URL,
  redisCpuSeconds,
} from './redis.js';
import { createSigner, benchHire, hiredBody, newSecret } from './hires.js';
import { medianOf, round, withoutLog } from './stats.js';

export const INTAKE_TARGETS = ['answer', 'queue-add', 'naive', 'service'] as const;
/** Steps from `queue-add` to the service's handler (`--ladder`): where the difference goes. */
export const LADDER_TARGETS = ['+verify', '+validate', '+intake', '+log'] as const;
export type IntakeTarget = (typeof INTAKE_TARGETS)[number] | (typeof LADDER_TARGETS)[number];

export interface IntakeOptions {
  readonly durationS: number;
  readonly warmupS: number;
  readonly connections: number;
  readonly runs: number;
  /** Also measure the ladder of handlers between `queue-add` and the service. */
  readonly ladder: boolean;
  /** Folder for a `--cpu-prof` profile of the service during its measured runs. */
  readonly profileDir?: string;
  readonly log: (line: string) => void;
}

export interface IntakeSample {
  readonly target: IntakeTarget;
  readonly run: number;
  readonly rps: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly requests: number;
  readonly non2xx: number;
  readonly errors: number;
  /** CPU time of the server process per request (µs): the cost side of throughput. */
  readonly serverCpuUsPerRequest: number;
  /** CPU time of Redis per request (µs; the whole server, so others' load adds noise). */
  readonly redisCpuUsPerRequest: number;
  /**
   * Redis commands per request (`INFO commandstats`, commands of Lua scripts included), and the
   * commands that make them up: exact on the bench's own Redis only.
   */
  readonly redisCommandsPerRequest: number;
  readonly redisCommands: Record<string, number>;
}

export interface IntakeResult {
  readonly settings: Omit<IntakeOptions, 'log'>;
  readonly samples: IntakeSample[];
  readonly medians: Partial<Record<IntakeTarget, IntakeMedians>>;
  /** Throughput of the service over the handler that only calls `queue.add` (target ≥ 0.85). */
  readonly serviceVsQueueAdd: number;
  readonly serviceVsAnswer: number;
  readonly profile?: ProfileSummary;
}

export interface IntakeMedians {
  readonly rps: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly serverCpuUsPerRequest: number;
  readonly redisCpuUsPerRequest: number;
}

/**
 * Signed webhooks, each with its own `webhook-id` and email, from 50 connections for `durationS`,
 * against the four targets in turn (interleaved per run, a fresh process each time).
 */
export async function runIntake(options: IntakeOptions): Promise<IntakeResult> {
  const targets: readonly IntakeTarget[] = options.ladder
    ? ['answer', 'queue-add', 'naive', ...LADDER_TARGETS, 'service']
    : INTAKE_TARGETS;
  const samples: IntakeSample[] = [];
  const redis = connect();
  let profile: ProfileSummary | undefined;
  try {
    for (let run = 1; run <= options.runs; run++) {
      for (const target of targets) {
        const sample = await measureTarget(target, run, options, redis);
        samples.push(sample);
        options.log(
          `intake run ${run} ${target.padEnd(10)} ${String(Math.round(sample.rps)).padStart(6)} req/s  p50 ${sample.p50Ms} ms  p99 ${sample.p99Ms} ms  cpu ${sample.serverCpuUsPerRequest} µs/req  redis ${sample.redisCpuUsPerRequest} µs/req  ${sample.redisCommandsPerRequest} commands/req${privateRedis ? '' : ' (shared Redis)'}${sample.non2xx + sample.errors > 0 ? `  (${sample.non2xx} non-2xx, ${sample.errors} errors)` : ''}`,
        );
        options.log(
          `  commands/req: ${Object.entries(sample.redisCommands)
            .map(([name, n]) => `${name} ${n}`)
            .join(', ')}`,
        );
      }
    }
    if (options.profileDir !== undefined) {
      // One file per thread: the main thread's (thread id 0) holds the server; the others are
      // tsx's module loader.
      const files = readdirSync(options.profileDir).filter((f) =>
        /\.\d+\.0\.\d+\.cpuprofile$/.test(f),
      );
      const latest = files.sort().at(-1);
      if (latest !== undefined) profile = summarizeProfile(join(options.profileDir, latest));
    }
  } finally {
    redis.disconnect();
  }
  const medians = Object.fromEntries(
    targets.map((target) => {
      const mine = samples.filter((s) => s.target === target);
      return [
        target,
        {
          rps: round(
            medianOf(mine, (s) => s.rps),
            0,
          ),
          p50Ms: medianOf(mine, (s) => s.p50Ms),
          p99Ms: medianOf(mine, (s) => s.p99Ms),
          serverCpuUsPerRequest: round(
            medianOf(mine, (s) => s.serverCpuUsPerRequest),
            0,
          ),
          redisCpuUsPerRequest: round(
            medianOf(mine, (s) => s.redisCpuUsPerRequest),
            0,
          ),
        },
      ];
    }),
  ) as IntakeResult['medians'];
  const rps = (target: IntakeTarget): number => medians[target]?.rps ?? Number.NaN;
  return {
    settings: withoutLog(options),
    samples,
    medians,
    serviceVsQueueAdd: round(rps('service') / rps('queue-add'), 3),
    serviceVsAnswer: round(rps('service') / rps('answer'), 3),
    ...(profile === undefined ? {} : { profile }),
  };
}

async function measureTarget(
  target: IntakeTarget,
  run: number,
  options: IntakeOptions,
  redis: ReturnType<typeof connect>,
): Promise<IntakeSample> {
  const prefix = benchPrefix('intake');
  const forget = cleanupOnInterrupt('keys', () => deletePrefix(redis, prefix));
  const secret = newSecret();
  const profiled = target === 'service' && options.profileDir !== undefined;
  if (profiled) mkdirSync(options.profileDir, { recursive: true });
  const child = await startChild(join(ROOT, 'bench/intake-server.ts'), [target], {
    env: {
      REDIS_URL,
      QUEUE_PREFIX: prefix,
      WEBHOOK_SECRET: secret,
      LOG_LEVEL: 'info',
      NODE_ENV: 'production',
      // The per-address limit off, its default (issue #12 measures so): one client address sends
      // everything here.
    },
    ...(profiled ? { cpuProfDir: options.profileDir } : {}),
  });
  try {
    const url = `http://127.0.0.1:${String(child.ready['port'])}`;
    const sign = createSigner(secret);
    const tag = prefix.slice(-8);
    if (options.warmupS > 0) await fire(url, sign, `${tag}w`, options.connections, options.warmupS);
    const cpuBefore = procCpuSeconds(child.pid);
    const redisBefore = await redisCpuSeconds(redis);
    const commandsBefore = await commandStats(redis);
    const result = await fire(url, sign, tag, options.connections, options.durationS);
    const cpu = procCpuSeconds(child.pid) - cpuBefore;
    const commandsAfter = await commandStats(redis);
    if (result.non2xx > 0 || result.errors > 0) {
      // Timings of refused or failed requests would mean nothing: this is a broken benchmark.
      throw new Error(
        `intake ${target}: ${result.non2xx} answers were not 2xx and ${result.errors} requests failed`,
      );
    }
    const redisCpu = (await redisCpuSeconds(redis)) - redisBefore;
    const perRequest = (seconds: number): number =>
      round((seconds * 1e6) / Math.max(1, result.requests.total), 0);
    const commands = commandsPerRequest(commandsBefore, commandsAfter, result.requests.total);
    return {
      target,
      run,
      rps: round(result.requests.average, 0),
      p50Ms: result.latency.p50,
      p99Ms: result.latency.p99,
      requests: result.requests.total,
      non2xx: result.non2xx,
      errors: result.errors,
      serverCpuUsPerRequest: perRequest(cpu),
      redisCpuUsPerRequest: perRequest(redisCpu),
      redisCommandsPerRequest: round(
        Object.values(commands).reduce((sum, n) => sum + n, 0),
        2,
      ),
      redisCommands: commands,
    };
  } finally {
    await child.stop();
    await deletePrefix(redis, prefix);
    forget();
  }
}

/**
 * Calls per request of each command between two `INFO commandstats` (most first; the bench's own
 * `INFO` calls left out). Requests still in flight at either end make it a little inexact.
 */
function commandsPerRequest(
  before: Map<string, number>,
  after: Map<string, number>,
  requests: number,
): Record<string, number> {
  const rows = [...after]
    .filter(([name]) => name !== 'info')
    .map(
      ([name, calls]) =>
        [name, round((calls - (before.get(name) ?? 0)) / Math.max(1, requests), 2)] as const,
    )
    .filter(([, n]) => n >= 0.01)
    .sort((a, b) => b[1] - a[1]);
  return Object.fromEntries(rows);
}

function fire(
  url: string,
  sign: ReturnType<typeof createSigner>,
  tag: string,
  connections: number,
  durationS: number,
): Promise<autocannon.Result> {
  let n = 0;
  return autocannon({
    url,
    connections,
    duration: durationS,
    requests: [
      {
        method: 'POST',
        path: '/webhooks/hires',
        setupRequest: (request) => {
          n += 1;
          const body = hiredBody(benchHire(n, tag));
          return {
            ...request,
            headers: { 'content-type': 'application/json', ...sign(`msg_${tag}_${n}`, body) },
            body,
          };
        },
      },
    ],
  });
}
