import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it, type TestContext } from 'node:test';
import type { Job } from 'bullmq';
import { addDays, dayIn, endOfDay, startOfDay } from '../../src/domain/effective-date.js';
import { personio } from '../../src/providers/personio.js';
import { createKeys } from '../../src/queue/keys.js';
import {
  createOffboardingStore,
  type OffboardingStore,
} from '../../src/queue/offboarding-store.js';
import { testClock } from '../helpers/clock.js';
import { grantsView } from '../helpers/grants-view.js';
import {
  CLIENT_ID,
  CLIENT_SECRET,
  startPersonioApi,
  WEBHOOK_TOKEN,
  type PersonioApi,
  type PersonioEmployment,
} from '../helpers/personio-api.js';
import { HOLD_DISABLES, offboardingIn } from '../helpers/leavers.js';
import { waitFor } from '../helpers/redis.js';
import { inviteCounts, okCalls, startStack, type Stack } from '../helpers/stack.js';

/**
 * Personio `employment.updated` (docs/hr-systems.md#personio): dataless, so the service reads the
 * employment again and treats the one delivery as a mover (rule 13) and as a possible leaver
 * (rule 12): a termination set schedules the disable, one removed cancels a pending disable. And
 * Personio joiners carry their department's name (org-units endpoint) for the rules.
 */

// Rooms the simulator makes get ids 1001, 1002, … in order (docspace-sim/org-store.ts).
const SALES_ROOM = 1001;
const ENG_ROOM = 1002;
const RULES = `
rules:
  - when: { department: Sales }
    groups: [Sales]
    rooms: [{ id: "${SALES_ROOM}", access: editing }]
  - when: { department: Engineering }
    groups: [Engineering]
    rooms: [{ id: "${ENG_ROOM}", access: content-creator }]
  - when: { title: Field Agent }
    groups: [Agents]
`;
const ZONE = 'UTC';
const COMPANY = '4711';
// Org unit ids are int64 in Personio's reference (https://developer.personio.de/reference/getorgunit).
const SALES_UNIT = '231';
const ENG_UNIT = '232';

const settingsFor = (api: PersonioApi) => ({
  PERSONIO_WEBHOOK_TOKEN: WEBHOOK_TOKEN,
  PERSONIO_API_URL: api.url,
  PERSONIO_CLIENT_ID: CLIENT_ID,
  PERSONIO_CLIENT_SECRET: CLIENT_SECRET,
});

let sent = 0;

/**
 * A dataless Personio delivery, `{company_id, event_name, occurred_at, payload, meta}`, naming the
 * employment and its person (https://developer.personio.de/v2.0/reference/webhooks). Each call is a
 * new event (its own `occurred_at`); answers the response body and the occurred_at sent.
 */
async function send(stack: Stack, event: string, personId: string) {
  sent += 1;
  const occurredAt = new Date(Date.now() + sent).toISOString();
  const response = await fetch(`${stack.apiUrl}/webhooks/personio`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: WEBHOOK_TOKEN },
    body: JSON.stringify({
      company_id: COMPANY,
      event_name: event,
      occurred_at: occurredAt,
      payload: { employment: { id: `e-${personId}` }, person: { id: personId } },
      meta: {},
    }),
  });
  assert.equal(response.status, 200);
  const answer: unknown = await response.json();
  return { answer, occurredAt };
}

/** The jobs of Personio person `id` of one kind that ended `completed`, with their outcomes. */
async function outcomes(stack: Stack, id: string, name: 'provision' | 'offboard') {
  return (await stack.hires.getCompleted())
    .filter(
      (j: Job) =>
        j.name === name &&
        (j.data as { ref?: { employeeId?: string } }).ref?.employeeId === id &&
        (name === 'offboard' || (j.data as { ref?: { mover?: boolean } }).ref?.mover === true),
    )
    .map((j) => (j.returnvalue as { outcome?: string } | null)?.outcome);
}

async function ended(stack: Stack, id: string, name: 'provision' | 'offboard', outcome: string) {
  await waitFor(
    async () => ((await outcomes(stack, id, name)).includes(outcome) ? true : undefined),
    15_000,
    `a ${name} job of ${id} ending ${outcome}`,
  );
}

describe('Personio employment.updated with PROVISIONING_RULES and OFFBOARDING=disable', () => {
  const clock = testClock();
  let stack: Stack;
  let api: PersonioApi;
  let dir: string;
  let offboarding: OffboardingStore;
  let next = 0;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'personio-employment-'));
    const rulesPath = join(dir, 'rules.yaml');
    await writeFile(rulesPath, RULES);
    api = await startPersonioApi();
    api.orgUnits.set(SALES_UNIT, { name: 'Sales' });
    api.orgUnits.set(ENG_UNIT, { name: 'Engineering' });
    stack = await startStack(
      {
        ...settingsFor(api),
        PROVISIONING_RULES: rulesPath,
        OFFBOARDING: 'disable',
        HR_TIMEZONE: ZONE,
        INVITE_BATCH_MAX_WAIT_MS: '300',
        JOB_ATTEMPTS: '12',
        JOB_BACKOFF_MS: '100',
      },
      { workers: false, providers: [personio], now: clock.now },
    );
    stack.sim.addRoom({ title: 'Sales' });
    stack.sim.addRoom({ title: 'Engineering' });
    await stack.startWorkers();
    offboarding = createOffboardingStore({ redis: stack.redis, keys: createKeys(stack.prefix) });
  });
  after(async () => {
    await stack.close();
    await api.close();
    await rm(dir, { recursive: true, force: true });
  });

  const { userOf, groupsOf, sharesOf, only, addByHand, groupByHand, grantsSettled } = grantsView(
    () => stack,
    15_000,
  );
  const SALES = { group: 'Sales', room: SALES_ROOM };
  const ENGINEERING = { group: 'Engineering', room: ENG_ROOM };
  const onlySales = only(SALES, ENGINEERING);
  const onlyEngineering = only(ENGINEERING, SALES);
  const account = (email: string) => stack.sim.state().users.find((u) => u.email === email);

  /** A Personio joiner in Sales, provisioned through person.created. */
  async function salesJoiner(t: TestContext) {
    t.after(() => {
      clock.reset();
    });
    next += 1;
    const id = `${7000 + next}`;
    const email = `pia.${id}@example.com`;
    const employment: PersonioEmployment = {
      email,
      hireDate: '2026-01-05',
      terminationDate: null,
      active: true,
      departmentId: SALES_UNIT,
      position: 'Account Executive',
    };
    api.employments.set(id, employment);
    assert.deepEqual((await send(stack, 'person.created', id)).answer, {
      status: 'accepted',
      hires: 1,
    });
    await stack.settled([email], ['invited']);
    await grantsSettled(email, onlySales);
    return { id, email, key: offboarding.keyOf(email), employment };
  }

  const recordIn = (key: string, state: string) => offboardingIn(offboarding, key, state);

  /** The offboard job the employment.updated sent at `occurredAt` stored for person `id`. */
  async function leaverJob(id: string, occurredAt: string): Promise<Job> {
    const deliveryId = `employment.updated:${COMPANY}:e-${id}:${occurredAt}:leaver`;
    return await waitFor(async () => {
      const jobs = await stack.hires.getJobs(['delayed', 'waiting', 'active', 'completed']);
      return jobs.find(
        (j) =>
          j.name === 'offboard' && (j.data as { deliveryId?: string }).deliveryId === deliveryId,
      );
    });
  }

  it("a Personio joiner whose employment has a department gets that department's rule group and room (the name read from the org units)", async (t) => {
    const pia = await salesJoiner(t);
    const user = userOf(pia.email);
    assert.deepEqual(groupsOf(user.id), ['Sales']);
    assert.ok(
      api.calls.some((c) => c.path === `/v2/org-units/${SALES_UNIT}?type=department`),
      'the department name is read from the org-units endpoint',
    );
  });

  it('a Personio joiner whose department these credentials may not read (403) is provisioned without it, and keeps the title rule', async () => {
    const id = '7900';
    const email = `pia.${id}@example.com`;
    api.orgUnits.set('299', { name: 'Secret unit', forbidden: true });
    api.employments.set(id, {
      email,
      hireDate: '2026-01-05',
      terminationDate: null,
      active: true,
      departmentId: '299',
      position: 'Field Agent',
    });
    await send(stack, 'person.created', id);
    await stack.settled([email], ['invited']);
    assert.ok(api.calls.some((c) => c.path === '/v2/org-units/299?type=department'));
    await grantsSettled(email, (u) => groupsOf(u).includes('Agents'));
    assert.deepEqual(groupsOf(userOf(email).id), ['Agents'], 'the title rule, no department');
  });

  it('employment.updated with a department change Sales → Engineering moves the person: gains Engineering, loses Sales, keeps a group an admin gave by hand', async (t) => {
    const pia = await salesJoiner(t);
    const userId = userOf(pia.email).id;
    await addByHand(await groupByHand('Personio by hand'), userId);

    api.employments.set(pia.id, { ...pia.employment, departmentId: ENG_UNIT });
    assert.deepEqual((await send(stack, 'employment.updated', pia.id)).answer, {
      status: 'accepted',
      hires: 1,
    });
    await grantsSettled(pia.email, onlyEngineering);
    assert.deepEqual(groupsOf(userId), ['Engineering', 'Personio by hand']);
    assert.deepEqual(sharesOf(userId), { [ENG_ROOM]: 11 });
    // The same delivery's leaver half read the employment: no termination, nothing scheduled.
    await ended(stack, pia.id, 'offboard', 'not-leaver');
    assert.equal(await offboarding.get(pia.key), undefined);
    assert.equal(account(pia.email)?.status, 1);
    assert.equal(inviteCounts(stack.sim).get(pia.email), 1, 'a mover is not invited again');
  });

  it('employment.updated naming someone the service never provisioned creates and invites nobody', async () => {
    const id = '7999';
    const email = `pia.${id}@example.com`;
    api.employments.set(id, {
      email,
      hireDate: '2026-01-05',
      terminationDate: null,
      active: true,
      departmentId: SALES_UNIT,
    });
    await send(stack, 'employment.updated', id);
    await ended(stack, id, 'provision', 'not-needed');
    await ended(stack, id, 'offboard', 'not-leaver');
    assert.equal(stack.sim.state().users.filter((u) => u.email === email).length, 0);
    assert.equal(inviteCounts(stack.sim).get(email), undefined);
    const record = await stack.store.get(stack.store.keyOf(email));
    assert.notEqual(record?.state, 'invited');
  });

  it('employment.updated that sets a termination date schedules the disable, which happens once the day has ended', async (t) => {
    const pia = await salesJoiner(t);
    const today = dayIn(ZONE, Date.now());
    api.employments.set(pia.id, { ...pia.employment, terminationDate: today });
    const { occurredAt } = await send(stack, 'employment.updated', pia.id);
    const scheduled = await recordIn(pia.key, 'scheduled');
    assert.equal(scheduled.terminationDate, today);
    assert.equal(scheduled.effectiveAt, endOfDay(today, ZONE));
    const waiting = await leaverJob(pia.id, occurredAt);
    await waitFor(async () => ((await waiting.getState()) === 'delayed' ? true : undefined));
    assert.equal(account(pia.email)?.status, 1, 'not disabled before the day ends');

    // Another change of the employment (a new department) while the termination stands: it moves
    // the person and leaves the pending disable as it is.
    api.employments.set(pia.id, {
      ...pia.employment,
      terminationDate: today,
      departmentId: ENG_UNIT,
    });
    const again = await leaverJob(
      pia.id,
      (await send(stack, 'employment.updated', pia.id)).occurredAt,
    );
    await waitFor(async () => ((await again.getState()) === 'completed' ? true : undefined));
    assert.deepEqual((await stack.hires.getJob(again.id ?? ''))?.returnvalue, { outcome: 'stale' });
    await grantsSettled(pia.email, onlyEngineering);
    const record = await offboarding.get(pia.key);
    assert.equal(record?.state, 'scheduled');
    assert.equal(record.jobId, waiting.id, 'still the first job’s disable');
    const timeline = await stack.store.timeline(stack.store.keyOf(pia.email));
    assert.equal(timeline.filter((e) => e.event === 'offboarding scheduled').length, 1);

    clock.set(scheduled.effectiveAt + 1_000);
    await waiting.promote();
    await recordIn(pia.key, 'done');
    assert.equal(account(pia.email)?.status, 2, 'disabled');
  });

  it('employment.updated after the termination was removed cancels the pending disable: nothing is disabled', async (t) => {
    const pia = await salesJoiner(t);
    const tomorrow = addDays(dayIn(ZONE, Date.now()), 1);
    api.employments.set(pia.id, { ...pia.employment, terminationDate: tomorrow });
    const first = await send(stack, 'employment.updated', pia.id);
    const scheduled = await recordIn(pia.key, 'scheduled');
    const waiting = await leaverJob(pia.id, first.occurredAt);
    await waitFor(async () => ((await waiting.getState()) === 'delayed' ? true : undefined));

    // HR removes the termination; Personio sends employment.updated again.
    api.employments.set(pia.id, { ...pia.employment, terminationDate: null });
    const second = await send(stack, 'employment.updated', pia.id);
    const cancelling = await leaverJob(pia.id, second.occurredAt);
    await waitFor(async () => ((await cancelling.getState()) === 'completed' ? true : undefined));
    const done = await stack.hires.getJob(cancelling.id ?? '');
    assert.deepEqual(done?.returnvalue, { outcome: 'cancelled' });
    const record = await recordIn(pia.key, 'cancelled');
    assert.match(record.reason ?? '', /personio no longer shows the termination/);
    const timeline = await stack.store.timeline(stack.store.keyOf(pia.email));
    assert.ok(
      timeline.some(
        (e) =>
          e.event === 'termination cancelled' && (e.detail ?? '').includes('nothing is disabled'),
      ),
      'the timeline says why',
    );

    // The first job wakes after the day: it finds its disable cancelled and sends nothing.
    clock.set(scheduled.effectiveAt + 1_000);
    await waiting.promote();
    await waitFor(async () => ((await waiting.getState()) === 'completed' ? true : undefined));
    assert.equal((await offboarding.get(pia.key))?.state, 'cancelled');
    assert.equal(account(pia.email)?.status, 1, 'never disabled');
  });
});

describe('Personio employment.updated without PROVISIONING_RULES', () => {
  it('moves nobody and reads no department: the mover half fetches nothing', async (t) => {
    const api = await startPersonioApi();
    api.orgUnits.set(SALES_UNIT, { name: 'Sales' });
    api.orgUnits.set(ENG_UNIT, { name: 'Engineering' });
    const stack = await startStack(settingsFor(api), { providers: [personio] });
    t.after(async () => {
      await stack.close();
      await api.close();
    });
    const id = '7500';
    const email = `pia.${id}@example.com`;
    const employment = {
      email,
      hireDate: '2026-01-05',
      terminationDate: null,
      active: true,
      departmentId: SALES_UNIT,
    };
    api.employments.set(id, employment);
    await send(stack, 'person.created', id);
    await stack.settled([email], ['invited']);
    const persons = api.callsTo(`/v2/persons/${id}`).length;
    const units = api.calls.filter((c) => c.path.startsWith('/v2/org-units/')).length;

    api.employments.set(id, { ...employment, departmentId: ENG_UNIT });
    assert.deepEqual((await send(stack, 'employment.updated', id)).answer, {
      status: 'accepted',
      hires: 1,
    });
    await ended(stack, id, 'provision', 'not-needed');
    assert.equal(
      api.calls.filter((c) => c.path.startsWith('/v2/org-units/')).length,
      units,
      'no department read',
    );
    // The leaver half (OFFBOARDING=off here) still reads the employment once: person + list.
    await ended(stack, id, 'offboard', 'not-leaver');
    assert.equal(api.callsTo(`/v2/persons/${id}`).length, persons + 1);
  });
});

describe('Personio employment.updated and a held disable (OFFBOARDING_MAX_PER_HOUR=0)', () => {
  it('a repeated termination leaves the disable held for an admin; the termination removed cancels it', async (t) => {
    const api = await startPersonioApi();
    const stack = await startStack(
      { ...settingsFor(api), ...HOLD_DISABLES, HR_TIMEZONE: ZONE },
      { providers: [personio] },
    );
    t.after(async () => {
      await stack.close();
      await api.close();
    });
    const offboarding = createOffboardingStore({
      redis: stack.redis,
      keys: createKeys(stack.prefix),
    });
    const id = '7600';
    const email = `pia.${id}@example.com`;
    const key = offboarding.keyOf(email);
    const employment: PersonioEmployment = {
      email,
      hireDate: '2026-01-05',
      terminationDate: null,
      active: true,
    };
    api.employments.set(id, employment);
    await send(stack, 'person.created', id);
    await stack.settled([email], ['invited']);

    const yesterday = dayIn(ZONE, Date.now() - 86_400_000);
    api.employments.set(id, { ...employment, terminationDate: yesterday });
    await send(stack, 'employment.updated', id);
    const held = await offboardingIn(offboarding, key, 'held');

    await send(stack, 'employment.updated', id);
    await waitFor(async () =>
      (await outcomes(stack, id, 'offboard')).includes('stale') ? true : undefined,
    );
    const still = await offboarding.get(key);
    assert.equal(still?.state, 'held', 'still waiting for an admin');
    assert.equal(still.jobId, held.jobId);

    api.employments.set(id, { ...employment, terminationDate: null });
    await send(stack, 'employment.updated', id);
    await offboardingIn(offboarding, key, 'cancelled');
    await ended(stack, id, 'offboard', 'cancelled');
    assert.equal(stack.sim.state().users.find((u) => u.email === email)?.status, 1);
  });
});

describe('Personio employment.updated and a joiner waiting for their start date (PROVISION_LEAD_DAYS=3)', () => {
  // Rule 14 (docs/design.md): a joiner whose start is further than PROVISION_LEAD_DAYS waits
  // `scheduled`; a termination before then withdraws them. Personio's person read carries no start
  // date (src/providers/personio-api.ts), so the joiner comes through the generic webhook with one;
  // Personio knows the same person by their work email.
  const LEAD = 3;
  const TOKEN = 'personio-joiner-admin-token';
  const basic = `Basic ${Buffer.from(`admin:${TOKEN}`).toString('base64')}`;

  it('a termination before the start withdraws the joiner; the termination removed in Personio puts them back on their schedule, and they are made on the day, once', async (t) => {
    const api = await startPersonioApi();
    const clock = testClock();
    const stack = await startStack(
      {
        ...settingsFor(api),
        OFFBOARDING: 'disable',
        PROVISION_LEAD_DAYS: String(LEAD),
        HR_TIMEZONE: ZONE,
        ADMIN_TOKEN: TOKEN,
      },
      { providers: [personio], now: clock.now },
    );
    t.after(async () => {
      await stack.close();
      await api.close();
    });
    const id = '7700';
    const email = `pia.${id}@example.com`;
    const key = stack.store.keyOf(email);
    const startDate = addDays(dayIn(ZONE, Date.now()), 30);
    const dueAt = startOfDay(addDays(startDate, -LEAD), ZONE);
    const recordIn = async (state: string) =>
      await waitFor(
        async () => {
          const record = await stack.store.get(key);
          return record?.state === state ? record : undefined;
        },
        15_000,
        `the hire record ${state}`,
      );
    // This stack's only person: every account made is theirs.
    const created = () => okCalls(stack.sim, 'POST', '/api/2.0/people').length;

    const hire = { employeeId: `P-${id}`, firstName: 'Pia', lastName: 'Joiner', email, startDate };
    assert.equal((await stack.post(hire)).status, 200);
    const scheduled = await recordIn('scheduled');
    assert.equal(scheduled.scheduledFor, dueAt);
    const first = scheduled.scheduleJobId ?? '';

    // HR enters a termination before the start; Personio sends employment.updated.
    const employment: PersonioEmployment = {
      email,
      hireDate: startDate,
      terminationDate: addDays(startDate, -5),
      active: true,
    };
    api.employments.set(id, employment);
    await send(stack, 'employment.updated', id);
    await ended(stack, id, 'offboard', 'withdrawn');
    await recordIn('withdrawn');

    // HR removes it again: the read finds none, and the joiner is back on their schedule.
    api.employments.set(id, { ...employment, terminationDate: null });
    await send(stack, 'employment.updated', id);
    await ended(stack, id, 'offboard', 'cancelled');
    const back = await recordIn('scheduled');
    assert.equal(back.scheduledFor, dueAt);
    assert.notEqual(back.scheduleJobId, first, 'a new job waits for the day');
    const timeline = await stack.store.timeline(key);
    assert.ok(
      timeline.some(
        (e) =>
          e.event === 'termination cancelled' &&
          (e.detail ?? '').includes('personio no longer shows the termination') &&
          (e.detail ?? '').includes('back on their schedule'),
      ),
      'the timeline says why',
    );
    const page = await (
      await fetch(`${stack.apiUrl}/admin/people?email=${encodeURIComponent(email)}`, {
        headers: { authorization: basic },
      })
    ).text();
    assert.ok(page.includes(`<td>${email}</td><td>scheduled</td>`), 'the people page: scheduled');
    assert.match(page, /termination cancelled — personio no longer shows the termination/);
    assert.equal(created(), 0, 'nothing made before the day');

    // The day comes: the old job finds itself superseded, the new one makes the joiner.
    clock.set(dueAt + 1_000);
    const delayed = async (jobId: string) =>
      await waitFor(async () => (await stack.hires.getDelayed()).find((j) => j.id === jobId));
    const old = await delayed(first);
    await old.promote();
    await waitFor(async () => ((await old.getState()) === 'completed' ? true : undefined));
    assert.deepEqual((await stack.hires.getJob(first))?.returnvalue, { outcome: 'not-needed' });
    await (await delayed(back.scheduleJobId ?? '')).promote();
    await stack.settled([email], ['invited']);
    assert.equal(created(), 1, 'made once');

    // The same removal delivered again adds nothing: one account, still invited.
    await send(stack, 'employment.updated', id);
    await waitFor(async () =>
      (await outcomes(stack, id, 'offboard')).filter((o) => o === 'not-leaver').length >= 1
        ? true
        : undefined,
    );
    assert.equal(created(), 1);
    assert.equal((await stack.store.get(key))?.state, 'invited');
  });
});
