import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createHmac } from 'node:crypto';
import { bamboohr, bambooHrSignature } from '../../src/providers/bamboohr.js';
import { hibob } from '../../src/providers/hibob.js';
import { startHrApi, type HrAnswer, type HrApiCall } from '../helpers/hr-api.js';
import { grantsView } from '../helpers/grants-view.js';
import { waitFor } from '../helpers/redis.js';
import { inviteCounts, startStack, type Stack } from '../helpers/stack.js';

// Rooms the simulator makes get ids 1001, 1002, … in order (docspace-sim/org-store.ts).
const SALES_ROOM = 1001;
const ENG_ROOM = 1002;

const RULES = `
rules:
  - when: { department: Sales }
    groups: [Sales]
    rooms: [{ id: "${SALES_ROOM}", access: editing }]
  - when: { department: Engineering, location: Berlin }
    groups: [Engineering, Berlin office]
    rooms: [{ id: "${ENG_ROOM}", access: content-creator }]
`;

const ADMIN = 'a'.repeat(32);
const BAMBOO_SECRET = 'bamboo-private-key-movers-1';
const BAMBOO_KEY = 'b1b2c3d4e5f60718293a4b5c6d7e8f9001122334';
const BAMBOO_DOMAIN = 'acme';
const BAMBOO_AUTH = `Basic ${Buffer.from(`${BAMBOO_KEY}:x`).toString('base64')}`;

interface Job {
  department?: string;
  location?: string;
  jobTitle?: string;
  /** Absent: `mo.<id>@example.com`; null: none yet. */
  workEmail?: string | null;
}

/**
 * BambooHR's Get Employee (`GET /{companyDomain}/v1/employees/{id}?fields=…`): HTTP Basic with the
 * API key, and only the fields asked for, as documented at
 * https://documentation.bamboohr.com/reference/get-employee (field names from
 * https://documentation.bamboohr.com/docs/list-of-field-names: workEmail, department, location,
 * jobTitle). `bambooPeople` is what HR holds now; a test edits it, then sends the update event.
 */
const bambooPeople = new Map<string, Job>();

function bambooApi(call: HrApiCall): HrAnswer {
  if (call.headers.authorization !== BAMBOO_AUTH) return { status: 401 };
  const url = new URL(call.path, 'http://x');
  const match = new RegExp(`^/${BAMBOO_DOMAIN}/v1/employees/([^/]+)$`).exec(url.pathname);
  const job = bambooPeople.get(match?.[1] ?? '');
  if (match === null || job === undefined) return { status: 404, body: { error: 'not found' } };
  const id = match[1] ?? '';
  const employee: Record<string, string | null | undefined> = {
    firstName: 'Mo',
    lastName: 'Mover',
    workEmail: `mo.${id}@example.com`,
    hireDate: '2026-01-05',
    ...job,
  };
  const body: Record<string, string | null> = { id };
  for (const field of (url.searchParams.get('fields') ?? '').split(',')) {
    if (field in employee) body[field] = employee[field] ?? null;
  }
  return { status: 200, body };
}

const BOB_SECRET = 'bob-webhook-secret-movers';
const BOB_USER = { id: 'SERVICE-USER-9', token: 'Mv8q89RwbzeS7mToken' };
const BOB_AUTH = `Basic ${Buffer.from(`${BOB_USER.id}:${BOB_USER.token}`).toString('base64')}`;

/**
 * Bob's `POST /v1/people/{id}` (https://apidocs.hibob.com/reference/post_people-identifier): Basic
 * auth with the service user, each field under its slash key and nested, list fields (department,
 * site, title) as item ids with their names in the `humanReadable` node that `humanReadable:
 * "APPEND"` adds (https://apidocs.hibob.com/docs/people-read-api-contract,
 * https://apidocs.hibob.com/docs/how-to-work-with-lists-public-api). Only fields asked for.
 */
const bobPeople = new Map<string, { department: string; site: string; title: string }>();

function bobApi(call: HrApiCall): HrAnswer {
  const match = /^\/v1\/people\/([^/?]+)$/.exec(call.path);
  if (call.method !== 'POST' || match === null) return { status: 404, body: { error: 'no route' } };
  if (call.headers.authorization !== BOB_AUTH)
    return { status: 401, body: { error: 'Unauthorized' } };
  const id = decodeURIComponent(match[1] ?? '');
  const work = bobPeople.get(id);
  if (work === undefined) return { status: 404, body: { error: 'Employee not found' } };
  const { fields = [], humanReadable } = JSON.parse(call.body) as {
    fields?: string[];
    humanReadable?: string;
  };
  const email = `noa.${id}@example.com`;
  const values: Record<string, string> = {
    'root.id': id,
    'root.email': email,
    'root.firstName': 'Noa',
    'root.surname': 'Levi',
    'work.department': `dep-${work.department.length}`,
    'work.site': `site-${work.site.length}`,
    'work.title': `title-${work.title.length}`,
    'work.startDate': '2026-01-05',
  };
  const names: Record<string, string> = {
    'work.department': work.department,
    'work.site': work.site,
    'work.title': work.title,
  };
  const body: Record<string, unknown> = {};
  const human: Record<string, Record<string, string>> = {};
  for (const field of fields) {
    const value = values[field];
    if (value === undefined) continue;
    const [category = '', name = ''] = field.split('.');
    body[`/${category}/${name}`] = { value };
    const readable = names[field];
    if (readable !== undefined) human[category] = { ...human[category], [name]: readable };
  }
  if (humanReadable === 'APPEND') body['humanReadable'] = human;
  return { status: 200, body };
}

/** A v2 event as Bob documents it (https://apidocs.hibob.com/reference/webhook-events-v2). */
const bobEvent = (type: string, data: Record<string, unknown>) =>
  JSON.stringify({
    companyId: 636192,
    type,
    triggeredBy: 'system',
    triggeredAt: new Date().toISOString().replace('Z', ''),
    version: 'v2',
    data,
  });

/** The vendor's event-based bodies (https://documentation.bamboohr.com/docs/event-based-webhooks). */
const bambooEvent = (type: string, employeeId: string, changedFields?: string[]) =>
  JSON.stringify({
    type,
    timestamp: new Date().toISOString(),
    data: { companyId: '12345', employeeId, ...(changedFields ? { changedFields } : {}) },
  });

describe('the HR systems’ own update events move people between rule groups and rooms (rule 13)', () => {
  let stack: Stack;
  let dir: string;
  let bamboo: Awaited<ReturnType<typeof startHrApi>>;
  let bob: Awaited<ReturnType<typeof startHrApi>>;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'movers-'));
    const rulesPath = join(dir, 'rules.yaml');
    await writeFile(rulesPath, RULES);
    bamboo = await startHrApi(bambooApi);
    bob = await startHrApi(bobApi);
    stack = await startStack(
      {
        PROVISIONING_RULES: rulesPath,
        ADMIN_TOKEN: ADMIN,
        INVITE_BATCH_MAX_WAIT_MS: '300',
        BAMBOOHR_WEBHOOK_SECRET: BAMBOO_SECRET,
        BAMBOOHR_COMPANY_DOMAIN: BAMBOO_DOMAIN,
        BAMBOOHR_API_KEY: BAMBOO_KEY,
        BAMBOOHR_API_URL: bamboo.url,
        HIBOB_WEBHOOK_SECRET: BOB_SECRET,
        HIBOB_FETCH_DELAY_MS: '0',
        HIBOB_API_URL: bob.url,
        HIBOB_SERVICE_USER_ID: BOB_USER.id,
        HIBOB_SERVICE_USER_TOKEN: BOB_USER.token,
      },
      { workers: false, providers: [bamboohr, hibob] },
    );
    stack.sim.addRoom({ title: 'Sales' });
    stack.sim.addRoom({ title: 'Engineering' });
    await stack.startWorkers();
  });
  after(async () => {
    await stack.close();
    await bamboo.close();
    await bob.close();
    await rm(dir, { recursive: true, force: true });
  });

  const postBamboo = async (body: string): Promise<unknown> => {
    const timestamp = String(Math.floor(Date.now() / 1000));
    const response = await fetch(`${stack.apiUrl}/webhooks/bamboohr`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'x-bamboohr-timestamp': timestamp,
        'x-bamboohr-signature': bambooHrSignature(BAMBOO_SECRET, Buffer.from(body), timestamp),
      },
      body,
    });
    assert.equal(response.status, 200);
    return await response.json();
  };
  const postBob = async (body: string): Promise<unknown> => {
    const response = await fetch(`${stack.apiUrl}/webhooks/hibob`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'bob-signature': createHmac('sha512', BOB_SECRET).update(body).digest('base64'),
      },
      body,
    });
    assert.equal(response.status, 200);
    return await response.json();
  };
  const { userOf, groupsOf, sharesOf, only, addByHand, groupByHand, grantsSettled } = grantsView(
    () => stack,
    15_000,
  );
  /** An admin puts someone in "Berlin office" by hand (making the group if no rule made it yet). */
  const addToBerlinByHand = async (userId: string) => {
    const group = stack.sim.state().groups.find((g) => g.name === 'Berlin office');
    await addByHand(group?.id ?? (await groupByHand('Berlin office')), userId);
  };
  /** What the rules give a Sales person, or an Engineering one in Berlin, and nothing of the other. */
  const SALES = { group: 'Sales', room: SALES_ROOM };
  const ENGINEERING = { group: 'Engineering', room: ENG_ROOM };
  const onlySales = only(SALES, ENGINEERING);
  const onlyEngineering = only(ENGINEERING, SALES);
  /** The `provision` jobs of one vendor employee that completed with `outcome`. */
  const completed = async (employeeId: string, outcome: string) =>
    (await stack.hires.getCompleted()).filter(
      (j) =>
        (j.data as { ref?: { employeeId?: string } }).ref?.employeeId === employeeId &&
        (j.returnvalue as { outcome?: string } | null)?.outcome === outcome,
    ).length;

  describe('BambooHR', () => {
    const fetchesOf = (id: string) =>
      bamboo.calls.filter((c) => c.path.startsWith(`/${BAMBOO_DOMAIN}/v1/employees/${id}?`));

    it('when employee.updated names the department, a Sales person moved to Engineering gains its group and room, loses Sales, and keeps a group an admin gave by hand', async () => {
      bambooPeople.set('501', { department: 'Sales', location: 'Berlin', jobTitle: 'AE' });
      assert.deepEqual(await postBamboo(bambooEvent('employee.created', '501')), {
        status: 'accepted',
        hires: 1,
      });
      const email = 'mo.501@example.com';
      await stack.settled([email], ['invited']);
      await grantsSettled(email, onlySales);
      const id = userOf(email).id;
      await addToBerlinByHand(id);

      bambooPeople.set('501', { department: 'Engineering', location: 'Berlin', jobTitle: 'Dev' });
      assert.deepEqual(
        await postBamboo(bambooEvent('employee.updated', '501', ['department', 'jobTitle'])),
        { status: 'accepted', hires: 1 },
      );
      await grantsSettled(email, onlyEngineering);
      assert.deepEqual(groupsOf(id), ['Berlin office', 'Engineering']);
      assert.deepEqual(sharesOf(id), { [ENG_ROOM]: 11 });

      // Back to Sales: Engineering (the service's) goes; Berlin office (the admin's) stays.
      bambooPeople.set('501', { department: 'Sales', location: 'Berlin', jobTitle: 'AE' });
      await postBamboo(bambooEvent('employee.updated', '501', ['department']));
      await grantsSettled(email, onlySales);
      assert.deepEqual(groupsOf(id), ['Berlin office', 'Sales']);
      assert.equal(stack.sim.state().users.filter((u) => u.email === email).length, 1);
      assert.equal(inviteCounts(stack.sim).get(email), 1, 'a mover is not invited again');
    });

    it('when employee.updated names only fields the rules do not match on, nothing is stored, fetched or sent to DocSpace', async () => {
      const jobs = await stack.hires.getJobCounts();
      const fetches = fetchesOf('501').length;
      for (const fields of [['firstName'], ['division'], ['payRate', 'lastName']]) {
        assert.deepEqual(await postBamboo(bambooEvent('employee.updated', '501', fields)), {
          status: 'ignored',
          type: 'employee.updated',
        });
      }
      assert.deepEqual(await stack.hires.getJobCounts(), jobs, 'no job: nothing can call out');
      assert.equal(fetchesOf('501').length, fetches);
    });

    it('when an update names the work email and the department, a person waiting for an email is provisioned with the rules, and one whose email changed gets no second account', async () => {
      bambooPeople.set('503', { department: 'Sales', workEmail: null });
      await postBamboo(bambooEvent('employee.created', '503'));
      await waitFor(
        async () =>
          (await stack.hires.getFailed()).some(
            (j) => (j.data as { ref?: { employeeId?: string } }).ref?.employeeId === '503',
          )
            ? true
            : undefined,
        10_000,
        'the create of 503 to fail for lacking a work email',
      );
      bambooPeople.set('503', { department: 'Sales' });
      const fields = ['workEmail', 'department'];
      await postBamboo(bambooEvent('employee.updated', '503', fields));
      const email = 'mo.503@example.com';
      await stack.settled([email], ['invited']);
      await grantsSettled(email, (u) => groupsOf(u).includes('Sales') && SALES_ROOM in sharesOf(u));

      // HR changes 501's email and department at once: the new email has no account here.
      bambooPeople.set('501', {
        department: 'Engineering',
        location: 'Berlin',
        workEmail: 'mo.renamed@example.com',
      });
      await postBamboo(bambooEvent('employee.updated', '501', fields));
      await waitFor(
        async () => ((await completed('501', 'not-needed')) >= 1 ? true : undefined),
        10_000,
        'the update of 501 to end with nothing to do',
      );
      assert.equal(
        stack.sim.state().users.filter((u) => u.email === 'mo.renamed@example.com').length,
        0,
        'no second account',
      );
      assert.deepEqual(groupsOf(userOf('mo.501@example.com').id), ['Berlin office', 'Sales']);
    });

    it('when a mover update names someone the service never provisioned, it creates and invites nobody', async () => {
      bambooPeople.set('502', { department: 'Sales' });
      await postBamboo(bambooEvent('employee.updated', '502', ['department']));
      await waitFor(
        async () => ((await completed('502', 'not-needed')) === 1 ? true : undefined),
        10_000,
        'the update of 502 to end with nothing to do',
      );
      assert.equal(fetchesOf('502').length, 1, 'fetched once, to learn the email');
      assert.equal(
        stack.sim.state().users.filter((u) => u.email === 'mo.502@example.com').length,
        0,
      );
      assert.equal(await stack.store.get(stack.store.keyOf('mo.502@example.com')), undefined);
    });
  });

  describe('HiBob', () => {
    const readsOf = (id: string) => bob.calls.filter((c) => c.path === `/v1/people/${id}`).length;

    it('when employee.updated names work.department (or a work-table entry arrives), a Sales person moved to Engineering gains its group and room, loses Sales, and keeps a group an admin gave by hand', async () => {
      const id = '3332883884017700001';
      const email = `noa.${id}@example.com`;
      bobPeople.set(id, { department: 'Sales', site: 'Berlin', title: 'AE' });
      assert.deepEqual(await postBob(bobEvent('employee.created', { employeeId: id })), {
        status: 'accepted',
        hires: 1,
      });
      await stack.settled([email], ['invited']);
      await grantsSettled(email, onlySales);
      const userId = userOf(email).id;
      await addToBerlinByHand(userId);

      bobPeople.set(id, { department: 'Engineering', site: 'Berlin', title: 'Dev' });
      const fieldUpdates = ['work.department', 'work.title'];
      assert.deepEqual(
        await postBob(bobEvent('employee.updated', { employeeId: id, fieldUpdates })),
        { status: 'accepted', hires: 1 },
      );
      await grantsSettled(email, onlyEngineering);
      assert.deepEqual(groupsOf(userId), ['Berlin office', 'Engineering']);

      // Back to Sales through a work-table entry in effect today.
      bobPeople.set(id, { department: 'Sales', site: 'Berlin', title: 'AE' });
      const today = new Date().toISOString().slice(0, 10);
      await postBob(
        bobEvent('table.entry.created', { employeeId: id, tableId: 'work', effectiveDate: today }),
      );
      await grantsSettled(email, onlySales);
      assert.deepEqual(groupsOf(userId), ['Berlin office', 'Sales']);
      assert.equal(inviteCounts(stack.sim).get(email), 1, 'a mover is not invited again');
    });

    it('when employee.updated names only other fields, nothing is stored, read from Bob or sent to DocSpace', async () => {
      const id = '3332883884017700001';
      const jobs = await stack.hires.getJobCounts();
      const reads = readsOf(id);
      for (const fieldUpdates of [['root.firstName'], ['work.reportsTo'], []]) {
        assert.deepEqual(
          await postBob(bobEvent('employee.updated', { employeeId: id, fieldUpdates })),
          { status: 'ignored', type: 'employee.updated' },
        );
      }
      assert.deepEqual(await stack.hires.getJobCounts(), jobs, 'no job: nothing can call out');
      assert.equal(readsOf(id), reads);
    });
  });
});
