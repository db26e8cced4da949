import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { after, before, describe, it, type TestContext } from 'node:test';
import type { Job } from 'bullmq';
import { addDays, dayIn, endOfDay } from '../../src/domain/effective-date.js';
import { HrApiError } from '../../src/errors.js';
import { createHrHttp } from '../../src/providers/hr-http.js';
import { createPersonioFetcher } from '../../src/providers/personio-api.js';
import { bamboohr } from '../../src/providers/bamboohr.js';
import { hibob } from '../../src/providers/hibob.js';
import { personio } from '../../src/providers/personio.js';
import type { Provider } from '../../src/providers/types.js';
import { createKeys } from '../../src/queue/keys.js';
import { createLocks } from '../../src/queue/locks.js';
import {
  createOffboardingStore,
  type OffboardingStore,
} from '../../src/queue/offboarding-store.js';
import {
  startBambooHrApi,
  startBobApi,
  type FakeEmployment,
  type HrApiCall,
} from '../helpers/hr-api.js';
import {
  CLIENT_ID,
  CLIENT_SECRET,
  startPersonioApi,
  WEBHOOK_TOKEN,
} from '../helpers/personio-api.js';
import { postBambooHrUpdate } from '../helpers/bamboohr-webhook.js';
import { testClock } from '../helpers/clock.js';
import { offboardingIn, reinstated } from '../helpers/leavers.js';
import { waitFor } from '../helpers/redis.js';
import { startStack, type Stack } from '../helpers/stack.js';

/**
 * The HR systems' own leaver events, end to end (docs/design.md, rule 12; docs/hr-systems.md, each
 * provider's "Leavers"): a delivery shaped as the vendor documents it, the service reading the
 * termination from a fake of the vendor's API (test/helpers), the simulator's account.
 */

const ZONE = 'UTC';
const DAY = 86_400_000;

interface Vendor {
  readonly provider: Provider;
  start(): Promise<{
    settings: Record<string, string>;
    people: Map<string, FakeEmployment>;
    state: { down: boolean };
    calls: HrApiCall[];
    close: () => Promise<void>;
  }>;
  /** The vendor's leaver delivery for employee `id`, as its documentation shows it. */
  send(stack: Stack, id: string): Promise<Response>;
  /** Whether an HR API call read employee `id`'s termination. */
  reads(call: HrApiCall, id: string): boolean;
}

const BAMBOO = {
  secret: 'bamboo-leaver-key-51c0',
  apiKey: 'b4mb00-leaver-api-key',
  domain: 'acme',
};
const BOB = {
  secret: 'bob-leaver-secret',
  user: { id: 'SERVICE-LEAVERS', token: 'bobLeaverToken9' },
};

/** A signed BambooHR `employee.updated` naming `changedFields`, in the vendor's event-based shape. */
const sendBambooUpdate = (stack: Stack, id: string, changedFields: string[]) =>
  postBambooHrUpdate(stack.apiUrl, BAMBOO.secret, id, changedFields);

const VENDORS: readonly Vendor[] = [
  {
    provider: bamboohr,
    async start() {
      const api = await startBambooHrApi(BAMBOO.domain, BAMBOO.apiKey);
      return {
        ...api,
        settings: {
          BAMBOOHR_WEBHOOK_SECRET: BAMBOO.secret,
          BAMBOOHR_API_KEY: BAMBOO.apiKey,
          BAMBOOHR_COMPANY_DOMAIN: BAMBOO.domain,
          BAMBOOHR_API_URL: api.url,
        },
      };
    },
    // BambooHR has no termination event: "Terminating employees will trigger the "Employee
    // Updated" event" with the status among `changedFields`, names only
    // (https://documentation.bamboohr.com/reference/employee-updated-webhook).
    async send(stack, id) {
      return await sendBambooUpdate(stack, id, ['employmentHistoryStatus', 'status']);
    },
    reads: (call, id) => call.path.startsWith(`/${BAMBOO.domain}/v1/employees/${id}?`),
  },
  {
    provider: hibob,
    async start() {
      const api = await startBobApi(BOB.user);
      return {
        ...api,
        settings: {
          HIBOB_WEBHOOK_SECRET: BOB.secret,
          HIBOB_API_URL: api.url,
          HIBOB_SERVICE_USER_ID: BOB.user.id,
          HIBOB_SERVICE_USER_TOKEN: BOB.user.token,
          HIBOB_FETCH_DELAY_MS: '0',
        },
      };
    },
    // Bob's v2 lifecycle event, ids only, signed HMAC-SHA512 in Bob-Signature
    // (https://apidocs.hibob.com/reference/post_webhook_employee-left,
    // https://apidocs.hibob.com/docs/working-with-webhooks).
    async send(stack, id) {
      const body = JSON.stringify({
        companyId: 636192,
        type: 'employee.left',
        triggeredBy: 'system',
        triggeredAt: new Date().toISOString(),
        version: 'v2',
        data: { employeeId: id },
      });
      return await fetch(`${stack.apiUrl}/webhooks/hibob`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'bob-signature': createHmac('sha512', BOB.secret).update(body).digest('base64'),
        },
        body,
      });
    },
    reads: (call, id) => call.path === `/v1/people/${id}`,
  },
  {
    provider: personio,
    async start() {
      const api = await startPersonioApi();
      return {
        ...api,
        // One employment per person, `e-<person id>` (test/helpers/personio-api.ts).
        people: api.employments,
        settings: {
          PERSONIO_WEBHOOK_TOKEN: WEBHOOK_TOKEN,
          PERSONIO_API_URL: api.url,
          PERSONIO_CLIENT_ID: CLIENT_ID,
          PERSONIO_CLIENT_SECRET: CLIENT_SECRET,
        },
      };
    },
    // Personio's effective-date event, dataless: `{company_id, event_name, occurred_at, payload,
    // meta}` naming the employment and its person
    // (https://developer.personio.de/changelog/webhooks-effective-date-notification-webhooks-employmentstarted-and-employmentterminated,
    // https://developer.personio.de/v2.0/reference/webhooks).
    async send(stack, id) {
      return await fetch(`${stack.apiUrl}/webhooks/personio`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: WEBHOOK_TOKEN },
        body: JSON.stringify({
          company_id: '123456',
          event_name: 'employment.terminated',
          occurred_at: new Date().toISOString(),
          payload: { employment: { id: `e-${id}` }, person: { id } },
          meta: {},
        }),
      });
    },
    reads: (call, id) => call.path === `/v2/persons/${id}/employments`,
  },
];

/** The vendor's fake API and a stack reading it, offboarding on, on the test clock. */
async function startVendor(
  vendor: Vendor,
  clock: ReturnType<typeof testClock>,
  settings: Record<string, string> = {},
) {
  const hr = await vendor.start();
  const stack = await startStack(
    {
      ...hr.settings,
      OFFBOARDING: 'disable',
      HR_TIMEZONE: ZONE,
      JOB_ATTEMPTS: '12',
      JOB_BACKOFF_MS: '100',
      ...settings,
    },
    { providers: [vendor.provider], now: clock.now },
  );
  const offboarding = createOffboardingStore({
    redis: stack.redis,
    keys: createKeys(stack.prefix),
  });
  return { hr, stack, offboarding };
}

for (const vendor of VENDORS) {
  const name = vendor.provider.title;
  describe(`${name}: its leaver event disables the account (rule 12)`, () => {
    const clock = testClock();
    let stack: Stack;
    let offboarding: OffboardingStore;
    let hr: Awaited<ReturnType<Vendor['start']>>;
    let next = 0;

    before(async () => {
      ({ hr, stack, offboarding } = await startVendor(vendor, clock));
    });
    after(async () => {
      await stack.close();
      await hr.close();
    });

    /** A person this service created, whom HR shows with `termination`. */
    async function employee(t: TestContext, termination: string | null, active = true) {
      t.after(() => {
        clock.reset();
      });
      next += 1;
      const id = `${4000 + next}`;
      const email = `leaver.${vendor.provider.name}.${id}@example.com`;
      assert.equal(
        (await stack.post({ employeeId: `G-${id}`, firstName: 'Lou', lastName: 'Leaver', email }))
          .status,
        200,
      );
      await stack.settled([email]);
      hr.people.set(id, { email, hireDate: '2024-02-01', terminationDate: termination, active });
      return { id, email, key: offboarding.keyOf(email) };
    }

    const account = (email: string) => stack.sim.state().users.find((u) => u.email === email);

    async function job(id: string): Promise<Job> {
      return await waitFor(async () => {
        const jobs = await stack.hires.getJobs([
          'delayed',
          'waiting',
          'active',
          'completed',
          'failed',
        ]);
        return jobs.find(
          (j) =>
            j.name === 'offboard' &&
            (j.data as { ref?: { employeeId: string } }).ref?.employeeId === id,
        );
      });
    }

    const recordIn = (key: string, state: string) => offboardingIn(offboarding, key, state);

    /** A leaver whose termination is today: scheduled, their job delayed until the day ends. */
    async function waitingToday(t: TestContext) {
      const today = dayIn(ZONE, Date.now());
      const lou = await employee(t, today);
      assert.equal((await vendor.send(stack, lou.id)).status, 200);
      const scheduled = await recordIn(lou.key, 'scheduled');
      const waiting = await job(lou.id);
      await waitFor(async () => ((await waiting.getState()) === 'delayed' ? true : undefined));
      return { ...lou, today, scheduled, waiting };
    }

    /** The clock passes the end of the day, and the delayed job wakes. */
    async function dayEnds(lou: Awaited<ReturnType<typeof waitingToday>>) {
      clock.set(lou.scheduled.effectiveAt + 1_000);
      await lou.waiting.promote();
    }

    it(`a ${name} leaver whose termination date has passed is disabled at once, read from ${name} twice (the event, then just before the disable)`, async (t) => {
      const yesterday = dayIn(ZONE, Date.now() - DAY);
      const lou = await employee(t, yesterday, false);
      const answer = await vendor.send(stack, lou.id);
      assert.equal(answer.status, 200);
      assert.deepEqual(await answer.json(), { status: 'accepted', hires: 1 });
      const record = await recordIn(lou.key, 'done');
      assert.equal(record.terminationDate, yesterday);
      assert.equal(record.source, vendor.provider.name);
      assert.equal(account(lou.email)?.status, 2, 'disabled');
      assert.ok(hr.calls.filter((call) => vendor.reads(call, lou.id)).length >= 2, 'read twice');
      // The same delivery again adds nothing.
    });

    if (vendor.provider === bamboohr) {
      it('a BambooHR update naming the status together with the work email is read as a possible leaver too, not only as a person waiting for an email', async (t) => {
        const yesterday = dayIn(ZONE, Date.now() - DAY);
        const lou = await employee(t, yesterday, false);
        const answer = await sendBambooUpdate(stack, lou.id, ['status', 'workEmail']);
        assert.equal(answer.status, 200);
        assert.deepEqual(await answer.json(), { status: 'accepted', hires: 1 });
        await recordIn(lou.key, 'done');
        assert.equal(account(lou.email)?.status, 2, 'disabled');
      });
    }

    it(`a ${name} termination date still ahead (garden leave, notice) waits until that day has ended`, async (t) => {
      const tomorrow = addDays(dayIn(ZONE, Date.now()), 1);
      const lou = await employee(t, tomorrow);
      assert.equal((await vendor.send(stack, lou.id)).status, 200);
      const record = await recordIn(lou.key, 'scheduled');
      assert.equal(record.effectiveAt, endOfDay(tomorrow, ZONE));
      const waiting = await job(lou.id);
      await waitFor(async () => ((await waiting.getState()) === 'delayed' ? true : undefined));
      assert.equal(account(lou.email)?.status, 1, 'not disabled before the day ends');
    });

    it(`a ${name} event whose record shows no termination is noted as not a leaver, and nothing is scheduled`, async (t) => {
      const lou = await employee(t, null);
      assert.equal((await vendor.send(stack, lou.id)).status, 200);
      const done = await job(lou.id);
      await waitFor(async () => ((await done.getState()) === 'completed' ? true : undefined));
      const finished = await stack.hires.getJob(done.id ?? '');
      assert.deepEqual(finished?.returnvalue, { outcome: 'not-leaver' });
      assert.equal(await offboarding.get(lou.key), undefined);
      const timeline = await stack.store.timeline(stack.store.keyOf(lou.email));
      assert.ok(timeline.some((entry) => entry.event === 'not a leaver'));
      assert.equal(account(lou.email)?.status, 1);
    });

    it(`a termination ${name} removed before the day ended is cancelled by the read just before the disable`, async (t) => {
      const lou = await waitingToday(t);

      // HR undoes the termination; no webhook says so (docs/hr-systems.md).
      hr.people.set(lou.id, { ...hrPerson(lou.id), terminationDate: null, active: true });
      await dayEnds(lou);
      const record = await recordIn(lou.key, 'cancelled');
      assert.match(record.reason ?? '', /no longer shows the termination/);
      assert.equal(account(lou.email)?.status, 1, 'never disabled');
      const timeline = await stack.store.timeline(stack.store.keyOf(lou.email));
      assert.ok(timeline.some((entry) => entry.event === 'termination cancelled'));
    });

    // Personio's employment.terminated is keyed per employment (a second one is a copy); its later
    // event is employment.updated: test/integration/provider-personio-employment.test.ts.
    if (vendor.provider !== personio) {
      it(`a later ${name} leaver event whose record no longer shows the termination cancels the pending disable at once`, async (t) => {
        const lou = await waitingToday(t);

        hr.people.set(lou.id, { ...hrPerson(lou.id), terminationDate: null });
        assert.equal((await vendor.send(stack, lou.id)).status, 200);
        const record = await recordIn(lou.key, 'cancelled');
        assert.match(record.reason ?? '', /no longer shows the termination/);
        const timeline = await stack.store.timeline(stack.store.keyOf(lou.email));
        assert.ok(timeline.some((entry) => entry.event === 'termination cancelled'));

        await dayEnds(lou);
        await waitFor(async () =>
          (await lou.waiting.getState()) === 'completed' ? true : undefined,
        );
        assert.equal(account(lou.email)?.status, 1, 'never disabled');
      });
    }

    it(`a termination ${name} moved to a later day waits for that day, after the read just before the disable`, async (t) => {
      const lou = await waitingToday(t);
      const later = addDays(lou.today, 3);

      hr.people.set(lou.id, { ...hrPerson(lou.id), terminationDate: later });
      await dayEnds(lou);
      const moved = await waitFor(async () => {
        const record = await offboarding.get(lou.key);
        return record?.terminationDate === later ? record : undefined;
      });
      assert.equal(moved.state, 'scheduled');
      assert.equal(moved.effectiveAt, endOfDay(later, ZONE));
      await waitFor(async () => ((await lou.waiting.getState()) === 'delayed' ? true : undefined));
      assert.equal(account(lou.email)?.status, 1, 'not disabled before the new day ends');
      const timeline = await stack.store.timeline(stack.store.keyOf(lou.email));
      assert.ok(timeline.some((entry) => entry.event === 'offboarding moved'));
    });

    it(`with ${name}'s API down at the read before the disable, the job is retried and nothing is disabled until it answers`, async (t) => {
      const lou = await waitingToday(t);

      // The day ends (BambooHR turns the status Inactive then); the HR API is down.
      hr.people.set(lou.id, { ...hrPerson(lou.id), active: false });
      hr.state.down = true;
      t.after(() => {
        hr.state.down = false;
      });
      await dayEnds(lou);
      await waitFor(
        async () => {
          const current = await stack.hires.getJob(lou.waiting.id ?? '');
          return (current?.attemptsMade ?? 0) >= 2 ? true : undefined;
        },
        15_000,
        'two failed attempts',
      );
      assert.equal(account(lou.email)?.status, 1, 'not disabled without the read');
      assert.equal((await offboarding.get(lou.key))?.state, 'scheduled');

      hr.state.down = false;
      await recordIn(lou.key, 'done');
      assert.equal(account(lou.email)?.status, 2);
    });

    function hrPerson(id: string): FakeEmployment {
      const person = hr.people.get(id);
      assert.ok(person);
      return person;
    }
  });
}

describe('Personio: reading a leaver’s employment', () => {
  it('takes termination_date of the employment the event named, and refuses to read "no termination" from an answer that leaves the attribute out', async (t) => {
    const api = await startPersonioApi();
    t.after(() => api.close());
    const fetcher = createPersonioFetcher({
      http: createHrHttp(api.url, {}),
      clientId: CLIENT_ID,
      clientSecret: CLIENT_SECRET,
    });
    const read = fetcher.fetchEmployment?.bind(fetcher);
    assert.ok(read);
    api.employments.set('P1', {
      email: 'lena.p1@example.com',
      hireDate: '2022-01-01',
      terminationDate: '2026-09-30',
      active: true,
    });
    const ref = { source: 'personio', employeeId: 'P1', context: { employmentId: 'e-P1' } };
    assert.deepEqual(await read(ref), {
      source: 'personio',
      hireId: 'P1',
      email: 'lena.p1@example.com',
      terminationDate: '2026-09-30',
    });
    // Credentials that may not read the termination: "the employment comes back with only `id`,
    // `person` and `status`" (https://developer.personio.de/discuss/696a61c9486fbb2362d81955).
    api.script.push(
      { status: 200, body: { id: 'P1', email: 'lena.p1@example.com' } },
      { status: 200, body: { _data: [{ id: 'e-P1', person: { id: 'P1' }, status: 'ACTIVE' }] } },
    );
    await assert.rejects(read(ref), (err: unknown) => {
      assert.ok(err instanceof HrApiError);
      assert.equal(err.kind, 'lasting');
      assert.match(err.message, /readable employee attributes/);
      return true;
    });
  });
});

// Rule 14 (docs/design.md): a joiner further than PROVISION_LEAD_DAYS from their start waits
// `scheduled`, and a termination withdraws them; a read of the HR record that no longer shows that
// termination puts them back, as `employee.termination_cancelled` does. The joiner comes through
// the generic webhook with a start date; the HR system knows them by their work email.
for (const vendor of VENDORS.filter((v) => v.provider !== personio)) {
  const name = vendor.provider.title;
  const LEAD = 3;
  describe(`${name}: a termination removed in HR puts a withdrawn joiner back (rule 14)`, () => {
    const clock = testClock();
    let stack: Stack;
    let hr: Awaited<ReturnType<Vendor['start']>>;
    let offboarding: OffboardingStore;
    let next = 0;

    before(async () => {
      ({ hr, stack, offboarding } = await startVendor(vendor, clock, {
        PROVISION_LEAD_DAYS: String(LEAD),
      }));
    });
    after(async () => {
      await stack.close();
      await hr.close();
    });

    /** A joiner starting in 30 days; HR terminates them the day after their start. */
    function joiner(t: TestContext) {
      // A day ahead: a job that meets a taken lease waits a day of real time, until promoted.
      clock.set(Date.now() + DAY);
      t.after(() => {
        clock.reset();
      });
      next += 1;
      const id = `${6000 + next}`;
      const email = `joiner.${vendor.provider.name}.${id}@example.com`;
      const startDate = addDays(dayIn(ZONE, clock.now()), 30);
      const employment: FakeEmployment = {
        email,
        hireDate: startDate,
        terminationDate: addDays(startDate, 1),
        active: true,
      };
      const hire = { employeeId: `G-${id}`, firstName: 'Jo', lastName: 'Joiner', email, startDate };
      return { id, email, key: stack.store.keyOf(email), employment, hire };
    }

    const accountsOf = (email: string) =>
      stack.sim.state().users.filter((u) => u.email === email).length;

    const recordIn = (email: string, state: string) => reinstated(stack, email, state);

    /** The offboard jobs of employee `id` that completed, with their outcomes. */
    async function ended(id: string, outcome: string, count = 1) {
      await waitFor(
        async () => {
          const outcomes = (await stack.hires.getCompleted())
            .filter(
              (j) =>
                j.name === 'offboard' &&
                (j.data as { ref?: { employeeId: string } }).ref?.employeeId === id,
            )
            .map((j) => (j.returnvalue as { outcome?: string } | null)?.outcome);
          return outcomes.filter((o) => o === outcome).length >= count ? true : undefined;
        },
        15_000,
        `an offboard job of ${id} ending ${outcome}`,
      );
    }

    it(`a later ${name} leaver event whose record no longer shows the termination puts the joiner it withdrew back on their schedule`, async (t) => {
      const jo = joiner(t);
      assert.equal((await stack.post(jo.hire)).status, 200);
      const scheduled = await recordIn(jo.email, 'scheduled');
      hr.people.set(jo.id, jo.employment);
      assert.equal((await vendor.send(stack, jo.id)).status, 200);
      await ended(jo.id, 'withdrawn');
      await recordIn(jo.email, 'withdrawn');
      assert.equal(await offboarding.get(jo.key), undefined, 'no disable for a withdrawn joiner');

      hr.people.set(jo.id, { ...jo.employment, terminationDate: null });
      assert.equal((await vendor.send(stack, jo.id)).status, 200);
      await ended(jo.id, 'cancelled');
      const back = await recordIn(jo.email, 'scheduled');
      assert.equal(back.scheduledFor, scheduled.scheduledFor);
      assert.notEqual(back.scheduleJobId, scheduled.scheduleJobId);
      const timeline = await stack.store.timeline(jo.key);
      assert.ok(
        timeline.some(
          (e) => e.event === 'termination cancelled' && (e.detail ?? '').includes('back on'),
        ),
      );
      assert.equal(accountsOf(jo.email), 0, 'nothing made before the day');
    });

    it(`a ${name} termination that withdrew a joiner and is gone at the read before the disable puts them back, made at once when their day has come`, async (t) => {
      const jo = joiner(t);
      // The hire and the termination both wait for the person's lease; the termination runs first,
      // finds the joiner not scheduled yet and schedules the disable; the hire, older than that
      // termination, then withdraws the joiner (workers/provision.ts, supersededBecause).
      const locks = createLocks(stack.redis);
      const lease = createKeys(stack.prefix).hireLock(jo.key);
      assert.ok(await locks.acquire(lease, 'test', 60_000));
      let held = true;
      t.after(async () => {
        if (held) await locks.release(lease, 'test');
      });
      assert.equal((await stack.post(jo.hire)).status, 200);
      const provision = await waitFor(async () =>
        (await stack.hires.getDelayed()).find(
          (j) =>
            j.name === 'provision' &&
            (j.data as { hire?: { email?: string } }).hire?.email === jo.email,
        ),
      );
      hr.people.set(jo.id, jo.employment);
      assert.equal((await vendor.send(stack, jo.id)).status, 200);
      const leaver = await waitFor(async () =>
        (await stack.hires.getDelayed()).find(
          (j) =>
            j.name === 'offboard' &&
            (j.data as { ref?: { employeeId: string } }).ref?.employeeId === jo.id,
        ),
      );
      await locks.release(lease, 'test');
      held = false;
      await leaver.promote();
      const pending = await offboardingIn(offboarding, jo.key, 'scheduled');
      await provision.promote();
      await recordIn(jo.email, 'withdrawn');

      // HR removes the termination (no webhook); the day of the disable comes, past the start.
      hr.people.set(jo.id, { ...jo.employment, terminationDate: null });
      clock.set(pending.effectiveAt + 1_000);
      await leaver.promote();
      const cancelled = await offboardingIn(offboarding, jo.key, 'cancelled');
      assert.match(cancelled.reason ?? '', /no longer shows the termination/);
      await recordIn(jo.email, 'invited');
      assert.equal(accountsOf(jo.email), 1, 'made once');
      assert.equal(stack.sim.state().users.find((u) => u.email === jo.email)?.status, 1);
    });
  });
}
