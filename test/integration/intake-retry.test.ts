import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Queue } from 'bullmq';
import type { Hire } from '../../src/domain/hire.js';
import { QueueUnavailableError } from '../../src/errors.js';
import type { ProvisionJobData } from '../../src/queue/contract.js';
import { createHireStore } from '../../src/queue/hire-store.js';
import { createIntake } from '../../src/queue/intake.js';
import { createKeys, QUEUES } from '../../src/queue/keys.js';
import { createRedis, type RedisConnection } from '../../src/queue/redis.js';
import { deletePrefix, REDIS_URL, uniquePrefix } from '../helpers/redis.js';

const ana: Hire = {
  source: 'hires',
  hireId: 'E-77',
  email: 'Ana.Retry@Example.com',
  firstName: 'Ana',
  lastName: 'Retry',
};

describe('a delivery whose first attempt died half-way (the Sentinel failover suite found it)', () => {
  const prefix = uniquePrefix('intake-retry');
  const keys = createKeys(prefix);
  let redis: RedisConnection;
  let queue: Queue<ProvisionJobData>;

  before(() => {
    redis = createRedis(REDIS_URL, 'worker');
    queue = new Queue<ProvisionJobData>(QUEUES.hires, { connection: redis, prefix });
  });
  after(async () => {
    await queue.close();
    redis.disconnect();
    await deletePrefix(prefix);
  });

  it('when Redis went away after the jobs were stored but before the records (503), then the retry answered duplicate still writes the record the invitation needs', async () => {
    const store = createHireStore({ redis, keys });
    const dying = createIntake({
      queue,
      redis,
      keys,
      hireStore: {
        receivedThenMark: () => Promise.reject(new Error('Connection is closed.')),
      },
    });
    await assert.rejects(dying('hires', 'msg_half', [ana]), QueueUnavailableError);
    // The records and then the marker's `done` are one script: when Redis died before it ran, the
    // marker was left `pending`, as the claim took it.
    assert.equal(await redis.get(keys.delivery('hires:msg_half')), 'pending');
    assert.equal(await store.get(store.keyOf(ana.email)), undefined, 'no record yet');
    assert.equal(await queue.getWaitingCount(), 1, 'the job was stored');

    const intake = createIntake({ queue, redis, keys, hireStore: store });
    const again = await intake('hires', 'msg_half', [ana]);

    assert.equal(again.outcome, 'duplicate');
    assert.equal(await queue.getWaitingCount(), 1, 'no second job');
    const record = await store.get(store.keyOf(ana.email));
    assert.equal(record?.email, ana.email);
    assert.equal(record.state, 'received');
    assert.equal(record.hireId, 'E-77');
  });

  it('when a copy finds the first attempt still running, then it leaves an existing record as it is', async () => {
    const store = createHireStore({ redis, keys });
    const intake = createIntake({ queue, redis, keys, hireStore: store });
    const bo = { ...ana, hireId: 'E-78', email: 'bo.retry@example.com' };
    await intake('hires', 'msg_done', [bo]);
    await store.failed(store.keyOf(bo.email), 'a lasting failure', 'job-x');
    // The marker back to `pending`, as a copy racing the first attempt sees it.
    await redis.set(keys.delivery('hires:msg_done'), 'pending');

    assert.equal((await intake('hires', 'msg_done', [bo])).outcome, 'duplicate');
    assert.equal((await store.get(store.keyOf(bo.email)))?.state, 'failed');
  });
});
