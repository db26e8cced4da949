import assert from 'node:assert/strict';
import { describe, it, type TestContext } from 'node:test';
import { Queue } from 'bullmq';
import { inviteFlushJobOptions, type InviteFlushJobData } from '../../src/queue/contract.js';
import { QUEUES } from '../../src/queue/keys.js';
import { createRedis } from '../../src/queue/redis.js';
import { createIdleFlush, FLUSH_IDLE_JOB, idleFlushDelay } from '../../workers/idle-flush.js';
import { deletePrefix, REDIS_URL, uniquePrefix } from '../helpers/redis.js';

const IDLE_MS = 20;

function setUp(t: TestContext, minIntervalMs = 0) {
  const prefix = uniquePrefix('idle-flush');
  const redis = createRedis(REDIS_URL, 'worker');
  const flushes = new Queue<InviteFlushJobData>(QUEUES.invites, { connection: redis, prefix });
  const errors: unknown[] = [];
  const idle = createIdleFlush({
    flushes,
    flushOptions: inviteFlushJobOptions(3, 10),
    idleMs: IDLE_MS,
    minIntervalMs,
    onError: (err) => errors.push(err),
  });
  t.after(async () => {
    idle.stop();
    await flushes.close();
    await deletePrefix(prefix);
    redis.disconnect();
  });
  const idleJobs = async () =>
    (await flushes.getJobs(['waiting', 'delayed', 'prioritized'])).filter(
      (job) => job.name === FLUSH_IDLE_JOB,
    ).length;
  /** Polls until an idle flush waits in the queue. */
  const asked = async () => {
    const deadline = Date.now() + 10_000;
    while ((await idleJobs()) === 0) {
      assert.ok(Date.now() < deadline, 'no idle flush was asked for');
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  };
  /** Gives a wrongly armed timer many times its delay to fire. */
  const quietFor = () => new Promise((resolve) => setTimeout(resolve, 20 * IDLE_MS));
  return { idle, idleJobs, asked, quietFor, errors };
}

describe('the idle flush (workers/idle-flush.ts) on Redis', () => {
  it('when the last hire of a burst that created people ends, one flush is asked for', async (t) => {
    const { idle, asked, idleJobs, errors } = setUp(t);
    idle.started();
    idle.started();
    idle.added();
    idle.finished();
    idle.added();
    idle.finished();
    await asked();
    assert.equal(await idleJobs(), 1);
    assert.deepEqual(errors, []);
  });

  it('when a hire is still in flight, or nobody entered the buffer, nothing is asked', async (t) => {
    const { idle, idleJobs, quietFor } = setUp(t);
    idle.started();
    idle.finished();
    idle.started();
    idle.added();
    await quietFor();
    assert.equal(await idleJobs(), 0, 'asked with a hire in flight');
    idle.finished();
    idle.stop();
    await quietFor();
    assert.equal(await idleJobs(), 0, 'asked after stop');
  });

  it('when a new hire starts within the idle wait, the request waits for its end', async (t) => {
    const { idle, idleJobs, asked, quietFor } = setUp(t);
    idle.started();
    idle.added();
    idle.finished();
    idle.started();
    await quietFor();
    assert.equal(await idleJobs(), 0);
    idle.finished();
    await asked();
  });

  it('when bursts follow each other closely, at most one request per interval', async (t) => {
    const { idle, idleJobs, asked, quietFor } = setUp(t, 60_000);
    idle.started();
    idle.added();
    idle.finished();
    await asked();
    // The asked-for job is taken by nobody here; a second burst within the interval adds no other.
    idle.started();
    idle.added();
    idle.finished();
    await quietFor();
    assert.equal(await idleJobs(), 1);
  });

  it('waits a tenth of the tick period, between 50 and 250 ms', () => {
    assert.equal(idleFlushDelay(2_500), 250);
    assert.equal(idleFlushDelay(1_000), 100);
    assert.equal(idleFlushDelay(100), 50);
  });
});
