/**
 * A throw-away `redis-server` on loopback, for the demo (demo/redis.ts, when no Redis answers), the
 * benchmarks (bench/redis.ts, a Redis of their own) and the tests that need a Redis they may stop.
 * Here, not in bench/ or test/, because demo/tsconfig.json includes only demo/, and bench/ and test/
 * include demo/.
 */
import { spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { Redis } from 'ioredis';

/** A TCP port nobody listens on right now. */
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

/** Whether the Redis at `url` answers PING now: one connection, no retries, 1 s to connect. */
export async function pingRedis(url: string): Promise<boolean> {
  const probe = new Redis(url, {
    lazyConnect: true,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
    connectTimeout: 1_000,
  });
  probe.on('error', () => undefined);
  try {
    await probe.connect();
    await probe.ping();
    return true;
  } catch {
    return false;
  } finally {
    probe.disconnect();
  }
}

export interface RedisServer {
  readonly port: number;
  /** `redis://127.0.0.1:<port>` */
  readonly url: string;
  /** Stops it (SIGTERM) and resolves once it exited. */
  readonly stop: () => Promise<void>;
}

/** How long a starting server may take to answer PING. */
const START_TIMEOUT_MS = 5_000;

/**
 * Starts `redis-server` on 127.0.0.1 at `port` (default: a free one), saving nothing to disk, and
 * resolves once it answers PING. Undefined when `redis-server` cannot be started or does not
 * answer within {@link START_TIMEOUT_MS} (it is stopped then).
 */
export async function startRedisServer(port?: number): Promise<RedisServer | undefined> {
  const listenOn = port ?? (await freePort());
  const child = spawn(
    'redis-server',
    ['--port', String(listenOn), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
    { stdio: 'ignore' },
  );
  const spawned = await new Promise<boolean>((resolve) => {
    child.once('error', () => {
      resolve(false);
    });
    child.once('spawn', () => {
      resolve(true);
    });
  });
  if (!spawned) return undefined;
  const exited = new Promise<void>((resolve) => {
    child.once('exit', () => {
      resolve();
    });
  });
  const stop = async (): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    await exited;
  };
  const url = `redis://127.0.0.1:${listenOn}`;
  const deadline = Date.now() + START_TIMEOUT_MS;
  while (!(await pingRedis(url))) {
    if (Date.now() > deadline || child.exitCode !== null) {
      await stop();
      return undefined;
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return { port: listenOn, url, stop };
}
