import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Redis } from 'ioredis';
import type { RedisSettings } from '../../../src/redis-settings.js';
import { freePort } from '../../../demo/redis-server.js';
import { waitFor } from '../../helpers/redis.js';

/**
 * Highly available Redis on loopback for the fault suite, from Debian's redis-server: a Sentinel
 * set (one master, one replica, three sentinels) or a Cluster of masters. Each runs in its own
 * temporary directory on free ports; `destroy()` SIGKILLs every process and removes the directory.
 */
interface Node {
  readonly port: number;
  child: ChildProcess | undefined;
}

/** What both topologies give a test. */
interface Topology {
  /** The service's settings for it (`createRedis`), and the same as environment variables. */
  readonly settings: RedisSettings;
  readonly env: Readonly<Record<string, string>>;
  destroy(): Promise<void>;
}

export interface SentinelSet extends Topology {
  readonly master: string;
  readonly masterPassword: string;
  /** The data node the sentinels name as master now. */
  masterPort(): Promise<number>;
  /** SIGKILLs the data node on `port` (the master, for a failover). */
  kill(port: number): Promise<void>;
}

export type RedisCluster = Topology & { readonly ports: readonly number[] };

const run = promisify(execFile);

function createNodes(prefix: string) {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  const nodes: Node[] = [];
  const start = async (args: (port: number) => string[], password?: string): Promise<Node> => {
    const port = await freePort();
    const child = spawn('redis-server', args(port), { stdio: 'ignore' });
    const node: Node = { port, child };
    nodes.push(node);
    await waitFor(() => answers(port, password), 15_000, `redis-server on port ${port}`);
    return node;
  };
  const kill = async (node: Node): Promise<void> => {
    const child = node.child;
    if (child?.exitCode !== null || child.signalCode !== null) return;
    const gone = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGKILL');
    await gone;
    node.child = undefined;
  };
  return {
    dir,
    nodes,
    start,
    kill,
    destroy: async () => {
      await Promise.all(nodes.map(kill));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Settings shared by every data node: as docker-compose.yml runs Redis, on loopback. */
const dataArgs = (dir: string, port: number): string[] => [
  ...['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', ''],
  ...[
    '--appendonly',
    'yes',
    '--appendfilename',
    `aof-${port}.aof`,
    '--appenddirname',
    `aof-${port}`,
  ],
  ...['--maxmemory-policy', 'noeviction'],
];

/**
 * One master, one replica and three sentinels (quorum 2) with passwords on both; a master is
 * declared down after 1 s (`down-after-milliseconds`), so a failover takes a few seconds.
 */
export async function startSentinelSet(): Promise<SentinelSet> {
  const nodes = createNodes('dso-sentinel-');
  const master = 'mymaster';
  const masterPassword = 'master-pw-4c1e';
  const sentinelPassword = 'sentinel-pw-9b7d';
  try {
    const auth = ['--requirepass', masterPassword, '--masterauth', masterPassword];
    const first = await nodes.start(
      (port) => [...dataArgs(nodes.dir, port), ...auth],
      masterPassword,
    );
    const replica = await nodes.start(
      (port) => [
        ...dataArgs(nodes.dir, port),
        ...auth,
        '--replicaof',
        '127.0.0.1',
        String(first.port),
      ],
      masterPassword,
    );
    const sentinels: Node[] = [];
    for (let i = 0; i < 3; i++) {
      sentinels.push(
        await nodes.start((port) => {
          const file = join(nodes.dir, `sentinel-${port}.conf`);
          writeFileSync(
            file,
            [
              `port ${port}`,
              'bind 127.0.0.1',
              `dir ${nodes.dir}`,
              `requirepass ${sentinelPassword}`,
              `sentinel sentinel-pass ${sentinelPassword}`,
              `sentinel monitor ${master} 127.0.0.1 ${first.port} 2`,
              `sentinel auth-pass ${master} ${masterPassword}`,
              `sentinel down-after-milliseconds ${master} 1000`,
              `sentinel failover-timeout ${master} 10000`,
              '',
            ].join('\n'),
          );
          return [file, '--sentinel'];
        }, sentinelPassword),
      );
    }
    // Ready for a failover once every sentinel knows the replica and the two other sentinels.
    await waitFor(
      async () => {
        for (const sentinel of sentinels) {
          const info = await sentinelCall(sentinel.port, sentinelPassword, 'master', master);
          if (info['num-slaves'] !== '1' || info['num-other-sentinels'] !== '2') return undefined;
        }
        return (await replicationLink(replica.port, masterPassword)) === 'up' ? true : undefined;
      },
      30_000,
      'the sentinels to see the replica and each other',
    );
    const list = sentinels.map((s) => `127.0.0.1:${s.port}`).join(',');
    const url = `redis://:${masterPassword}@127.0.0.1:${first.port}`;
    return {
      master,
      masterPassword,
      settings: {
        url,
        sentinels: sentinels.map((s) => ({ host: '127.0.0.1', port: s.port })),
        sentinelMaster: master,
        sentinelPassword,
      },
      env: {
        REDIS_URL: url,
        REDIS_SENTINELS: list,
        REDIS_SENTINEL_MASTER: master,
        REDIS_SENTINEL_PASSWORD: sentinelPassword,
      },
      async masterPort() {
        for (const sentinel of sentinels) {
          try {
            const reply = await call(sentinel.port, sentinelPassword, [
              'SENTINEL',
              'get-master-addr-by-name',
              master,
            ]);
            if (Array.isArray(reply)) return Number(reply[1]);
          } catch {
            // this sentinel does not answer: ask the next
          }
        }
        throw new Error('no sentinel answered');
      },
      async kill(port) {
        const node = nodes.nodes.find((n) => n.port === port);
        if (node !== undefined) await nodes.kill(node);
      },
      destroy: nodes.destroy,
    };
  } catch (err: unknown) {
    await nodes.destroy();
    throw err;
  }
}

/** `masters` Cluster nodes without replicas, slots spread by `redis-cli --cluster create`. */
export async function startRedisCluster(masters = 3): Promise<RedisCluster> {
  const nodes = createNodes('dso-cluster-');
  try {
    for (let i = 0; i < masters; i++) {
      await nodes.start((port) => [
        ...dataArgs(nodes.dir, port),
        ...['--cluster-enabled', 'yes', '--cluster-config-file', `nodes-${port}.conf`],
        ...['--cluster-node-timeout', '2000'],
      ]);
    }
    const addresses = nodes.nodes.map((n) => `127.0.0.1:${n.port}`);
    await run('redis-cli', ['--cluster', 'create', ...addresses, '--cluster-yes']);
    await waitFor(
      async () => {
        for (const node of nodes.nodes) {
          const info = String(await call(node.port, undefined, ['CLUSTER', 'INFO']));
          if (!info.includes('cluster_state:ok')) return undefined;
        }
        return true;
      },
      30_000,
      'the cluster to be ok on every node',
    );
    const ports = nodes.nodes.map((n) => n.port);
    return {
      ports,
      settings: {
        url: 'redis://127.0.0.1:6379',
        clusterNodes: ports.map((port) => ({ host: '127.0.0.1', port })),
      },
      env: { REDIS_CLUSTER_NODES: addresses.join(',') },
      destroy: nodes.destroy,
    };
  } catch (err: unknown) {
    await nodes.destroy();
    throw err;
  }
}

/** One command on a fresh connection to `port` (a node or a sentinel). */
export async function call(
  port: number,
  password: string | undefined,
  command: readonly string[],
): Promise<unknown> {
  const redis = new Redis({
    port,
    host: '127.0.0.1',
    ...(password === undefined ? {} : { password }),
    lazyConnect: true,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
    connectTimeout: 1_000,
  });
  redis.on('error', () => undefined);
  try {
    await redis.connect();
    const [name = '', ...args] = command;
    return await redis.call(name, ...args);
  } finally {
    redis.disconnect();
  }
}

async function answers(port: number, password: string | undefined): Promise<true | undefined> {
  try {
    return (await call(port, password, ['PING'])) === 'PONG' ? true : undefined;
  } catch {
    return undefined;
  }
}

async function sentinelCall(
  port: number,
  password: string,
  ...args: string[]
): Promise<Record<string, string>> {
  const reply = await call(port, password, ['SENTINEL', ...args]);
  const flat = Array.isArray(reply) ? reply.map(String) : [];
  const fields: Record<string, string> = {};
  for (let i = 0; i + 1 < flat.length; i += 2) fields[flat[i] ?? ''] = flat[i + 1] ?? '';
  return fields;
}

async function replicationLink(port: number, password: string): Promise<string | undefined> {
  const info = String(await call(port, password, ['INFO', 'replication']));
  return /master_link_status:(\w+)/.exec(info)?.[1];
}
