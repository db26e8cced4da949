import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { Stack } from './stack.js';

const WORKER_ENTRY = fileURLToPath(new URL('../../workers/main.ts', import.meta.url));

/**
 * Runs `workers/main.ts worker` in its own process against the stack's Redis prefix and simulator
 * (and its rules file, if any), so a test can SIGKILL it at a chosen instant (docs/design.md,
 * rule 7). `extraEnv` adds or overrides settings (an HR system's, a Redis URL through a proxy).
 */
export function spawnWorker(stack: Stack, extraEnv: Record<string, string> = {}): ChildProcess {
  const { config } = stack;
  const child = spawn(process.execPath, ['--import', 'tsx', WORKER_ENTRY, 'worker'], {
    env: {
      PATH: process.env['PATH'] ?? '',
      REDIS_URL: config.redisUrl,
      QUEUE_PREFIX: config.queuePrefix,
      DOCSPACE_URL: config.docspace.url,
      DOCSPACE_API_KEY: config.docspace.apiKey,
      INVITE_MODE: config.invite.mode,
      INVITE_BATCH_SIZE: String(config.invite.batchSize),
      INVITE_BATCH_MAX_WAIT_MS: String(config.invite.maxWaitMs),
      DOCSPACE_MAX_RPS: String(config.docspace.maxRps),
      DOCSPACE_TIMEOUT_MS: String(config.docspace.timeoutMs),
      JOB_ATTEMPTS: String(config.jobs.attempts),
      JOB_BACKOFF_MS: String(config.jobs.backoffMs),
      WORKER_LOCK_DURATION_MS: '1000',
      WORKER_STALLED_INTERVAL_MS: '300',
      LOG_LEVEL: 'error',
      WORKER_METRICS_PORT: '0',
      ...(config.rulesFile === undefined ? {} : { PROVISIONING_RULES: config.rulesFile }),
      ...extraEnv,
    },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  return child;
}

/** SIGKILLs `child` and resolves when it is gone. */
export async function kill(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGKILL');
  await exited;
}
