import assert from 'node:assert/strict';
import { describe, it, type TestContext } from 'node:test';
import type { Job } from 'bullmq';
import { addDays, dayIn, endOfDay, startOfDay } from '../../src/domain/effective-date.js';
import { createKeys } from '../../src/queue/keys.js';
import { createOffboardingStore } from '../../src/queue/offboarding-store.js';
import { testClock } from '../helpers/clock.js';
import { waitFor } from '../helpers/redis.js';
import { inviteCounts, okCalls, startStack, type Stack } from '../helpers/stack.js';

const TOKEN = 'offboarding-test-admin-token';
const DAY = 86_400_000;

const person = (n: number, extra: Record<string, string> = {}) => ({
  employeeId: `L-${n}`,
  firstName: 'Lee',
  lastName: `Leaver${String.fromCharCode(65 + (n % 26))}`,
  email: `lee.${n}@example.com`,
  ...extra,
});

async function start(t: TestContext, settings: Record<string, string> = {}, now?: () => number) {
  const stack = await startStack(
    { OFFBOARDING: 'disable', ADMIN_TOKEN: TOKEN, ...settings },
    now === undefined ? {} : { now },
  );
  t.after(() => stack.close());
  const offboarding = createOffboardingStore({
    redis: stack.redis,
    keys: createKeys(stack.prefix),
  });
  return { stack, offboarding };
}

async function hireAll(stack: Stack, people: readonly Record<string, string>[]) {
  assert.equal((await stack.post(people)).status, 200);
  await stack.settled(people.map((p) => p['email'] ?? ''));
}

/** Posts `employee.terminated` for `who` with yesterday's date (UTC): due at once. */
async function terminateYesterday(stack: Stack, who: { employeeId: string; email: string }) {
  await stack.post(
    {
      employeeId: who.employeeId,
      email: who.email,
      terminationDate: dayIn('UTC', Date.now() - DAY),
    },
    { type: 'employee.terminated' },
  );
}

function simUser(stack: Stack, email: string) {
  return stack.sim.state().users.find((u) => u.email === email);
}

async function offboardJob(stack: Stack, email: string): Promise<Job> {
  return await waitFor(async () => {
    const jobs = await stack.hires.getJobs(['delayed', 'waiting', 'active', 'completed']);
    return jobs.find(
      (job) =>
        job.name === 'offboard' &&
        (job.data as { leaver: { email: string } }).leaver.email === email,
    );
  });
}

async function admin(stack: Stack, method: string, path: string, body?: unknown) {
  const response = await fetch(`${stack.apiUrl}${path}`, {
    method,
    headers: {
      authorization: `Bearer ${TOKEN}`,
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  return { status: response.status, json: (await response.json()) as Record<string, unknown> };
}

describe('leavers (docs/design.md, rule 12) against the simulator', () => {
  it('when a termination date is yesterday, the account is disabled at once with PUT people/status/Terminated', async (t) => {
    const { stack, offboarding } = await start(t);
    const lee = person(1);
    await hireAll(stack, [lee]);
    const yesterday = dayIn('UTC', Date.now() - DAY);
    const answer = await stack.post(
      { employeeId: lee.employeeId, email: lee.email, terminationDate: yesterday },
      { type: 'employee.terminated' },
    );
    assert.deepEqual(await answer.json(), { status: 'accepted', hires: 1 });
    await waitFor(() => (simUser(stack, lee.email)?.status === 2 ? true : undefined));
    // The records are written once DocSpace has answered: wait for them, not only the account.
    await waitFor(async () =>
      (await offboarding.get(offboarding.keyOf(lee.email)))?.state === 'done' ? true : undefined,
    );
    const record = await stack.store.get(stack.store.keyOf(lee.email));
    assert.equal(record?.state, 'offboarded');
    assert.equal(okCalls(stack.sim, 'PUT', '/api/2.0/people/status/Terminated').length, 1);
  });

  it('when the termination date is today in HR_TIMEZONE, the disable waits until that day has ended there', async (t) => {
    const zone = 'Pacific/Auckland';
    const clock = testClock();
    const { stack, offboarding } = await start(t, { HR_TIMEZONE: zone }, clock.now);
    const lee = person(2);
    await hireAll(stack, [lee]);
    const today = dayIn(zone, clock.now());
    await stack.post(
      { employeeId: lee.employeeId, email: lee.email, terminationDate: today },
      { type: 'employee.terminated' },
    );
    const key = offboarding.keyOf(lee.email);
    const scheduled = await waitFor(async () => {
      const record = await offboarding.get(key);
      return record?.state === 'scheduled' ? record : undefined;
    });
    assert.equal(scheduled.effectiveAt, endOfDay(today, zone));
    const job = await offboardJob(stack, lee.email);
    await waitFor(async () => ((await job.getState()) === 'delayed' ? true : undefined));

    // Woken early (an operator promotes it): it checks the clock and waits again.
    await job.promote();
    await waitFor(async () => ((await job.getState()) === 'delayed' ? true : undefined));
    assert.equal(simUser(stack, lee.email)?.status, 1, 'nothing disabled before the day ended');

    clock.set(scheduled.effectiveAt + 1_000);
    await job.promote();
    await waitFor(async () => ((await offboarding.get(key))?.state === 'done' ? true : undefined));
    assert.equal(simUser(stack, lee.email)?.status, 2);
  });

  it('when an eleventh disable comes within an hour (OFFBOARDING_MAX_PER_HOUR=10), it waits held until an admin releases it', async (t) => {
    const { stack, offboarding } = await start(t);
    const people = Array.from({ length: 11 }, (_, i) => person(100 + i));
    await hireAll(stack, people);
    const yesterday = dayIn('UTC', Date.now() - DAY);
    await stack.post(
      people.map((p) => ({ employeeId: p.employeeId, email: p.email, terminationDate: yesterday })),
      { type: 'employee.terminated' },
    );
    const held = await waitFor(async () => {
      const records = await offboarding.list();
      const done = records.filter((r) => r.state === 'done');
      const waiting = records.filter((r) => r.state === 'held');
      return done.length === 10 && waiting.length === 1 ? waiting : undefined;
    });
    const heldEmail = held[0]?.email ?? '';
    assert.equal(simUser(stack, heldEmail)?.status, 1, 'the held one is not disabled');
    const listed = await admin(stack, 'GET', '/admin/offboarding?state=held');
    assert.equal(listed.status, 200);
    const offboardings = listed.json['offboardings'] as Record<string, unknown>[];
    assert.deepEqual(
      offboardings.map((o) => [o['email'], o['state']]),
      [[heldEmail, 'held']],
    );
    assert.ok(
      stack.logLines.some((line) => line.includes('offboarding held')),
      'a log line says it is held',
    );
    const metrics = await (await fetch(`${stack.apiUrl}/metrics`)).text();
    assert.match(metrics, /docspace_onboarding_offboardings_held_total 1/);

    const released = await admin(stack, 'POST', '/admin/offboarding/release', {
      emails: [heldEmail],
    });
    assert.deepEqual(released, { status: 200, json: { released: 1 } });
    await waitFor(async () =>
      (await offboarding.get(offboarding.keyOf(heldEmail)))?.state === 'done' ? true : undefined,
    );
    assert.equal(simUser(stack, heldEmail)?.status, 2);
  });

  it('scope: by default only accounts this service created; `all` reaches others but never a DocSpace admin', async (t) => {
    const { stack, offboarding } = await start(t);
    stack.sim.addUser({ email: 'old.hand@example.com', firstName: 'Old' });
    const yesterday = dayIn('UTC', Date.now() - DAY);
    await stack.post(
      { employeeId: 'X-1', email: 'old.hand@example.com', terminationDate: yesterday },
      { type: 'employee.terminated' },
    );
    const skipped = await waitFor(async () => {
      const record = await offboarding.get(offboarding.keyOf('old.hand@example.com'));
      return record?.state === 'skipped' ? record : undefined;
    });
    assert.match(skipped.reason ?? '', /not an account this service created/);
    assert.equal(simUser(stack, 'old.hand@example.com')?.status, 1);

    const all = await start(t, { OFFBOARDING_SCOPE: 'all' });
    all.stack.sim.addUser({ email: 'old.hand@example.com', firstName: 'Old' });
    all.stack.sim.addUser({
      email: 'the.admin@example.com',
      firstName: 'Ada',
      type: 'DocSpaceAdmin',
    });
    await all.stack.post(
      ['old.hand@example.com', 'the.admin@example.com'].map((email, i) => ({
        employeeId: `X-${i}`,
        email,
        terminationDate: yesterday,
      })),
      { type: 'employee.terminated' },
    );
    await waitFor(() =>
      simUser(all.stack, 'old.hand@example.com')?.status === 2 ? true : undefined,
    );
    const refused = await waitFor(async () => {
      const record = await all.offboarding.get(all.offboarding.keyOf('the.admin@example.com'));
      return record?.state === 'refused' ? record : undefined;
    });
    assert.match(refused.reason ?? '', /DocSpace admin/);
    assert.equal(
      simUser(all.stack, 'the.admin@example.com')?.status,
      1,
      'an admin is never disabled',
    );
  });

  it('a cancelled termination before the effective time cancels the disable', async (t) => {
    const clock = testClock();
    const { stack, offboarding } = await start(t, {}, clock.now);
    const lee = person(3);
    await hireAll(stack, [lee]);
    const tomorrow = dayIn('UTC', clock.now() + DAY);
    await stack.post(
      { employeeId: lee.employeeId, email: lee.email, terminationDate: tomorrow },
      { type: 'employee.terminated' },
    );
    const key = offboarding.keyOf(lee.email);
    await waitFor(async () =>
      (await offboarding.get(key))?.state === 'scheduled' ? true : undefined,
    );
    await stack.post(
      { employeeId: lee.employeeId, email: lee.email },
      {
        type: 'employee.termination_cancelled',
      },
    );
    await waitFor(async () =>
      (await offboarding.get(key))?.state === 'cancelled' ? true : undefined,
    );
    const job = await offboardJob(stack, lee.email);
    clock.set(endOfDay(tomorrow, 'UTC') + 1_000);
    await job.promote();
    await waitFor(async () => ((await job.getState()) === 'completed' ? true : undefined));
    assert.equal(simUser(stack, lee.email)?.status, 1, 'not disabled');
    assert.equal(okCalls(stack.sim, 'PUT', '/api/2.0/people/status/Terminated').length, 0);
  });

  it('a hire for an account this service disabled reactivates it (PUT status/Active) and invites it again; not `existed`', async (t) => {
    const { stack } = await start(t);
    const lee = person(4);
    await hireAll(stack, [lee]);
    await terminateYesterday(stack, lee);
    await waitFor(() => (simUser(stack, lee.email)?.status === 2 ? true : undefined));
    await stack.post(lee);
    await waitFor(() => (simUser(stack, lee.email)?.status === 1 ? true : undefined));
    await stack.settled([lee.email], ['invited']);
    const record = await stack.store.get(stack.store.keyOf(lee.email));
    assert.equal(record?.state, 'invited');
    assert.ok(record.reactivatedAt !== undefined, 'recorded as reactivated');
    assert.equal(inviteCounts(stack.sim).get(lee.email), 2, 'in an invite batch again');
    assert.equal(okCalls(stack.sim, 'POST', '/api/2.0/people').length, 1, 'no second account');
  });

  it('a rehire that arrives while the disable is being sent waits for it, then reactivates the account', async (t) => {
    const { stack } = await start(t);
    const lee = person(8);
    await hireAll(stack, [lee]);
    stack.sim.setFaults({ latencyMs: 700 });
    await terminateYesterday(stack, lee);
    const job = await offboardJob(stack, lee.email);
    await waitFor(async () => ((await job.getState()) === 'active' ? true : undefined));
    // The disable's DocSpace calls are under way (700 ms each): the rehire comes now.
    await stack.post(lee);
    await waitFor(async () => ((await job.getState()) === 'completed' ? true : undefined), 20_000);
    stack.sim.resetFaults();
    await waitFor(() => (simUser(stack, lee.email)?.status === 1 ? true : undefined), 20_000);
    await stack.settled([lee.email], ['invited']);
    const record = await stack.store.get(stack.store.keyOf(lee.email));
    assert.ok(record?.reactivatedAt !== undefined, 'recorded as reactivated');
    assert.equal(okCalls(stack.sim, 'PUT', '/api/2.0/people/status/Terminated').length, 1);
    assert.equal(okCalls(stack.sim, 'PUT', '/api/2.0/people/status/Active').length, 1);
  });

  it('a release that died before adding its job is finished by the next release', async (t) => {
    const { stack, offboarding } = await start(t, { OFFBOARDING_MAX_PER_HOUR: '0' });
    const lee = person(9);
    await hireAll(stack, [lee]);
    await terminateYesterday(stack, lee);
    const key = offboarding.keyOf(lee.email);
    await waitFor(async () => ((await offboarding.get(key))?.state === 'held' ? true : undefined));
    // The first half of a release (the record), as a process killed before adding the job leaves it.
    assert.equal((await offboarding.release([lee.email])).length, 1);
    assert.equal((await offboarding.get(key))?.state, 'released');
    const again = await admin(stack, 'POST', '/admin/offboarding/release', { emails: [lee.email] });
    assert.deepEqual(again, { status: 200, json: { released: 0 } });
    await waitFor(async () => ((await offboarding.get(key))?.state === 'done' ? true : undefined));
    assert.equal(simUser(stack, lee.email)?.status, 2);
    assert.equal(okCalls(stack.sim, 'PUT', '/api/2.0/people/status/Terminated').length, 1);
  });

  it('an HR update is not a rehire: it neither cancels a pending disable nor wakes a disabled account', async (t) => {
    const clock = testClock();
    const { stack, offboarding } = await start(t, {}, clock.now);
    const [pending, disabled] = [person(6), person(7)];
    await hireAll(stack, [pending, disabled]);
    const tomorrow = dayIn('UTC', clock.now() + DAY);
    await stack.post(
      { employeeId: pending.employeeId, email: pending.email, terminationDate: tomorrow },
      { type: 'employee.terminated' },
    );
    await stack.post(
      {
        employeeId: disabled.employeeId,
        email: disabled.email,
        terminationDate: dayIn('UTC', clock.now() - DAY),
      },
      { type: 'employee.terminated' },
    );
    const pendingKey = offboarding.keyOf(pending.email);
    await waitFor(async () =>
      (await offboarding.get(pendingKey))?.state === 'scheduled' ? true : undefined,
    );
    await waitFor(() => (simUser(stack, disabled.email)?.status === 2 ? true : undefined));

    // HR systems send updates around a termination (a status or end-date field changes).
    const updated = await stack.post([pending, disabled], { type: 'employee.updated' });
    assert.equal(updated.status, 200);
    const updateJobs = await waitFor(async () => {
      const jobs = await stack.hires.getJobs(['completed']);
      const done = jobs.filter((job) => (job.data as { event?: string }).event === 'updated');
      return done.length === 2 ? done : undefined;
    });
    assert.equal(updateJobs.length, 2);
    assert.equal((await offboarding.get(pendingKey))?.state, 'scheduled', 'still pending');
    assert.equal(simUser(stack, disabled.email)?.status, 2, 'still disabled');
    assert.equal(okCalls(stack.sim, 'PUT', '/api/2.0/people/status/Active').length, 0);

    const job = await offboardJob(stack, pending.email);
    clock.set(endOfDay(tomorrow, 'UTC') + 1_000);
    await job.promote();
    await waitFor(() => (simUser(stack, pending.email)?.status === 2 ? true : undefined));
  });

  it('OFFBOARDING=off (the default): a termination is recorded in the timeline and nothing else', async (t) => {
    const { stack } = await start(t, { OFFBOARDING: 'off' });
    const lee = person(5);
    await hireAll(stack, [lee]);
    await terminateYesterday(stack, lee);
    const key = stack.store.keyOf(lee.email);
    await waitFor(async () =>
      (await stack.store.timeline(key)).some((e) => e.event === 'termination') ? true : undefined,
    );
    assert.equal(simUser(stack, lee.email)?.status, 1);
    assert.equal(okCalls(stack.sim, 'PUT', '/api/2.0/people/status/Terminated').length, 0);
  });
});

describe('start dates (docs/design.md, rule 14) against the simulator', () => {
  it('with PROVISION_LEAD_DAYS=3, a hire starting in 30 days waits `scheduled` and is created 3 days before', async (t) => {
    const clock = testClock();
    const { stack } = await start(t, { PROVISION_LEAD_DAYS: '3' }, clock.now);
    const startDate = addDays(dayIn('UTC', clock.now()), 30);
    const joiner = person(6, { startDate });
    assert.equal((await stack.post(joiner)).status, 200);
    const key = stack.store.keyOf(joiner.email);
    const scheduled = await waitFor(async () => {
      const record = await stack.store.get(key);
      return record?.state === 'scheduled' ? record : undefined;
    });
    assert.equal(scheduled.scheduledFor, startOfDay(addDays(startDate, -3), 'UTC'));
    const job = await waitFor(async () => (await stack.hires.getDelayed())[0]);
    assert.equal(okCalls(stack.sim, 'POST', '/api/2.0/people').length, 0, 'nothing created yet');

    // Promoted early: it checks the clock and waits again; nothing is created.
    await job.promote();
    await waitFor(async () => ((await job.getState()) === 'delayed' ? true : undefined));
    assert.equal(okCalls(stack.sim, 'POST', '/api/2.0/people').length, 0);

    clock.set((scheduled.scheduledFor ?? 0) + 1_000);
    await job.promote();
    await stack.settled([joiner.email], ['invited']);
    assert.equal(okCalls(stack.sim, 'POST', '/api/2.0/people').length, 1);
    const timeline = (await stack.store.timeline(key)).map((e) => e.event);
    assert.deepEqual(timeline.slice(-3), ['scheduled', 'created', 'invited']);
  });

  it('a termination before the start date withdraws the joiner: nothing is created', async (t) => {
    const clock = testClock();
    const { stack } = await start(t, { PROVISION_LEAD_DAYS: '3' }, clock.now);
    const startDate = addDays(dayIn('UTC', clock.now()), 30);
    const joiner = person(7, { startDate });
    await stack.post(joiner);
    const key = stack.store.keyOf(joiner.email);
    await waitFor(async () =>
      (await stack.store.get(key))?.state === 'scheduled' ? true : undefined,
    );
    await stack.post(
      { employeeId: joiner.employeeId, email: joiner.email, terminationDate: startDate },
      { type: 'employee.terminated' },
    );
    await waitFor(async () =>
      (await stack.store.get(key))?.state === 'withdrawn' ? true : undefined,
    );
    const job = await waitFor(async () =>
      (await stack.hires.getDelayed()).find((j) => j.name === 'provision'),
    );
    clock.set(startOfDay(startDate, 'UTC'));
    await job.promote();
    await waitFor(async () => ((await job.getState()) === 'completed' ? true : undefined));
    // The HR system's own update around the termination does not bring the joiner back.
    await stack.post(joiner, { type: 'employee.updated' });
    await waitFor(async () => {
      const jobs = await stack.hires.getJobs(['completed']);
      return jobs.some((j) => (j.data as { event?: string }).event === 'updated')
        ? true
        : undefined;
    });
    assert.equal((await stack.store.get(key))?.state, 'withdrawn');
    assert.equal(okCalls(stack.sim, 'POST', '/api/2.0/people').length, 0);
  });
});
