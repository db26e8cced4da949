import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { format } from 'prettier';
import type { BacklogResult } from './backlog.js';
import type { E2eResult } from './e2e.js';
import type { IntakeResult } from './intake.js';
import type { Machine } from './machine.js';
import type { ScaleResult } from './scale.js';
import { ROOT } from './processes.js';
import { mib, round } from './stats.js';

export const RESULTS_DIR = join(ROOT, 'bench/results');

export interface Report {
  readonly machine: Machine;
  readonly quick: boolean;
  readonly runs: number;
  readonly intake?: IntakeResult;
  readonly e2e?: E2eResult;
  readonly backlog?: BacklogResult;
  readonly scale?: ScaleResult;
}

/** `bench/results/<name>-<date>.json`; returns the path. */
export function writeJson(name: string, machine: Machine, result: unknown): string {
  mkdirSync(RESULTS_DIR, { recursive: true });
  const stamp = machine.date.replace(/[:.]/g, '-');
  const file = join(RESULTS_DIR, `${name}-${stamp}.json`);
  writeFileSync(file, `${JSON.stringify({ machine, result }, null, 2)}\n`);
  return file;
}

/** `bench/results/latest.md`, Prettier-formatted so it can be pasted into docs/performance.md as it is. */
export async function writeMarkdown(report: Report): Promise<{ file: string; text: string }> {
  const text = await format(renderMarkdown(report), {
    parser: 'markdown',
    printWidth: 100,
    proseWrap: 'preserve',
  });
  mkdirSync(RESULTS_DIR, { recursive: true });
  const file = join(RESULTS_DIR, 'latest.md');
  writeFileSync(file, text);
  return { file, text };
}

const verdict = (met: boolean): string => (met ? 'met' : '**missed**');

export function renderMarkdown(report: Report): string {
  const { machine } = report;
  const lines: string[] = [
    `Measured ${machine.date.slice(0, 16).replace('T', ' ')} UTC on ${machine.cpus} vCPU (${machine.cpuModel}), ${machine.memoryGiB} GiB, Node ${machine.node}, Redis ${machine.redis}, BullMQ ${machine.bullmq}, commit ${machine.commit}; load average ${machine.loadAverage.join(' / ')} at the start. ${report.quick ? 'A `--quick` run: small sizes, one run; it proves the benchmarks work and says nothing about speed.' : `Medians of ${report.runs} runs; ratios are taken within the same run.`}`,
    '',
  ];
  const targets: string[][] = [];
  if (report.intake) lines.push(...intakeSection(report.intake, targets));
  if (report.e2e) lines.push(...e2eSection(report.e2e, report, targets));
  if (report.backlog) lines.push(...backlogSection(report.backlog));
  if (report.scale) lines.push(...scaleSection(report.scale));
  if (targets.length > 0) {
    lines.push('#### Targets', '', '| target | measured | |', '| --- | --- | --- |');
    for (const row of targets) lines.push(`| ${row.join(' | ')} |`);
    lines.push('');
  }
  return lines.join('\n');
}

const HANDLER_NAMES: Record<string, string> = {
  answer: 'Express, answers only',
  'queue-add': 'Express + one `queue.add` (no checks)',
  naive: 'a naive receiver (`standardwebhooks`, `SET NX`, `queue.add`)',
  '+verify': '… + signature check',
  '+validate': '… + JSON and payload validation',
  '+intake': '… + the real intake (marker, job, record) instead of `queue.add`',
  '+log': '… + the log line',
  service: '**the service** (the whole app)',
};

function intakeSection(r: IntakeResult, targets: string[][]): string[] {
  const base = r.medians['queue-add']?.rps ?? Number.NaN;
  const rows = Object.entries(r.medians).map(([target, m]) =>
    [
      HANDLER_NAMES[target] ?? target,
      m.rps,
      round(m.rps / base, 2),
      m.p50Ms,
      m.p99Ms,
      m.serverCpuUsPerRequest,
      m.redisCpuUsPerRequest,
    ].join(' | '),
  );
  const service = r.medians.service;
  if (service) {
    targets.push(
      [
        'intake throughput ≥ 0.85 × the `queue.add` handler',
        `${r.serviceVsQueueAdd}`,
        verdict(r.serviceVsQueueAdd >= 0.85),
      ],
      ['intake p99 < 50 ms', `${service.p99Ms} ms`, verdict(service.p99Ms < 50)],
    );
  }
  return [
    `#### Intake: signed \`POST /webhooks/hires\` (unique ids), ${r.settings.connections} connections, ${r.settings.durationS} s per handler and run, rate limit off`,
    '',
    '| handler | requests/s | × Express+`queue.add` | p50 ms | p99 ms | API CPU µs/request | Redis CPU µs/request |',
    '| --- | --- | --- | --- | --- | --- | --- |',
    ...rows.map((row) => `| ${row} |`),
    '',
  ];
}

function e2eSection(r: E2eResult, report: Report, targets: string[][]): string[] {
  const s = r.settings;
  const names: Record<string, string> = {
    service: '**the service**',
    seed: 'seed algorithm (one by one, one invite call)',
    naive: 'naive worker (lookup + create + invite per hire)',
  };
  const rows = Object.entries(r.medians).map(([variant, m]) =>
    [
      names[variant] ?? variant,
      m.seconds,
      m.hiresPerSecond,
      round(m.hiresPerSecond / r.hiresPerSecondBound, 2),
      m.callsPerHire,
      m.inviteCalls,
      m.workerPeakRssMiB,
      m.workerCpuMsPerHire,
      `${m.redisCommandsPerHire} (${m.redisCommandsPerHireLessIdle})`,
      m.redisPeakDeltaMiB,
      m.redisPrefixMiB,
    ].join(' | '),
  );
  const service = r.medians['service'];
  const naive = r.medians['naive'];
  if (service) {
    targets.push(
      [
        'end to end ≥ 0.8 of the bound, one worker process',
        `${r.serviceVsBound}`,
        verdict(r.serviceVsBound >= 0.8),
      ],
      [
        'Redis commands per hire ≤ 50 (`INFO commandstats`, scripts included)',
        `${service.redisCommandsPerHire}, ${service.redisCommandsPerHireLessIdle} less idle (naive worker ${naive?.redisCommandsPerHire ?? '–'}, ${naive?.redisCommandsPerHireLessIdle ?? '–'})${report.machine.redisPrivate ? '' : ', on a shared Redis: includes others'}`,
        verdict(service.redisCommandsPerHire <= 50),
      ],
      [
        `DocSpace calls per hire at the floor: ${r.floorCallsPerHire} = 1 + ${s.existingShare} (existing accounts: a refused create and a lookup each, rule 10) + 1 invite call per ${s.batchSize} new`,
        `${service.callsPerHire}`,
        verdict(service.callsPerHire <= r.floorCallsPerHire + 0.005),
      ],
    );
  }
  return [
    `#### End to end: ${s.hires} hires (${s.existingShare * 100}% with an account, ${s.repeatShare * 100}% delivered twice), simulator at ${s.latencyMs} ms per call`,
    '',
    `\`DOCSPACE_MAX_RPS=${s.maxRps}\`${s.maxRps >= 10_000 ? ' (no cap)' : ''}, \`DOCSPACE_CONCURRENCY=${s.concurrency}\`, \`INVITE_BATCH_SIZE=${s.batchSize}\`, one worker process. Bound: min(${s.maxRps}, ${s.concurrency} × 1000 / ${s.latencyMs}) = ${r.requestBound} requests/s ÷ ${r.floorCallsPerHire} calls per hire (one create each, one lookup per person with an account (rule 10), one invite call per ${s.batchSize} new) = **${r.hiresPerSecondBound} hires/s**. The service is ${r.serviceVsSeed}× the seed algorithm and ${r.serviceVsNaive}× the naive worker.`,
    '',
    '| worker | seconds | hires/s | × bound | DocSpace calls/hire | invite calls | worker peak RSS MiB | worker CPU ms/hire | Redis commands/hire (less idle) | Redis peak +MiB | Redis after, MiB |',
    '| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |',
    ...rows.map((row) => `| ${row} |`),
    '',
  ];
}

function scaleSection(r: ScaleResult): string[] {
  const s = r.settings;
  const rows = r.samples.map((m) =>
    [
      m.workers,
      m.cap === null ? 'none' : `${m.cap}/s`,
      m.seconds,
      m.hiresPerSecond,
      m.requestsPerSecond,
      m.busiestSecond,
      m.answered429,
      m.capBound ?? '–',
      m.concurrencyBound,
      m.jobMs,
      `${m.workerCores} / ${m.benchCores} / ${m.redisCores}`,
      m.rulesHeld ? 'yes' : '**no**',
    ].join(' | '),
  );
  return [
    `#### Scaling out: ${s.hires} hires through 1 to ${Math.max(...s.workerCounts)} worker processes, simulator at ${s.latencyMs} ms per call`,
    '',
    `\`DOCSPACE_CONCURRENCY=${s.concurrency}\` per worker, \`INVITE_BATCH_SIZE=${s.batchSize}\`. With a cap the simulator answers 429 beyond it (DocSpace cloud: 1,500 requests a minute) and \`DOCSPACE_MAX_RPS\` is set to it; without one \`DOCSPACE_MAX_RPS=10000\`. Bounds in hires/s: the cap, and workers × concurrency ÷ latency, each ÷ DocSpace calls per hire.`,
    '',
    '| workers | cap | seconds | hires/s | DocSpace requests/s | busiest second | 429s | cap bound | concurrency bound | job ms (median) | CPU cores: workers / simulator+API / Redis | rules held |',
    '| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |',
    ...rows.map((row) => `| ${row} |`),
    '',
  ];
}

function backlogSection(r: BacklogResult): string[] {
  const s = r.settings;
  const ttl = (seconds: number): string =>
    seconds < 0 ? 'none' : seconds >= 86_400 ? `${round(seconds / 86_400, 0)} d` : `${seconds} s`;
  return [
    `#### Backlog: ${s.hires} hires accepted with no worker running, then drained by one worker`,
    '',
    `Drain against a minimal O(1) DocSpace stub at ${s.latencyMs} ms per call, \`DOCSPACE_MAX_RPS=${s.maxRps}\`, \`DOCSPACE_CONCURRENCY=${s.concurrency}\`.`,
    '',
    '| intake | Redis with the backlog | drain | worker RSS start / peak / end | worker peak RSS per 1,000 queued hires (growth) | Redis peak | left in Redis after the drain |',
    '| --- | --- | --- | --- | --- | --- | --- |',
    `| ${r.intakeSeconds} s (${r.intakeHiresPerSecond} hires/s) | ${r.afterIntake.mib} MiB (${r.afterIntake.bytesPerHire} B/hire) | ${r.drainSeconds} s (${r.drainHiresPerSecond} hires/s) | ${r.workerRssStartMiB} / ${r.workerPeakRssMiB} / ${r.workerRssEndMiB} MiB | ${r.workerPeakRssMiBPer1000} MiB (+${r.workerRssGrowthMiBPer1000} MiB) | +${r.redisPeakDeltaMiB} MiB | ${r.afterDrain.mib} MiB (${r.afterDrain.bytesPerHire} B/hire) |`,
    '',
    'What stays after the drain (keys under the prefix, `MEMORY USAGE`):',
    '',
    '| key | keys | MiB | expires |',
    '| --- | --- | --- | --- |',
    ...r.afterDrain.groups
      .filter((g) => g.bytes >= 10_000)
      .map((g) => `| \`${g.pattern}\` | ${g.keys} | ${mib(g.bytes)} | ${ttl(g.ttlSeconds)} |`),
    '',
  ];
}
