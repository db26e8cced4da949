import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';

export const REDIS_URL = process.env['REDIS_URL'] ?? 'redis://127.0.0.1:6379';

/** A prefix no other test uses, so tests on one Redis never meet. */
export function uniquePrefix(label = 'test'): string {
  return `dso-${label}-${randomUUID().slice(0, 8)}`;
}

/** Deletes every key under `prefix:`; tests call it when they end. */
export async function deletePrefix(prefix: string, url = REDIS_URL): Promise<void> {
  const redis = new Redis(url, { maxRetriesPerRequest: 1 });
  try {
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
      if (keys.length > 0) await redis.unlink(...keys);
      cursor = next;
    } while (cursor !== '0');
  } finally {
    redis.disconnect();
  }
}

/** Polls `check` until it returns a value other than undefined, or fails after `timeoutMs`. */
export async function waitFor<T>(
  check: () => Promise<T | undefined> | T | undefined,
  timeoutMs = 15_000,
  what = 'condition',
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline)
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/**
 * Counts what Redis runs on keys under `prefix:` (a script's inner commands included, as
 * `INFO commandstats` counts them) while `run` runs: a `MONITOR` on a connection of its own, read
 * up to a marker command sent after `run` (a count, never a timing; other tests' keys are left out).
 */
export async function commandsOn(
  prefix: string,
  run: () => Promise<unknown>,
  url = REDIS_URL,
): Promise<string[]> {
  const client = new Redis(url, { maxRetriesPerRequest: 1 });
  const monitor = await client.monitor();
  const marker = `${prefix}:monitor-marker-${randomUUID().slice(0, 8)}`;
  const seen: string[] = [];
  let markerSeen = false;
  monitor.on('monitor', (_time: string, args: string[]) => {
    if (args.includes(marker)) markerSeen = true;
    else if (args.slice(1).some((arg) => arg.startsWith(`${prefix}:`))) {
      seen.push((args[0] ?? '').toLowerCase());
    }
  });
  try {
    await run();
    await client.exists(marker);
    await waitFor(() => (markerSeen ? true : undefined), 15_000, 'the monitor marker');
    return seen;
  } finally {
    monitor.disconnect();
    client.disconnect();
  }
}
