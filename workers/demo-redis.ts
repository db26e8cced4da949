import { spawn, spawnSync } from 'node:child_process';
import { createServer } from 'node:net';
import { Redis } from 'ioredis';

/** The Redis the demo uses, and how to stop it when the demo started its own. */
export interface DemoRedis {
  readonly url: string;
  readonly stop: () => Promise<void>;
}

/**
 * Uses the Redis at `url` when it answers; otherwise starts a private `redis-server` on a free port
 * (nothing saved to disk) and says so; otherwise explains both ways out.
 */
export async function ensureRedis(url: string, out: (line: string) => void): Promise<DemoRedis> {
  if (await answers(url)) return { url, stop: () => Promise.resolve() };
  const found = spawnSync('redis-server', ['--version'], { stdio: 'ignore' });
  if (found.error !== undefined || found.status !== 0) {
    throw new Error(
      `no Redis answers at ${url}, and redis-server is not installed.\n` +
        `  Either start a Redis and point REDIS_URL at it (e.g. "docker compose up -d redis" with REDIS_PASSWORD in .env,\n` +
        `  then REDIS_URL=redis://:<that password>@127.0.0.1:6379),\n` +
        `  or install redis-server ("sudo apt-get install redis-server", "brew install redis") and run the demo again: it starts a private one.`,
    );
  }
  const port = await freePort();
  const child = spawn(
    'redis-server',
    ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
    { stdio: 'ignore' },
  );
  const privateUrl = `redis://127.0.0.1:${port}`;
  for (let i = 0; i < 50 && !(await answers(privateUrl)); i++)
    await new Promise((r) => setTimeout(r, 100));
  out(
    `No Redis answered at ${url}: started a private redis-server on port ${port} (it stops with the demo).`,
  );
  return {
    url: privateUrl,
    stop: async () => {
      child.kill('SIGTERM');
      await new Promise((resolve) => child.once('exit', resolve));
    },
  };
}

/** Deletes every key under `prefix:` (the demo starts and ends clean). */
export async function deleteKeys(redis: Redis, prefix: string): Promise<void> {
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
    if (keys.length > 0) await redis.unlink(...keys);
    cursor = next;
  } while (cursor !== '0');
}

async function answers(url: string): Promise<boolean> {
  const redis = new Redis(url, {
    lazyConnect: true,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
    connectTimeout: 1_500,
  });
  redis.on('error', () => undefined);
  try {
    await redis.connect();
    await redis.ping();
    return true;
  } catch {
    return false;
  } finally {
    redis.disconnect();
  }
}

/** A TCP port nobody listens on right now (for the private Redis; tests use it too). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => {
        resolve(port);
      });
    });
  });
}
