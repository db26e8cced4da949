import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { waitFor } from '../helpers/redis.js';
import { startStack } from '../helpers/stack.js';

/** A key DocSpace refuses (401): every hire fails at once, lastingly. */
const WRONG_KEY = { DOCSPACE_API_KEY: `sk-${'f'.repeat(64)}` };
const DAY_SECONDS = 24 * 3600;

const person = (n: number) => ({
  employeeId: `R-${n}`,
  firstName: 'Rita',
  lastName: 'Retention',
  email: `rita.${n}@example.com`,
});

describe('failed jobs are not kept for ever (FAILED_JOB_RETENTION_DAYS, issue #10)', () => {
  it('when a failed job is older than the limit (30 days by default), a worker removes it; a newer one stays for replay', async (t) => {
    const stack = await startStack(WRONG_KEY, { tuning: { failedSweepIntervalMs: 200 } });
    t.after(() => stack.close());
    assert.equal(stack.config.jobs.failedRetentionDays, 30);
    const hires = [person(1), person(2)];
    await stack.post(hires);
    await stack.settled(
      hires.map((h) => h.email),
      ['failed'],
    );
    const failed = await waitFor(async () => {
      const jobs = await stack.hires.getFailed();
      return jobs.length === 2 ? jobs : undefined;
    });
    // Every job is stored with the age limit, so BullMQ also drops it when a later job fails.
    for (const job of failed) assert.deepEqual(job.opts.removeOnFail, { age: 30 * DAY_SECONDS });

    // One of them failed 31 days ago: the failed set is ordered by when each job failed.
    const [old, recent] = failed;
    assert.ok(old?.id !== undefined && recent?.id !== undefined);
    const failedKey = `${stack.prefix}:hires:failed`;
    assert.notEqual(await stack.redis.zscore(failedKey, old.id), null, 'the key layout is right');
    await stack.redis.zadd(failedKey, Date.now() - 31 * DAY_SECONDS * 1000, old.id);

    await waitFor(async () => ((await stack.hires.getFailedCount()) === 1 ? true : undefined));
    assert.equal(await stack.hires.getJob(old.id), undefined, 'the old one is gone');
    assert.equal(await stack.hires.getJobState(recent.id), 'failed', 'the recent one stays');
    assert.ok(stack.logLines.some((line) => line.includes('old failed jobs removed')));
  });

  it('when FAILED_JOB_RETENTION_DAYS is set, jobs are stored with that limit', async (t) => {
    const stack = await startStack({ FAILED_JOB_RETENTION_DAYS: '7' }, { workers: false });
    t.after(() => stack.close());
    await stack.post(person(3));
    const [job] = await waitFor(async () => {
      const jobs = await stack.hires.getWaiting();
      return jobs.length === 1 ? jobs : undefined;
    });
    assert.deepEqual(job?.opts.removeOnFail, { age: 7 * DAY_SECONDS });
  });
});

describe('completed jobs are kept a week, then swept (src/queue/retention.ts)', () => {
  it('when a completed job is older than 7 days, a worker removes it; a newer one stays and BullMQ removes none at completion', async (t) => {
    const stack = await startStack({}, { tuning: { failedSweepIntervalMs: 200 } });
    t.after(() => stack.close());
    const hires = [person(4), person(5)];
    await stack.post(hires);
    await stack.settled(
      hires.map((h) => h.email),
      ['created', 'invited'],
    );
    const completed = await waitFor(async () => {
      const jobs = await stack.hires.getCompleted();
      return jobs.length === 2 ? jobs : undefined;
    });
    // No age limit on the job: its completion does not read the completed set (the sweep does).
    for (const job of completed) assert.equal(job.opts.removeOnComplete, false);

    const [old, recent] = completed;
    assert.ok(old?.id !== undefined && recent?.id !== undefined);
    const completedKey = `${stack.prefix}:hires:completed`;
    assert.notEqual(
      await stack.redis.zscore(completedKey, old.id),
      null,
      'the key layout is right',
    );
    await stack.redis.zadd(completedKey, Date.now() - 8 * DAY_SECONDS * 1000, old.id);

    await waitFor(async () => ((await stack.hires.getCompletedCount()) === 1 ? true : undefined));
    assert.equal(await stack.hires.getJob(old.id), undefined, 'the old one is gone');
    assert.equal(await stack.hires.getJobState(recent.id), 'completed', 'the recent one stays');
    assert.ok(stack.logLines.some((line) => line.includes('old completed jobs removed')));
  });
});
