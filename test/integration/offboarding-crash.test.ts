import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Job } from 'bullmq';
import { addDays, dayIn, endOfDay } from '../../src/domain/effective-date.js';
import { bamboohr } from '../../src/providers/bamboohr.js';
import type { OffboardJobData } from '../../src/queue/leaver-intake.js';
import { createKeys } from '../../src/queue/keys.js';
import { createOffboardingStore } from '../../src/queue/offboarding-store.js';
import { postBambooHrUpdate } from '../helpers/bamboohr-webhook.js';
import { kill, spawnWorker } from '../helpers/child-worker.js';
import { testClock } from '../helpers/clock.js';
import { startBambooHrApi } from '../helpers/hr-api.js';
import { startRedisHold } from '../helpers/redis-hold.js';
import { waitFor } from '../helpers/redis.js';
import { okCalls, startStack, type Stack } from '../helpers/stack.js';

const ZONE = 'UTC';
const DAY = 86_400_000;
const BAMBOO = { secret: 'bamboo-crash-key-7d21', apiKey: 'b4mb00-crash-api-key', domain: 'acme' };
const DISABLE_PATH = '/api/2.0/people/status/Terminated';

/**
 * Issue 14's leftover: a worker process SIGKILLed in the reschedule path of a disable
 * (workers/offboard.ts, `readAgain`; docs/design.md, rules 7 and 12). The HR system is read just
 * before the disable and shows a later termination date: the worker moves the record to it
 * (src/queue/offboarding-store.ts, `reschedule`), then writes the new date into its job and delays
 * the job to it. The window is between those Redis writes, with no HTTP call in it to hold: a
 * proxy in front of Redis (test/helpers/redis-hold.ts) stops the worker's connection at the job
 * update, so the kill lands exactly there. The job then still holds the old, past date. The
 * second test stops a cancelled termination's job the same way (rule 14).
 */
describe('a worker killed in the middle of moving or cancelling a disable (rules 7, 12 and 14)', () => {
  it('when the worker process dies after the record moved but before its job did, the next worker waits for the new date, then disables once', async (t) => {
    const clock = testClock();
    const hr = await startBambooHrApi(BAMBOO.domain, BAMBOO.apiKey);
    t.after(() => hr.close());
    const hrSettings = {
      BAMBOOHR_WEBHOOK_SECRET: BAMBOO.secret,
      BAMBOOHR_API_KEY: BAMBOO.apiKey,
      BAMBOOHR_COMPANY_DOMAIN: BAMBOO.domain,
      BAMBOOHR_API_URL: hr.url,
      OFFBOARDING: 'disable',
      HR_TIMEZONE: ZONE,
    };
    const stack = await startStack(
      { ...hrSettings, JOB_ATTEMPTS: '12', JOB_BACKOFF_MS: '100' },
      { providers: [bamboohr], now: clock.now },
    );
    t.after(() => stack.close());
    const offboarding = createOffboardingStore({
      redis: stack.redis,
      keys: createKeys(stack.prefix),
    });

    // The service made Lou's account (OFFBOARDING_SCOPE=created), then the workers stop.
    const id = '7001';
    const email = 'lou.later@example.com';
    const key = offboarding.keyOf(email);
    await stack.post({ employeeId: `G-${id}`, firstName: 'Lou', lastName: 'Later', email });
    await stack.settled([email]);
    await stack.stopWorkers();

    // BambooHR: the event's read shows yesterday; by the read before the disable, HR has moved the
    // termination three days on (the person still Active until then).
    const yesterday = dayIn(ZONE, Date.now() - DAY);
    const later = addDays(dayIn(ZONE, Date.now()), 3);
    const employee = { email, hireDate: '2024-02-01' };
    hr.script.push({
      status: 200,
      body: { id, workEmail: email, status: 'Inactive', terminationDate: yesterday, ...employee },
    });
    hr.people.set(id, { ...employee, terminationDate: later, active: true });

    const proxy = await startRedisHold();
    t.after(() => proxy.close());
    // The job's new data (BullMQ's updateData sends it as JSON); `reschedule` sends the bare date.
    let held = false;
    void proxy.hold(`"terminationDate":"${later}"`).then(() => {
      held = true;
    });
    // A termination: BambooHR names the status among the changed fields (docs/hr-systems.md).
    const event = await postBambooHrUpdate(stack.apiUrl, BAMBOO.secret, id, [
      'employmentHistoryStatus',
      'status',
    ]);
    assert.equal(event.status, 200);
    const child = spawnWorker(stack, { ...hrSettings, REDIS_URL: proxy.url });
    t.after(() => kill(child));
    await waitFor(
      () => (held ? true : undefined),
      30_000,
      'the worker to reach the job update after the reschedule',
    );

    const moved = await offboarding.get(key);
    assert.equal(moved?.state, 'scheduled');
    assert.equal(moved.terminationDate, later, 'the record moved before the kill');
    assert.equal(moved.effectiveAt, endOfDay(later, ZONE));
    const job = await offboardJob(stack, id);
    assert.equal(job.data.leaver?.terminationDate, yesterday, 'the job did not');
    await kill(child);
    await proxy.close();

    // A new worker takes the stalled job: it must neither disable on the job's old date nor lose
    // the disable; it reads HR again and waits for the new date.
    await stack.startWorkers();
    const waiting = await waitFor(
      async () => {
        const current = await stack.hires.getJob(job.id ?? '');
        const data = current?.data as OffboardJobData | undefined;
        return (await current?.getState()) === 'delayed' && data?.leaver?.terminationDate === later
          ? current
          : undefined;
      },
      30_000,
      'the job delayed to the new date',
    );
    const after = await offboarding.get(key);
    assert.deepEqual(
      [after?.state, after?.terminationDate, after?.effectiveAt, after?.jobId],
      ['scheduled', later, endOfDay(later, ZONE), moved.jobId],
      'the record still waits for the new date',
    );
    assert.equal(stack.sim.state().calls.filter((c) => c.path === DISABLE_PATH).length, 0);
    assert.equal(account(stack, email)?.status, 1, 'not disabled on the old date');

    // The new date ends (BambooHR turns the status Inactive then): one disable.
    hr.people.set(id, { ...employee, terminationDate: later, active: false });
    clock.set(endOfDay(later, ZONE) + 1_000);
    await waiting.promote();
    await waitFor(
      async () => ((await offboarding.get(key))?.state === 'done' ? true : undefined),
      30_000,
      'the disable',
    );
    assert.equal(account(stack, email)?.status, 2, 'disabled');
    assert.equal(okCalls(stack.sim, 'PUT', DISABLE_PATH).length, 1, 'one disable call');
    const timeline = await stack.store.timeline(stack.store.keyOf(email));
    assert.equal(timeline.filter((e) => e.event === 'offboarding moved').length, 1);
  });

  /**
   * The cancellation path (workers/offboard.ts, `reinstate`): it adds the joiner's new `provision`
   * job, then records it as the person's newest event. The proxy stops the worker at that record.
   */
  it('when the worker process dies after a cancelled termination re-added a withdrawn joiner but before it recorded that job, the joiner is made once, on the day', async (t) => {
    const clock = testClock();
    const settings = { OFFBOARDING: 'disable', PROVISION_LEAD_DAYS: '3' };
    const stack = await startStack(settings, { now: clock.now });
    t.after(() => stack.close());
    const today = dayIn(ZONE, Date.now());
    const sam = {
      employeeId: 'S-1',
      firstName: 'Sam',
      lastName: 'Starter',
      email: 'sam.starter@example.com',
      startDate: addDays(today, 30),
    };
    const key = stack.store.keyOf(sam.email);
    await stack.post(sam);
    const scheduled = await recordIn(stack, sam.email, 'scheduled');
    const old = scheduled.scheduleJobId ?? '';
    await stack.post(
      { employeeId: sam.employeeId, email: sam.email, terminationDate: sam.startDate },
      { type: 'employee.terminated' },
    );
    await recordIn(stack, sam.email, 'withdrawn');
    await stack.stopWorkers();

    const proxy = await startRedisHold();
    t.after(() => proxy.close());
    let held = false;
    // The record of the newest event (src/queue/hire-store.ts, `accepted`): its field name.
    void proxy.hold('latestJobId').then(() => {
      held = true;
    });
    await stack.post(
      { employeeId: sam.employeeId, email: sam.email },
      { type: 'employee.termination_cancelled' },
    );
    const child = spawnWorker(stack, { ...settings, REDIS_URL: proxy.url });
    t.after(() => kill(child));
    await waitFor(() => (held ? true : undefined), 30_000, 'the record of the re-added job');
    const readded = await waitFor(async () =>
      (await stack.hires.getJobs(['waiting', 'active', 'delayed'])).find((j) =>
        j.id?.endsWith('-joiner'),
      ),
    );
    const before = await stack.store.get(key);
    assert.equal(before?.state, 'withdrawn');
    assert.notEqual(before.latestJobId, readded.id, 'the job is added, not yet recorded');
    await kill(child);
    await proxy.close();

    await stack.startWorkers();
    const back = await waitFor(
      async () => {
        const record = await stack.store.get(key);
        return record?.state === 'scheduled' && record.latestJobId === readded.id
          ? record
          : undefined;
      },
      30_000,
      'the joiner back on their schedule',
    );
    assert.equal(back.scheduledFor, scheduled.scheduledFor);
    const joinerJobs = (await stack.hires.getJobs(['waiting', 'active', 'delayed'])).filter((j) =>
      j.id?.endsWith('-joiner'),
    );
    assert.deepEqual(
      joinerJobs.map((j) => j.id),
      [readded.id],
      'one re-added job',
    );
    assert.equal(okCalls(stack.sim, 'POST', '/api/2.0/people').length, 0, 'not made early');

    // The day comes: the old job stands aside, the re-added one makes Sam, once.
    clock.set((back.scheduledFor ?? 0) + 1_000);
    await (await stack.hires.getJob(old))?.promote();
    // It waits delayed until the start date's lead (real time): woken whenever it is found so.
    await waitFor(
      async () => {
        if ((await stack.store.get(key))?.state === 'invited') return true;
        const job = await stack.hires.getJob(readded.id ?? '');
        if ((await job?.getState()) === 'delayed') await job?.promote().catch(() => undefined);
        return undefined;
      },
      30_000,
      'Sam made and invited',
    );
    assert.equal(okCalls(stack.sim, 'POST', '/api/2.0/people').length, 1, 'made once');
  });
});

const account = (stack: Stack, email: string) =>
  stack.sim.state().users.find((u) => u.email === email);

/** The `offboard` job of BambooHR employee `id`. */
async function offboardJob(stack: Stack, id: string): Promise<Job<OffboardJobData>> {
  return await waitFor(async () => {
    const jobs = (await stack.hires.getJobs([
      'active',
      'waiting',
      'delayed',
    ])) as Job<OffboardJobData>[];
    return jobs.find((j) => j.name === 'offboard' && j.data.ref?.employeeId === id);
  });
}

async function recordIn(stack: Stack, email: string, state: string) {
  return await waitFor(async () => {
    const record = await stack.store.get(stack.store.keyOf(email));
    return record?.state === state ? record : undefined;
  });
}
