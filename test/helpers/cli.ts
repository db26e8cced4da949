/**
 * The operator's command line (src/cli/main.ts, `npm run replay -- …`) run as a script runs it:
 * a child process with its own environment, its exit code and output collected, and the JSON log
 * lines it writes to stderr parsed.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { REDIS_URL } from './redis.js';
import type { Stack } from './stack.js';

/** The repository's root: where `npm run …` runs. */
export const ROOT = fileURLToPath(new URL('../..', import.meta.url));

export interface Run {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs `command args` in `cwd` with `env`; resolves with its exit code and output. */
export function run(
  command: string,
  args: readonly string[],
  cwd: string,
  env: NodeJS.ProcessEnv,
): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) => {
      resolve({ code, stdout, stderr });
    });
  });
}

/**
 * `npm run replay -- …` from the TypeScript source: PATH, `LOG_LEVEL=info` and `env`, nothing
 * else of this process's environment.
 */
export function replay(args: readonly string[], env: Record<string, string>): Promise<Run> {
  return run(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', ...args], ROOT, {
    PATH: process.env['PATH'] ?? '',
    LOG_LEVEL: 'info',
    ...env,
  });
}

/** The settings that point the command line at `stack`'s Redis and queues. */
export const envOf = (stack: Stack): Record<string, string> => ({
  REDIS_URL,
  QUEUE_PREFIX: stack.prefix,
});

/** The JSON log lines in `stderr` (the command line's other output there is plain text). */
export const logLines = (stderr: string): Record<string, unknown>[] =>
  stderr
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as Record<string, unknown>);
