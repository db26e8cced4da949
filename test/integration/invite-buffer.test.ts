import assert from 'node:assert/strict';
import { describe, it, type TestContext } from 'node:test';
import { FLUSH_FULL_JOB, inviteFlushJobOptions } from '../../src/queue/contract.js';
import { createHireStore } from '../../src/queue/hire-store.js';
import { createInviteBuffer, sizeCheckEvery } from '../../src/queue/invite-buffer.js';
import { inviteQueue } from '../helpers/invite-queue.js';

const person = (n: number) => ({
  source: 'hires',
  hireId: `B-${n}`,
  email: `buffer.${n}@example.com`,
  firstName: 'Bea',
  lastName: 'Buffer',
});

function setUp(t: TestContext, batchSize = 3) {
  const { redis, queue: flushes, keys } = inviteQueue(t, 'buffer');
  let clock = Date.parse('2026-11-26T10:00:00Z');
  const now = () => (clock += 1);
  const store = createHireStore({ redis, keys, now });
  const buffer = createInviteBuffer({
    redis,
    keys,
    batchSize,
    flushes,
    flushOptions: inviteFlushJobOptions(3, 10),
    now,
  });
  /** A person recorded created by us, which puts them in the buffer (one script). */
  const created = async (n: number): Promise<string> => {
    const key = store.keyOf(person(n).email);
    await store.received(person(n), `j${n}`);
    await store.created(key, `u${n}`, `j${n}`, true);
    return key;
  };
  return { redis, keys, store, buffer, flushes, created };
}

describe('the invite buffer (src/queue/invite-buffer.ts) on Redis', () => {
  it('when people are created, the buffer holds them oldest first; peek leaves them, take removes them', async (t) => {
    const { buffer, created } = setUp(t);
    const keys = [await created(1), await created(2), await created(3)];

    assert.equal(await buffer.size(), 3);
    assert.deepEqual(await buffer.peek(2), keys.slice(0, 2));
    assert.equal(await buffer.size(), 3, 'peek takes nothing');

    await buffer.take(keys.slice(0, 2));
    await buffer.take([]);
    assert.deepEqual(await buffer.peek(10), keys.slice(2));
  });

  it('when a whole batch waits, added() asks for one flush-full job; below a batch, none', async (t) => {
    const { buffer, flushes, created } = setUp(t, 3);
    await created(1);
    await created(2);
    await buffer.added();
    assert.equal(await flushes.count(), 0, 'two of three: the tick will send them');

    await created(3);
    await buffer.added();
    await created(4);
    await buffer.added();
    const jobs = await flushes.getJobs(['waiting', 'delayed', 'prioritized']);
    assert.deepEqual(
      jobs.map((job) => job.name),
      [FLUSH_FULL_JOB],
      'one waiting flush-full job, however often it is asked',
    );
  });

  it('when batches are large, the buffer is counted every tenth of a batch: a full batch is asked for within that many calls', async (t) => {
    const { buffer, flushes, created } = setUp(t, 20);
    assert.equal(sizeCheckEvery(20), 2);
    for (let n = 1; n <= 20; n++) await created(n);
    await buffer.added();
    assert.equal(await flushes.count(), 0, 'the first call of two does not count');
    await buffer.added();
    const jobs = await flushes.getJobs(['waiting', 'delayed', 'prioritized']);
    assert.deepEqual(
      jobs.map((job) => job.name),
      [FLUSH_FULL_JOB],
    );
    assert.equal(sizeCheckEvery(3), 1, 'small batches are counted on every call');
    assert.equal(sizeCheckEvery(50), 5);
  });

  it('when a created person lost their entry, putBack puts them back once; someone invited meanwhile leaves the owed index instead', async (t) => {
    const { redis, keys, store, buffer, created } = setUp(t);
    const lost = await created(1);
    const gone = await created(2);
    await buffer.take([lost, gone]);
    await store.invited(gone, 'flush-1');

    assert.equal(await buffer.putBack(lost), true);
    assert.equal(await buffer.putBack(lost), false, 'already back');
    assert.equal(await buffer.putBack(gone), false);

    assert.deepEqual(await buffer.peek(10), [lost]);
    assert.deepEqual(await redis.zrange(keys.inviteOwed, 0, -1), [lost]);
  });
});
