import { createServer, connect, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import { REDIS_URL } from './redis.js';

/** A TCP proxy in front of the test Redis that can stop a process at one Redis command. */
export interface RedisHold {
  /** The Redis URL through the proxy (same credentials and database as the real one). */
  readonly url: string;
  /**
   * Resolves when a client sent bytes containing `needle`: from then on nothing more that client
   * connection sends reaches Redis (that command included), so the process waits there, in a state
   * a test can look at and SIGKILL. Other connections go on.
   */
  hold(needle: string): Promise<void>;
  close(): Promise<void>;
}

/**
 * Starts the proxy. For crash tests whose window has no HTTP call to hold (two Redis writes in a
 * row): the real Redis answers everything else, byte for byte.
 */
export async function startRedisHold(target = REDIS_URL): Promise<RedisHold> {
  const upstream = new URL(target);
  const sockets = new Set<Socket>();
  let armed: { needle: Buffer; found: () => void } | undefined;

  const server = createServer((client) => {
    const redis = connect(Number(upstream.port || 6379), upstream.hostname);
    sockets.add(client);
    sockets.add(redis);
    let frozen = false;
    let tail = Buffer.alloc(0);
    client.on('data', (chunk: Buffer) => {
      if (frozen) return;
      if (armed !== undefined) {
        const seen = Buffer.concat([tail, chunk]);
        if (seen.includes(armed.needle)) {
          frozen = true;
          const { found } = armed;
          armed = undefined;
          found();
          return;
        }
        tail = seen.subarray(Math.max(0, seen.length - armed.needle.length + 1));
      }
      redis.write(chunk);
    });
    redis.on('data', (chunk: Buffer) => client.write(chunk));
    const end = () => {
      client.destroy();
      redis.destroy();
      sockets.delete(client);
      sockets.delete(redis);
    };
    client.on('close', end).on('error', end);
    redis.on('close', end).on('error', end);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const url = new URL(target);
  url.hostname = '127.0.0.1';
  url.port = String(port);

  return {
    url: url.toString(),
    hold: (needle) =>
      new Promise<void>((resolve) => {
        armed = { needle: Buffer.from(needle), found: resolve };
      }),
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => {
          resolve();
        });
      }),
  };
}
