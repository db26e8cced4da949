import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createGrantsStore, type GrantsStore } from '../../src/queue/grants-store.js';
import { createKeys } from '../../src/queue/keys.js';
import { grantsView } from '../helpers/grants-view.js';
import { waitFor } from '../helpers/redis.js';
import { inviteCounts, startStack, type Stack } from '../helpers/stack.js';

// Rooms the simulator makes get ids 1001, 1002, … in order (docspace-sim/org-store.ts).
const SALES_ROOM = 1001;
const ENG_ROOM = 1002;
const NOT_OURS_ROOM = 1003;
const MISSING_ROOM = 9999;

const RULES = `
rules:
  - when: { department: Sales }
    groups: [Sales]
    rooms: [{ id: "${SALES_ROOM}", access: editing }]
  - when: { department: [Engineering, QA], location: Berlin }
    groups: [Engineering, Berlin office]
    rooms: [{ id: ${ENG_ROOM}, access: content-creator }]
    type: RoomAdmin
  - when: { department: Legal }
    rooms: [{ id: "${MISSING_ROOM}", access: read }]
  - when: { department: Finance }
    rooms: [{ id: "${NOT_OURS_ROOM}", access: read }]
`;

const person = (name: string, extra: Record<string, string> = {}) => ({
  employeeId: `E-${name}`,
  firstName: name,
  lastName: 'Test',
  email: `${name.toLowerCase()}@example.com`,
  ...extra,
});

describe('groups and rooms by rule, end to end (docs/design.md, rule 13)', () => {
  let stack: Stack;
  let dir: string;
  let rulesPath: string;
  let grants: GrantsStore;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'rules-'));
    rulesPath = join(dir, 'rules.yaml');
    await writeFile(rulesPath, RULES);
    stack = await startStack(
      {
        PROVISIONING_RULES: rulesPath,
        ADMIN_TOKEN: 'a'.repeat(32),
        INVITE_BATCH_MAX_WAIT_MS: '300',
      },
      { workers: false },
    );
    stack.sim.addRoom({ title: 'Sales' });
    stack.sim.addRoom({ title: 'Engineering' });
    stack.sim.addRoom({ title: 'Finance', createdByKeyOwner: false });
    grants = createGrantsStore({ redis: stack.redis, keys: createKeys(stack.prefix) });
    await stack.startWorkers();
  });
  after(async () => {
    await stack.close();
    await rm(dir, { recursive: true, force: true });
  });

  const { userOf, groupsOf, sharesOf, addByHand, grantsSettled } = grantsView(() => stack);

  it('when a joiner matches rules, they get the union of groups and rooms, groups are created once, the rule type is used and rooms are shared without a mail', async () => {
    const ann = person('Ann', { department: 'sales ' });
    const ben = person('Ben', { department: 'QA', location: 'berlin' });
    const cat = person('Cat', { department: 'Sales' });
    await stack.post([ann, ben, cat]);
    await stack.settled([ann.email, ben.email, cat.email]);
    // Groups and room shares are separate calls: wait for both.
    await grantsSettled(ben.email, (id) => groupsOf(id).length === 2 && ENG_ROOM in sharesOf(id));
    await grantsSettled(cat.email, (id) => groupsOf(id).length === 1 && SALES_ROOM in sharesOf(id));
    await grantsSettled(ann.email, (id) => SALES_ROOM in sharesOf(id));

    assert.deepEqual(groupsOf(userOf(ann.email).id), ['Sales']);
    assert.deepEqual(sharesOf(userOf(ann.email).id), { [SALES_ROOM]: 10 });
    assert.deepEqual(groupsOf(userOf(ben.email).id), ['Berlin office', 'Engineering']);
    assert.deepEqual(sharesOf(userOf(ben.email).id), { [ENG_ROOM]: 11 });
    assert.equal(userOf(ben.email).type, 1, 'RoomAdmin from the rule');
    assert.equal(userOf(ann.email).type, 4, 'DOCSPACE_USER_TYPE where no rule names a type');
    const names = stack.sim
      .state()
      .groups.map((g) => g.name)
      .sort();
    assert.deepEqual(names, ['Berlin office', 'Engineering', 'Sales'], 'each group made once');
    assert.equal(stack.sim.state().roomMails.length, 0, 'notify: false');
    // The grants are recorded after DocSpace answered: wait for the record too.
    const record = await waitFor(async () => {
      const answer = await fetch(`${stack.apiUrl}/admin/hires/${encodeURIComponent(ann.email)}`, {
        headers: { authorization: `Bearer ${'a'.repeat(32)}` },
      });
      const read = (await answer.json()) as { groups?: string[]; rooms?: unknown[] };
      return read.rooms?.length === 1 ? read : undefined;
    });
    assert.deepEqual(record.groups, ['Sales']);
    assert.deepEqual(record.rooms, [{ id: SALES_ROOM, access: 'editing' }]);
    const html = await waitFor(async () => {
      const page = await fetch(
        `${stack.apiUrl}/admin/people?email=${encodeURIComponent(ben.email)}`,
        { headers: { authorization: `Bearer ${'a'.repeat(32)}` } },
      );
      assert.equal(page.status, 200);
      const text = await page.text();
      return text.includes(`room ${ENG_ROOM}`) ? text : undefined;
    });
    assert.match(html, /<th>Groups and rooms given<\/th>/);
    assert.match(
      html,
      new RegExp(`Berlin office, Engineering, room ${ENG_ROOM} \\(content-creator\\)`),
    );
  });

  it('when an existing account is hired, it gets its groups but is never invited, and a membership an admin made is not recorded as ours', async () => {
    const erin = stack.sim.addUser({ email: 'erin@example.com', firstName: 'Erin' });
    stack.sim.addUser({ email: 'fay@example.com', firstName: 'Fay' });
    const sales = (await grants.groupId('Sales')) ?? '';
    await addByHand(sales, erin.id); // an admin put Erin in Sales before the service knew her
    await stack.post([
      person('Erin', { department: 'Sales' }),
      person('Fay', { department: 'Sales' }),
    ]);
    await stack.settled(['erin@example.com', 'fay@example.com']);
    await grantsSettled('fay@example.com', (id) => groupsOf(id).includes('Sales'));
    assert.deepEqual(groupsOf(erin.id), ['Sales']);
    assert.equal(inviteCounts(stack.sim).get('erin@example.com'), undefined, 'never invited');
    assert.equal(inviteCounts(stack.sim).get('fay@example.com'), undefined, 'never invited');
    assert.equal((await stack.store.get(stack.store.keyOf('fay@example.com')))?.state, 'existed');
    assert.deepEqual((await grants.get(grants.keyOf('fay@example.com')))?.groups, ['Sales']);
    assert.deepEqual((await grants.get(grants.keyOf('erin@example.com')))?.groups, [], 'not ours');
  });

  it('when a mover changes department, they gain the new groups and rooms and lose only what the service gave; a manual membership stays', async () => {
    const dan = person('Dan', { department: 'Sales' });
    await stack.post(dan);
    await stack.settled([dan.email]);
    await grantsSettled(
      dan.email,
      (id) => groupsOf(id).includes('Sales') && SALES_ROOM in sharesOf(id),
    );
    const danId = userOf(dan.email).id;
    // An admin puts Dan in "Berlin office" by hand before he moves to a rule that gives it too.
    const berlin = (await grants.groupId('Berlin office')) ?? '';
    const group = stack.sim.state().groups.find((g) => g.id === berlin);
    assert.ok(group);
    await addByHand(berlin, danId);

    await stack.post(
      { ...dan, department: 'Engineering', location: 'Berlin' },
      { type: 'employee.updated' },
    );
    await grantsSettled(
      dan.email,
      (id) =>
        groupsOf(id).includes('Engineering') &&
        !groupsOf(id).includes('Sales') &&
        ENG_ROOM in sharesOf(id) &&
        !(SALES_ROOM in sharesOf(id)),
    );
    assert.deepEqual(sharesOf(danId), { [ENG_ROOM]: 11 });

    // Back to Sales: Engineering (ours) goes, Berlin office (the admin's) stays.
    await stack.post({ ...dan, department: 'Sales' }, { type: 'employee.updated' });
    await grantsSettled(
      dan.email,
      (id) =>
        groupsOf(id).includes('Sales') &&
        !groupsOf(id).includes('Engineering') &&
        SALES_ROOM in sharesOf(id) &&
        !(ENG_ROOM in sharesOf(id)),
    );
    assert.deepEqual(groupsOf(danId), ['Berlin office', 'Sales']);
    assert.deepEqual(sharesOf(danId), { [SALES_ROOM]: 10 });
    assert.equal(inviteCounts(stack.sim).get(dan.email), 1, 'a mover is not invited again');
  });

  it('when a rule names a room that does not exist or that the key cannot share, that step fails with a reason and the account stays', async () => {
    const lea = person('Lea', { department: 'Legal' });
    const fin = person('Fin', { department: 'Finance' });
    await stack.post([lea, fin]);
    await stack.settled([lea.email, fin.email]);
    const failures = await waitFor(async () => {
      const l = await grants.get(grants.keyOf(lea.email));
      const f = await grants.get(grants.keyOf(fin.email));
      return l?.failures.size && f?.failures.size ? { l, f } : undefined;
    }, 10_000);
    assert.match(failures.l.failures.get(`room:${MISSING_ROOM}`) ?? '', /does not exist/);
    assert.match(failures.f.failures.get(`room:${NOT_OURS_ROOM}`) ?? '', /refused to share room/);
    assert.equal((await stack.store.get(stack.store.keyOf(lea.email)))?.state, 'invited');
    const timeline = await stack.store.timeline(stack.store.keyOf(lea.email));
    assert.ok(timeline.some((e) => e.event === 'grant-failed'));
    const failed = await stack.invites.getFailed();
    assert.ok(failed.some((j) => j.failedReason.includes('could not be given')));
  });

  it('when the rules change between two events, the next event applies the new rules', async () => {
    const eve = person('Eve', { department: 'Support' });
    await stack.post(eve);
    await stack.settled([eve.email]);
    assert.deepEqual(groupsOf(userOf(eve.email).id), []);
    await stack.stopWorkers();
    await writeFile(
      rulesPath,
      `${RULES}\n  - when: { department: Support }\n    groups: [Support]\n`,
    );
    await stack.startWorkers();
    await stack.post(eve, { type: 'employee.updated' });
    await grantsSettled(eve.email, (id) => groupsOf(id).includes('Support'));
  });
});
