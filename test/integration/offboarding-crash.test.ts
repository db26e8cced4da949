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
 * update, so the kill lands exactly there. The job then still holds the old, past date.
 */
describe('a worker killed while moving a disable to a later termination date (rules 7 and 12)', () => {
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
