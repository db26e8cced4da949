import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import os from 'node:os';
import { ROOT } from './processes.js';
import { connect, privateRedis, redisVersion } from './redis.js';
import { mib } from './stats.js';

export interface Machine {
  readonly date: string;
  readonly cpus: number;
  readonly cpuModel: string;
  readonly memoryGiB: number;
  readonly loadAverage: readonly number[];
  readonly node: string;
  readonly redis: string;
  /** Whether the bench ran on its own redis-server (else a shared one: counts include others). */
  readonly redisPrivate: boolean;
  readonly bullmq: string;
  readonly commit: string;
}

/** What the numbers were measured on: they mean little without it. */
export async function describeMachine(): Promise<Machine> {
  const redis = connect();
  try {
    return {
      date: new Date().toISOString(),
      cpus: os.availableParallelism(),
      cpuModel: os.cpus()[0]?.model.trim() ?? 'unknown',
      memoryGiB: Math.round(mib(os.totalmem()) / 1024),
      loadAverage: os.loadavg().map((l) => Math.round(l * 100) / 100),
      node: process.version,
      redis: await redisVersion(redis),
      redisPrivate: privateRedis,
      bullmq: packageVersion('bullmq'),
      commit: gitCommit(),
    };
  } finally {
    redis.disconnect();
  }
}

function packageVersion(name: string): string {
  try {
    const raw = readFileSync(`${ROOT}node_modules/${name}/package.json`, 'utf8');
    return (JSON.parse(raw) as { version?: string }).version ?? 'unknown';
  } catch {
    return 'unknown';
  }
}

function gitCommit(): string {
  try {
    const head = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: ROOT })
      .toString()
      .trim();
    const dirty =
      execFileSync('git', ['status', '--porcelain'], { cwd: ROOT }).toString().trim() !== '';
    return dirty ? `${head} (with uncommitted changes)` : head;
  } catch {
    return 'unknown';
  }
}
