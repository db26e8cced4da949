import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, pingRedis } from '../../../demo/redis-server.js';
import { waitFor } from '../../helpers/redis.js';

/**
 * A private `redis-server` for the tests that stop Redis (the shared one on 6379 is never touched):
 * a free port, its own directory, and persistence as in docker-compose.yml (append-only file,
 * `appendfsync everysec`, `noeviction`), or none at all (`persist: false`).
 */
export interface PrivateRedis {
  readonly port: number;
  /** `redis://[:password@]127.0.0.1:<port>` */
  readonly url: string;
  readonly dir: string;
  /** Starts it (again) on the same port and directory; resolves once it answers PING. */
  start(): Promise<void>;
  /** Stops it: SIGTERM is a clean shutdown (the append-only file is flushed), SIGKILL a crash. */
  stop(signal?: 'SIGTERM' | 'SIGKILL'): Promise<void>;
  /** Stops it and removes its directory. */
  destroy(): Promise<void>;
}

export async function startPrivateRedis(
  options: {
    password?: string;
    /**
     * false: no append-only file and no snapshots, so a restart comes back empty (what a failover
     * to a replica that lagged, or a flush, also does: docs/design.md, rule 9). Default true.
     */
    persist?: boolean;
  } = {},
): Promise<PrivateRedis> {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'dso-redis-'));
  const auth = options.password === undefined ? '' : `:${encodeURIComponent(options.password)}@`;
  const url = `redis://${auth}127.0.0.1:${port}`;
  let child: ChildProcess | undefined;

  const redis: PrivateRedis = {
    port,
    url,
    dir,
    async start() {
      if (child !== undefined) return;
      const args = [
        '--port',
        String(port),
        '--bind',
        '127.0.0.1',
        '--dir',
        dir,
        ...(options.persist === false
          ? ['--appendonly', 'no']
          : ['--appendonly', 'yes', '--appendfsync', 'everysec']),
        '--save',
        '',
        '--maxmemory-policy',
        'noeviction',
        ...(options.password === undefined ? [] : ['--requirepass', options.password]),
      ];
      child = spawn('redis-server', args, { stdio: 'ignore' });
      const started = child;
      started.once('exit', () => {
        if (child === started) child = undefined;
      });
      await waitFor(
        async () => ((await pingRedis(url)) ? true : undefined),
        15_000,
        `redis-server on port ${port}`,
      );
    },
    async stop(signal = 'SIGTERM') {
      const current = child;
      if (current === undefined) return;
      const gone = new Promise((resolve) => current.once('exit', resolve));
      if (current.exitCode === null && current.signalCode === null) current.kill(signal);
      await gone;
      child = undefined;
    },
    async destroy() {
      await redis.stop('SIGKILL');
      rmSync(dir, { recursive: true, force: true });
    },
  };
  await redis.start();
  return redis;
}
