import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { isObject } from '../src/domain/is-object.js';

/** The repository root (the children run from there so `--import tsx` resolves). */
export const ROOT = fileURLToPath(new URL('..', import.meta.url));

export interface ChildOptions {
  /** Environment of the child; PATH is added, nothing else is inherited. */
  readonly env: Record<string, string>;
  /** Write a V8 CPU profile (`--cpu-prof`) into this folder when the child exits. */
  readonly cpuProfDir?: string;
  /** Ready when the child sends an IPC `{type:'ready'}` (default) or prints a matching line. */
  readonly readyLine?: RegExp;
  /** Lines of stdout matching this are kept (first 20) for the report, e.g. failed jobs. */
  readonly keepLines?: RegExp;
  readonly readyTimeoutMs?: number;
}

export interface RunningChild {
  readonly pid: number;
  /** What the child sent with `{type:'ready'}` (its port, …). */
  readonly ready: Record<string, unknown>;
  readonly keptLines: readonly string[];
  /** Resident memory now (VmRSS, bytes). */
  rss(): number;
  /** Peak resident memory so far (VmHWM, bytes): exact, unlike sampling. */
  peakRss(): number;
  /** SIGTERM (or IPC `stop`), then SIGKILL after `graceMs`; resolves once it exited. */
  stop(graceMs?: number): Promise<number | null>;
}

/**
 * Starts `node --import tsx <entry> …args` as its own process, so its memory and CPU are its own
 * (RSS is read from /proc) and the load generator does not share its event loop.
 */
export async function startChild(
  entry: string,
  args: readonly string[],
  options: ChildOptions,
): Promise<RunningChild> {
  const nodeArgs = [
    ...(options.cpuProfDir === undefined
      ? []
      : ['--cpu-prof', '--cpu-prof-dir', options.cpuProfDir]),
    '--import',
    'tsx',
    entry,
    ...args,
  ];
  const child = spawn(process.execPath, nodeArgs, {
    cwd: ROOT,
    env: { PATH: process.env['PATH'] ?? '', ...options.env },
    // stdout is read only when needed: on Linux a write to a pipe blocks while the pipe is full,
    // which would tie the child's speed to how fast this process (the load generator) reads.
    stdio: [
      'ignore',
      options.readyLine === undefined && options.keepLines === undefined ? 'ignore' : 'pipe',
      'inherit',
      'ipc',
    ],
  });
  const keptLines: string[] = [];
  let buffered = '';
  let readyByLine: (() => void) | undefined;
  child.stdout?.on('data', (chunk: Buffer) => {
    // Logs are drained (a full pipe would stall the child) and only scanned while needed.
    if (readyByLine === undefined && options.keepLines === undefined) return;
    buffered += chunk.toString('utf8');
    const lines = buffered.split('\n');
    buffered = lines.pop() ?? '';
    for (const line of lines) {
      if (readyByLine !== undefined && options.readyLine?.test(line) === true) readyByLine();
      if (keptLines.length < 20 && options.keepLines?.test(line) === true) keptLines.push(line);
    }
  });
  const exited = new Promise<number | null>((resolve) => {
    child.once('exit', (code) => {
      resolve(code);
    });
  });
  const ready = await new Promise<Record<string, unknown>>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${entry} ${args.join(' ')} did not start within the timeout`));
    }, options.readyTimeoutMs ?? 120_000);
    const done = (value: Record<string, unknown>): void => {
      clearTimeout(timer);
      readyByLine = undefined;
      resolve(value);
    };
    if (options.readyLine !== undefined) {
      readyByLine = () => {
        done({});
      };
    }
    child.on('message', (message: unknown) => {
      if (isObject(message) && message['type'] === 'ready') done(message);
    });
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`${entry} ${args.join(' ')} exited (${String(code)}) before it was ready`));
    });
  });
  const pid = child.pid ?? 0;
  const release = cleanupOnInterrupt('processes', () => stopChild(child, exited, 5_000));
  void exited.then(release);
  return {
    pid,
    ready,
    keptLines,
    rss: () => procStatus(pid, 'VmRSS'),
    peakRss: () => procStatus(pid, 'VmHWM'),
    stop: (graceMs = 35_000) => stopChild(child, exited, graceMs),
  };
}

async function stopChild(
  child: ChildProcess,
  exited: Promise<number | null>,
  graceMs: number,
): Promise<number | null> {
  if (child.exitCode !== null || child.signalCode !== null) return child.exitCode;
  if (child.connected) child.send({ type: 'stop' });
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
  const code = await exited;
  clearTimeout(timer);
  return code;
}

/** A `kB` field of /proc/<pid>/status in bytes; NaN where /proc is not there (not Linux). */
export function procStatus(pid: number, field: 'VmRSS' | 'VmHWM'): number {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const match = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status);
    return match ? Number(match[1]) * 1024 : Number.NaN;
  } catch {
    return Number.NaN;
  }
}

const cleanups = {
  processes: new Set<() => Promise<unknown>>(),
  keys: new Set<() => Promise<unknown>>(),
};

/**
 * Registers what to undo if the benchmark is interrupted (Ctrl-C, SIGTERM) in the middle of a run:
 * child processes are stopped first, then their Redis keys deleted. Returns the release function
 * to call once the run cleaned up by itself.
 */
export function cleanupOnInterrupt(
  kind: keyof typeof cleanups,
  undo: () => Promise<unknown>,
): () => void {
  cleanups[kind].add(undo);
  return () => cleanups[kind].delete(undo);
}

/** In the benchmark: on SIGINT or SIGTERM, runs the registered clean-ups, then exits 130. */
export function cleanUpOnSignals(): void {
  const run = (): void => {
    process.stderr.write('bench: interrupted; stopping children and deleting their keys\n');
    const all = (set: Set<() => Promise<unknown>>) => Promise.allSettled([...set].map((f) => f()));
    void all(cleanups.processes)
      .then(() => all(cleanups.keys))
      .finally(() => process.exit(130));
  };
  process.once('SIGINT', run);
  process.once('SIGTERM', run);
}

/** In a child started by {@link startChild}: tells the parent it is ready. */
export function signalReady(details: Record<string, unknown> = {}): void {
  process.send?.({ type: 'ready', ...details });
}

/** In a child: runs `close` once on SIGTERM, SIGINT or an IPC `stop`, then exits 0. */
export function onStop(close: () => Promise<void>): void {
  let stopping = false;
  const stop = (): void => {
    if (stopping) return;
    stopping = true;
    close().then(
      () => process.exit(0),
      (err: unknown) => {
        process.stderr.write(`bench child: ${err instanceof Error ? err.message : String(err)}\n`);
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
  // The benchmark went away (killed, or interrupted before it could stop us): do not linger.
  process.on('disconnect', stop);
  process.on('message', (message: unknown) => {
    if (isObject(message) && message['type'] === 'stop') stop();
  });
}

/** CPU seconds (user + system) a process has used, from /proc/<pid>/stat; NaN off Linux. */
export function procCpuSeconds(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name (which may hold spaces) start at state, field 3.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const ticks = Number(fields[11]) + Number(fields[12]);
    return ticks / CLOCK_TICKS;
  } catch {
    return Number.NaN;
  }
}

/** USER_HZ: 100 on every Linux that matters. */
const CLOCK_TICKS = 100;
