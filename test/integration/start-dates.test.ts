import assert from 'node:assert/strict';
import { describe, it, type TestContext } from 'node:test';
import type { Job } from 'bullmq';
import { addDays, dayIn, startOfDay } from '../../src/domain/effective-date.js';
import { createKeys } from '../../src/queue/keys.js';
import { createLocks } from '../../src/queue/locks.js';
import { createOffboardingStore } from '../../src/queue/offboarding-store.js';
import { reinstated } from '../helpers/leavers.js';
import { waitFor } from '../helpers/redis.js';
import { okCalls, startStack, type Stack } from '../helpers/stack.js';

/**
 * Rule 14 (docs/design.md, docs/docspace-lifecycle.md "Start dates"): the newest event accepted for
 * a person decides their start, whatever order the jobs run in; a cancelled termination puts a
 * withdrawn joiner back on their schedule. The interleavings are made with the person's lease
 * (workers/start.ts, one lease per person): a job that finds it taken waits as a delayed job
 * until the workers' clock moves past its wait, and the tests move that clock days ahead, so the
 * job stays parked until the test promotes it.
 */

const DAY = 86_400_000;
const LEAD = 3;

/** A clock tests move: the workers' decisions follow it, BullMQ's delays do not. */
function testClock() {
  let offset = 0;
  return {
    now: () => Date.now() + offset,
    set(at: number) {
      offset = at - Date.now();
    },
  };
}

async function start(t: TestContext, settings: Record<string, string> = {}) {
  const clock = testClock();
  // A day ahead from the start: a job that meets a taken lease waits a day of real time.
  clock.set(Date.now() + DAY);
  const stack = await startStack(
    { OFFBOARDING: 'disable', PROVISION_LEAD_DAYS: String(LEAD), ...settings },
    { now: clock.now },
  );
  t.after(() => stack.close());
  const today = dayIn('UTC', clock.now());
  return { stack, clock, today };
}

const joiner = (n: number, startDate: string) => ({
  employeeId: `S-${n}`,
  firstName: 'Sam',
  lastName: 'Starter',
  email: `sam.${n}@example.com`,
  startDate,
});

/** The instant a joiner starting on `startDate` is due to be made (UTC, PROVISION_LEAD_DAYS=3). */
const dueAt = (startDate: string) => startOfDay(addDays(startDate, -LEAD), 'UTC');

async function recordIn(stack: Stack, email: string, state: string) {
  return await waitFor(async () => {
    const record = await stack.store.get(stack.store.keyOf(email));
    return record?.state === state ? record : undefined;
  });
}

/**
 * The person's lease, held by the test: jobs for them wait (delayed) until it is let go. A job
 * that just recorded the person lets go of it a step later: taken once free.
 */
async function holdLease(stack: Stack, email: string) {
  const locks = createLocks(stack.redis);
  const key = createKeys(stack.prefix).hireLock(stack.store.keyOf(email));
  await waitFor(async () => ((await locks.acquire(key, 'test', 60_000)) ? true : undefined));
  return () => locks.release(key, 'test');
}

/** A delayed job of that name matching `match`, once there. */
async function delayedJob(stack: Stack, name: string, match: (job: Job) => boolean) {
  return await waitFor(async () =>
    (await stack.hires.getDelayed()).find((job) => job.name === name && match(job)),
  );
}

const startingOn = (startDate: string) => (job: Job) =>
  (job.data as { hire?: { startDate?: string } }).hire?.startDate === startDate;

/** What a job ended as, once it completed. */
async function outcomeOf(stack: Stack, job: Job): Promise<string | undefined> {
  await waitFor(async () => ((await job.getState()) === 'completed' ? true : undefined));
  const done = await stack.hires.getJob(job.id ?? '');
  return (done?.returnvalue as { outcome?: string } | undefined)?.outcome;
}

const created = (stack: Stack) => okCalls(stack.sim, 'POST', '/api/2.0/people').length;

describe('start dates: the newest event decides (docs/design.md, rule 14)', () => {
  it('a scheduled joiner whose delayed job wakes while a newer event with a later start still waits is not created on the old date', async (t) => {
    const { stack, clock, today } = await start(t);
    const first = joiner(1, addDays(today, 30));
    const moved = { ...first, startDate: addDays(today, 60) };
    await stack.post(first);
    const scheduled = await recordIn(stack, first.email, 'scheduled');
    const old = await delayedJob(stack, 'provision', startingOn(first.startDate));

    // The newer event is accepted and waits (here: for the lease) when the old date comes.
    const release = await holdLease(stack, first.email);
    await stack.post(moved);
    const newer = await delayedJob(stack, 'provision', startingOn(moved.startDate));
    await release();
    clock.set((scheduled.scheduledFor ?? 0) + 1_000);
    await old.promote();
    assert.equal(await outcomeOf(stack, old), 'not-needed');
    assert.equal(created(stack), 0, 'nothing created on the old date');

    await newer.promote();
    const rescheduled = await waitFor(async () => {
      const record = await stack.store.get(stack.store.keyOf(first.email));
      return record?.scheduleJobId === newer.id ? record : undefined;
    });
    assert.equal(rescheduled.state, 'scheduled');
    assert.equal(rescheduled.scheduledFor, dueAt(moved.startDate));
    assert.equal(created(stack), 0);

    clock.set(dueAt(moved.startDate) + 1_000);
    await (await delayedJob(stack, 'provision', (job) => job.id === newer.id)).promote();
    await stack.settled([first.email], ['invited']);
    assert.equal(created(stack), 1);
    const events = (await stack.store.timeline(stack.store.keyOf(first.email))).map((e) => e.event);
    assert.ok(events.includes('superseded'), `the timeline says why: ${events.join(', ')}`);
  });

  it('a newer event without a start date (or an earlier one) makes the scheduled joiner at once', async (t) => {
    const { stack, today } = await start(t);
    const first = joiner(2, addDays(today, 30));
    await stack.post(first);
    await recordIn(stack, first.email, 'scheduled');
    await stack.post({ ...first, startDate: '' }, { type: 'employee.updated' });
    await stack.settled([first.email], ['invited']);
    assert.equal(created(stack), 1);
  });

  it('an older event that runs after a newer one does not move the start date back', async (t) => {
    const { stack, today } = await start(t);
    const older = joiner(3, addDays(today, 60));
    const newer = { ...older, startDate: addDays(today, 40) };
    const release = await holdLease(stack, older.email);
    await stack.post(older);
    const olderJob = await delayedJob(stack, 'provision', startingOn(older.startDate));
    await stack.post(newer);
    const newerJob = await delayedJob(stack, 'provision', startingOn(newer.startDate));
    await release();

    await newerJob.promote();
    await recordIn(stack, newer.email, 'scheduled');
    await olderJob.promote();
    assert.equal(await outcomeOf(stack, olderJob), 'not-needed');
    const record = await recordIn(stack, older.email, 'scheduled');
    assert.equal(record.scheduledFor, dueAt(newer.startDate));
    assert.equal(record.scheduleJobId, newerJob.id);
  });

  it('a hire accepted before a termination but run after it does not bring the withdrawn joiner back; a later rehire does', async (t) => {
    const { stack, today } = await start(t);
    const first = joiner(4, addDays(today, 30));
    await stack.post(first);
    await recordIn(stack, first.email, 'scheduled');
    const release = await holdLease(stack, first.email);
    const again = { ...first, startDate: addDays(today, 31) };
    await stack.post(again);
    const stale = await delayedJob(stack, 'provision', startingOn(again.startDate));
    await release();
    await stack.post(
      { employeeId: first.employeeId, email: first.email, terminationDate: first.startDate },
      { type: 'employee.terminated' },
    );
    await recordIn(stack, first.email, 'withdrawn');

    await stale.promote();
    assert.equal(await outcomeOf(stack, stale), 'not-needed');
    assert.equal((await stack.store.get(stack.store.keyOf(first.email)))?.state, 'withdrawn');

    const rehire = { ...first, startDate: addDays(today, 50) };
    await stack.post(rehire);
    const record = await recordIn(stack, first.email, 'scheduled');
    assert.equal(record.scheduledFor, dueAt(rehire.startDate));
    assert.equal(created(stack), 0);
  });
});

describe('start dates: a cancelled termination (docs/design.md, rules 12 and 14)', () => {
  async function withdrawnJoiner(stack: Stack, n: number, startDate: string) {
    const person = joiner(n, startDate);
    await stack.post(person);
    const scheduled = await recordIn(stack, person.email, 'scheduled');
    const old = await delayedJob(stack, 'provision', startingOn(startDate));
    await stack.post(
      { employeeId: person.employeeId, email: person.email, terminationDate: startDate },
      { type: 'employee.terminated' },
    );
    await recordIn(stack, person.email, 'withdrawn');
    return { person, scheduled, old };
  }

  const cancel = (stack: Stack, person: { employeeId: string; email: string }) =>
    stack.post(
      { employeeId: person.employeeId, email: person.email },
      { type: 'employee.termination_cancelled' },
    );

  it('puts a withdrawn joiner back on their schedule, and they are made on the day', async (t) => {
    const { stack, clock, today } = await start(t);
    const { person, scheduled, old } = await withdrawnJoiner(stack, 5, addDays(today, 30));
    assert.equal((await cancel(stack, person)).status, 200);
    const back = await reinstated(stack, person.email, 'scheduled');
    assert.equal(back.scheduledFor, scheduled.scheduledFor);
    assert.notEqual(back.scheduleJobId, old.id);
    const timeline = await stack.store.timeline(stack.store.keyOf(person.email));
    assert.ok(
      timeline.some(
        (e) => e.event === 'termination cancelled' && (e.detail ?? '').includes('back on'),
      ),
      'the timeline says why',
    );
    assert.equal(created(stack), 0);

    clock.set((back.scheduledFor ?? 0) + 1_000);
    await old.promote();
    assert.equal(await outcomeOf(stack, old), 'not-needed');
    await (await delayedJob(stack, 'provision', (job) => job.id === back.scheduleJobId)).promote();
    await stack.settled([person.email], ['invited']);
    assert.equal(created(stack), 1);
  });

  it('makes the joiner at once when their day has come meanwhile', async (t) => {
    const { stack, clock, today } = await start(t);
    const { person, scheduled } = await withdrawnJoiner(stack, 6, addDays(today, 30));
    clock.set((scheduled.scheduledFor ?? 0) + DAY);
    await cancel(stack, person);
    await reinstated(stack, person.email, 'invited');
    assert.equal(created(stack), 1);
  });

  it('a cancellation accepted before the termination (run after it) leaves the joiner withdrawn', async (t) => {
    const { stack, today } = await start(t);
    const person = joiner(7, addDays(today, 30));
    await stack.post(person);
    await recordIn(stack, person.email, 'scheduled');
    const release = await holdLease(stack, person.email);
    await cancel(stack, person);
    const early = await delayedJob(stack, 'offboard-cancel', () => true);
    await release();
    await stack.post(
      { employeeId: person.employeeId, email: person.email, terminationDate: person.startDate },
      { type: 'employee.terminated' },
    );
    await recordIn(stack, person.email, 'withdrawn');
    await early.promote();
    await outcomeOf(stack, early);
    assert.equal((await stack.store.get(stack.store.keyOf(person.email)))?.state, 'withdrawn');
    const last = (await stack.store.timeline(stack.store.keyOf(person.email))).at(-1);
    assert.match(last?.detail ?? '', /termination accepted after this cancellation stands/);
  });
});

/** Waits until the person's disable is recorded `scheduled`; the store and key to read it again. */
async function disableScheduled(stack: Stack, email: string) {
  const offboarding = createOffboardingStore({
    redis: stack.redis,
    keys: createKeys(stack.prefix),
  });
  const key = stack.store.keyOf(email);
  await waitFor(async () =>
    (await offboarding.get(key))?.state === 'scheduled' ? true : undefined,
  );
  return { offboarding, key };
}

describe('a termination and a hire accepted before it that runs after it (docs/design.md, rules 12 and 14)', () => {
  /** A hire parked on the person's lease, then a termination accepted and run while it waits. */
  async function hireThenTermination(stack: Stack, n: number, startDate: string) {
    const person = joiner(n, startDate);
    const release = await holdLease(stack, person.email);
    await stack.post(person);
    const hire = await delayedJob(stack, 'provision', startingOn(startDate));
    await release();
    await stack.post(
      { employeeId: person.employeeId, email: person.email, terminationDate: startDate },
      { type: 'employee.terminated' },
    );
    const { offboarding, key } = await disableScheduled(stack, person.email);
    return { person, hire, offboarding, key };
  }

  it('with start dates, the joiner is not scheduled: withdrawn, and a cancelled termination brings them back', async (t) => {
    const { stack, today } = await start(t);
    const { person, hire, offboarding, key } = await hireThenTermination(
      stack,
      8,
      addDays(today, 30),
    );
    await hire.promote();
    assert.equal(await outcomeOf(stack, hire), 'not-needed');
    assert.equal((await stack.store.get(key))?.state, 'withdrawn');
    assert.equal((await offboarding.get(key))?.state, 'scheduled', 'the disable is not cancelled');

    await stack.post(
      { employeeId: person.employeeId, email: person.email },
      { type: 'employee.termination_cancelled' },
    );
    const back = await reinstated(stack, person.email, 'scheduled');
    assert.equal(back.scheduledFor, dueAt(person.startDate));
    assert.equal((await offboarding.get(key))?.state, 'cancelled');
    assert.equal(created(stack), 0);
  });

  it('without start dates, the hire makes the account at once but does not cancel the later termination', async (t) => {
    const { stack, today } = await start(t, { PROVISION_LEAD_DAYS: '' });
    const { person, hire, offboarding, key } = await hireThenTermination(
      stack,
      9,
      addDays(today, 30),
    );
    await hire.promote();
    await stack.settled([person.email], ['invited']);
    assert.equal((await offboarding.get(key))?.state, 'scheduled', 'the disable still waits');
  });

  it('a cancellation accepted before the termination (run after it) leaves its disable pending', async (t) => {
    const { stack, today } = await start(t, { PROVISION_LEAD_DAYS: '' });
    const person = joiner(10, today);
    await stack.post(person);
    await stack.settled([person.email], ['invited']);
    const release = await holdLease(stack, person.email);
    await stack.post(
      { employeeId: person.employeeId, email: person.email },
      { type: 'employee.termination_cancelled' },
    );
    const early = await delayedJob(stack, 'offboard-cancel', () => true);
    await release();
    await stack.post(
      { employeeId: person.employeeId, email: person.email, terminationDate: addDays(today, 10) },
      { type: 'employee.terminated' },
    );
    const { offboarding, key } = await disableScheduled(stack, person.email);
    await early.promote();
    assert.equal(await outcomeOf(stack, early), 'stale');
    assert.equal((await offboarding.get(key))?.state, 'scheduled', 'the disable still waits');
  });
});
