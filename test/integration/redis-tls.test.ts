import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Queue, QueueEvents, Worker } from 'bullmq';
import { loadConfig } from '../../src/config.js';
import { ConfigError } from '../../src/errors.js';
import { createRedis, waitForRedis, type RedisConnection } from '../../src/queue/redis.js';
import { uniquePrefix } from '../helpers/redis.js';
import { startTlsRedis, type TlsRedis } from '../helpers/tls-redis.js';

describe('Redis over TLS (rediss:// with REDIS_TLS_CA_FILE)', () => {
  let server: TlsRedis;
  const open: RedisConnection[] = [];
  const connect = (env: NodeJS.ProcessEnv, role: 'producer' | 'worker') => {
    const redis = createRedis(loadConfig(env, 'api').redis, role);
    redis.on('error', () => undefined);
    open.push(redis);
    return redis;
  };

  before(async () => {
    server = await startTlsRedis();
  });
  after(async () => {
    for (const redis of open) redis.disconnect();
    await server.destroy();
  });

  it('when the CA is given, then producer and worker connections talk TLS, and a BullMQ worker (its own duplicated connection) runs a job', async () => {
    const env = { REDIS_URL: server.url, REDIS_TLS_CA_FILE: server.caFile };
    const producer = connect(env, 'producer');
    const worker = connect(env, 'worker');
    await waitForRedis(producer, 5_000);
    assert.equal(await producer.ping(), 'PONG');
    assert.equal(await worker.ping(), 'PONG');

    const prefix = uniquePrefix('tls');
    const queue = new Queue('tls', { connection: producer, prefix });
    const listener = worker.duplicate();
    listener.on('error', () => undefined);
    open.push(listener);
    const events = new QueueEvents('tls', { connection: listener, prefix });
    const bull = new Worker('tls', (job) => Promise.resolve(`done ${String(job.data)}`), {
      connection: worker,
      prefix,
    });
    try {
      await events.waitUntilReady();
      const job = await queue.add('tls', 'over TLS');
      assert.equal(await job.waitUntilFinished(events, 10_000), 'done over TLS');
    } finally {
      await bull.close();
      await events.close();
      await queue.obliterate({ force: true });
      await queue.close();
    }
  });

  it('when no CA is given, then the self-made certificate is not trusted and nothing connects', async () => {
    const redis = connect({ REDIS_URL: server.url }, 'producer');
    const failure = new Promise<Error>((resolve) => redis.once('error', resolve));

    await assert.rejects(waitForRedis(redis, 3_000));
    assert.match((await failure).message, /self[- ]signed|unable to (verify|get)/i);
  });

  it('when the CA file cannot be read, then the connection is refused with the setting named', () => {
    const settings = loadConfig(
      { REDIS_URL: server.url, REDIS_TLS_CA_FILE: `${server.caFile}.missing` },
      'api',
    ).redis;

    assert.throws(
      () => createRedis(settings, 'worker'),
      (err: unknown) =>
        err instanceof ConfigError &&
        err.details[0]?.path === 'REDIS_TLS_CA_FILE' &&
        err.message.includes('ENOENT'),
    );
  });
});
