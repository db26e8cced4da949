import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const API_ENTRY = fileURLToPath(new URL('../../../src/main.ts', import.meta.url));
const WORKER_ENTRY = fileURLToPath(new URL('../../../workers/main.ts', import.meta.url));
/** tsx's loader by absolute URL, so children can run from an empty directory (no `.env` read). */
const TSX = import.meta.resolve('tsx');

/** A JSON log line of a service process. */
export type LogLine = Record<string, unknown>;

/** One service process (`npm run start:api` or `npm run start:worker`, through tsx). */
export interface ServiceProcess {
  readonly name: string;
  readonly child: ChildProcess;
  /** Every line it wrote, stdout and stderr, in order. */
  readonly lines: string[];
  /** Resolves when the process is gone (exit code, or the signal that ended it). */
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  alive(): boolean;
  /** The first JSON log line (already written or still to come) that `match` accepts. */
  waitForLog(
    match: (line: LogLine) => boolean,
    timeoutMs?: number,
    what?: string,
  ): Promise<LogLine>;
  /** SIGKILL, and resolves once the process is gone. */
  kill(): Promise<void>;
  /** SIGTERM (graceful shutdown), and resolves once the process is gone. */
  stop(timeoutMs?: number): Promise<void>;
}

const running = new Set<ServiceProcess>();
const workDir = mkdtempSync(join(tmpdir(), 'dso-faults-'));

/**
 * Starts `src/main.ts` (role `api`) or `workers/main.ts worker` in its own process with exactly
 * `env` (plus PATH), from an empty working directory so no `.env` file leaks settings in.
 */
export function spawnService(
  role: 'api' | 'worker',
  env: Readonly<Record<string, string>>,
  name: string = role,
): ServiceProcess {
  const args =
    role === 'api' ? ['--import', TSX, API_ENTRY] : ['--import', TSX, WORKER_ENTRY, 'worker'];
  const child = spawn(process.execPath, args, {
    cwd: workDir,
    env: { PATH: process.env['PATH'] ?? '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: string[] = [];
  const waiters = new Set<(line: string) => void>();
  const collect = (stream: NodeJS.ReadableStream | null): void => {
    let rest = '';
    stream?.setEncoding('utf8');
    stream?.on('data', (chunk: string) => {
      const parts = (rest + chunk).split('\n');
      rest = parts.pop() ?? '';
      for (const line of parts) {
        if (line === '') continue;
        lines.push(line);
        if (process.env['TEST_LOGS'] !== undefined) process.stderr.write(`[${name}] ${line}\n`);
        for (const waiter of waiters) waiter(line);
      }
    });
    stream?.on('end', () => {
      if (rest !== '') lines.push(rest);
    });
  };
  collect(child.stdout);
  collect(child.stderr);
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.once('exit', (code, signal) => {
      resolve({ code, signal });
    });
  });
  const alive = (): boolean => child.exitCode === null && child.signalCode === null;

  const proc: ServiceProcess = {
    name,
    child,
    lines,
    exited,
    alive,
    waitForLog(match, timeoutMs = 20_000, what = 'a log line') {
      const parse = (line: string): LogLine | undefined => {
        try {
          const value: unknown = JSON.parse(line);
          return typeof value === 'object' && value !== null ? (value as LogLine) : undefined;
        } catch {
          return undefined;
        }
      };
      const found = lines.map(parse).find((line) => line !== undefined && match(line));
      if (found !== undefined) return Promise.resolve(found);
      return new Promise<LogLine>((resolve, reject) => {
        const done = (): void => {
          clearTimeout(timer);
          waiters.delete(onLine);
        };
        const timer = setTimeout(() => {
          done();
          reject(
            new Error(
              `${name}: no ${what} within ${timeoutMs} ms; last lines:\n${lines.slice(-10).join('\n')}`,
            ),
          );
        }, timeoutMs);
        const onLine = (line: string): void => {
          const parsed = parse(line);
          if (parsed !== undefined && match(parsed)) {
            done();
            resolve(parsed);
          }
        };
        waiters.add(onLine);
        void exited.then(() => {
          if (!waiters.has(onLine)) return;
          done();
          reject(
            new Error(`${name} exited before ${what}; last lines:\n${lines.slice(-10).join('\n')}`),
          );
        });
      });
    },
    async kill() {
      if (alive()) child.kill('SIGKILL');
      await exited;
      running.delete(proc);
    },
    async stop(timeoutMs = 40_000) {
      if (alive()) child.kill('SIGTERM');
      const timer = setTimeout(() => {
        child.kill('SIGKILL');
      }, timeoutMs);
      await exited;
      clearTimeout(timer);
      running.delete(proc);
    },
  };
  running.add(proc);
  return proc;
}

/** An API process, once it listens; PORT 0 lets it pick a free port, read from its log. */
export async function startApiProcess(
  env: Readonly<Record<string, string>>,
  name = 'api',
): Promise<{ proc: ServiceProcess; url: string }> {
  const proc = spawnService('api', { PORT: '0', ...env }, name);
  const line = await proc.waitForLog(
    (l) => l['message'] === 'api listening',
    30_000,
    '"api listening"',
  );
  return { proc, url: `http://127.0.0.1:${String(line['port'])}` };
}

/** A worker process, once its workers are ready (WORKER_METRICS_PORT 0 unless `env` says). */
export async function startWorkerProcess(
  env: Readonly<Record<string, string>>,
  name = 'worker',
): Promise<ServiceProcess> {
  const proc = spawnService('worker', { WORKER_METRICS_PORT: '0', ...env }, name);
  await proc.waitForLog((l) => l['message'] === 'workers started', 30_000, '"workers started"');
  return proc;
}

/** SIGKILLs every process this module started that is still running (test teardown). */
export async function killAll(): Promise<void> {
  await Promise.all([...running].map((proc) => proc.kill()));
}

/** Removes the empty working directory the children ran in (end of a test file). */
export function removeWorkDir(): void {
  rmSync(workDir, { recursive: true, force: true });
}
