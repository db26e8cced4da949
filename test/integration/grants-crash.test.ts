import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { QueueEvents } from 'bullmq';
import { GRANTS_TICK_JOB } from '../../src/queue/contract.js';
import { createGrantsStore } from '../../src/queue/grants-store.js';
import { createKeys } from '../../src/queue/keys.js';
import { createRedis } from '../../src/queue/redis.js';
import type { FaultKind } from '../../docspace-sim/types.js';
import { kill, spawnWorker } from '../helpers/child-worker.js';
import { grantsView } from '../helpers/grants-view.js';
import { REDIS_URL, waitFor } from '../helpers/redis.js';
import { inviteCounts, startStack, type Stack } from '../helpers/stack.js';

// The simulator numbers rooms from 1001 (docspace-sim/org-store.ts).
const ROOM = 1001;
const GROUP = 'Night shift';
const EDITING = 10;
const ADMIN_TOKEN = 'c'.repeat(32);
const MEMBERS_PATH = /^\/api\/2\.0\/group\/[^/]+\/members$/;

const RULES = `
rules:
  - when: { department: Night }
    groups: ["${GROUP}"]
    rooms: [{ id: ${ROOM}, access: editing }]
`;

/**
 * Issue 15: a worker process SIGKILLed in the grants flush (workers/grants.ts) after it created a
 * rule's group, while DocSpace holds the membership call (docs/design.md, rules 7 and 13). The
 * simulator's one-shot faults hold that call, so the kill lands at that step, not at a guessed time:
 * `timeout` never applies it (killed between the group's creation and the membership);
 * `hang-after-commit` applies it and never answers (killed between the membership and the record of
 * what was given).
 */
describe('a worker killed in the grants flush loses nothing and makes nothing twice (rules 7 and 13)', () => {
  const cases: readonly { kind: FaultKind; when: string; applied: boolean; existing: boolean }[] = [
    {
      kind: 'timeout',
      when: 'after it created the group, before the membership',
      applied: false,
      existing: false,
    },
    {
      kind: 'hang-after-commit',
      when: 'after DocSpace added the member, before the service recorded it',
      applied: true,
      existing: false,
    },
    {
      // Their memberships are read first (an admin's are not ours): the one the killed worker
      // made must still be recorded as given.
      kind: 'hang-after-commit',
      when: 'after DocSpace added a person with an existing account, before the service recorded it',
      applied: true,
      existing: true,
    },
  ];
  for (const { kind, when, applied, existing } of cases)
    it(`when the worker process dies ${when}, the next one finishes the job: one group, the person in it and in the room, recorded once`, async (t) => {
      const dir = await mkdtemp(join(tmpdir(), 'grants-crash-'));
      t.after(() => rm(dir, { recursive: true, force: true }));
      const rulesPath = join(dir, 'rules.yaml');
      await writeFile(rulesPath, RULES);
      const stack = await startStack(
        { PROVISIONING_RULES: rulesPath, ADMIN_TOKEN, INVITE_BATCH_MAX_WAIT_MS: '300' },
        { workers: false },
      );
      t.after(() => stack.close());
      stack.sim.addRoom({ title: 'Night desk' });
      const grants = createGrantsStore({ redis: stack.redis, keys: createKeys(stack.prefix) });
      const { userOf, groupsOf, sharesOf } = grantsView(() => stack);
      const events = await queueEvents(stack);
      t.after(() => events.close());

      // DocSpace holds the first membership call: the worker waits there until it is killed.
      stack.sim.setFaults({
        script: [{ match: { method: 'PUT', path: '/api/2.0/group/' }, kind }],
      });
      const nell = {
        employeeId: 'N-1',
        firstName: 'Nell',
        lastName: 'Night',
        email: 'nell.night@example.com',
        department: 'Night',
      };
      if (existing) stack.sim.addUser({ email: nell.email, firstName: 'Nell' });
      assert.equal((await stack.post(nell)).status, 200);
      // A long DocSpace timeout: the held call stays held until the kill, however slow the machine.
      const first = spawnWorker(stack, { DOCSPACE_TIMEOUT_MS: '120000' });
      t.after(() => kill(first));
      const held = await waitFor(
        () =>
          stack.sim
            .state()
            .calls.find((c) => c.method === 'PUT' && MEMBERS_PATH.test(c.path) && c.status === 0),
        30_000,
        'the membership call to be held',
      );
      const flush = await waitFor(async () =>
        (await stack.invites.getActive()).find((job) => job.name === GRANTS_TICK_JOB),
      );
      await kill(first);

      const userId = userOf(nell.email).id;
      assert.deepEqual(held.userIds, [userId.toLowerCase()]);
      assert.equal(named(stack).length, 1, 'the group was created before the kill');
      assert.deepEqual(groupsOf(userId), applied ? [GROUP] : [], 'membership as the fault left it');
      assert.deepEqual((await grants.get(grants.keyOf(nell.email)))?.groups, [], 'not recorded');

      const second = spawnWorker(stack);
      t.after(() => kill(second));
      await waitFor(
        () => (events.completed.has(flush.id ?? '') ? true : undefined),
        30_000,
        'the killed grants flush to complete in the next worker',
      );
      assert.equal(events.failed.size, 0, 'no flush job failed');

      const state = stack.sim.state();
      assert.equal(named(stack).length, 1, 'exactly one group of that name');
      assert.equal(
        state.calls.filter((c) => c.method === 'POST' && c.path === '/api/2.0/group').length,
        1,
        'the group was created once',
      );
      assert.deepEqual(groupsOf(userId), [GROUP]);
      assert.deepEqual(sharesOf(userId), { [ROOM]: EDITING });
      const record = await grants.get(grants.keyOf(nell.email));
      assert.ok(record);
      assert.deepEqual(record.groups, [GROUP]);
      assert.deepEqual([...record.rooms], [[ROOM, EDITING]]);
      assert.equal(record.failures.size, 0);
      assert.equal(record.giving.size, 0, 'no give left unfinished');
      const view = await adminRecord(stack, nell.email);
      assert.deepEqual(view.groups, [GROUP]);
      assert.deepEqual(view.rooms, [{ id: ROOM, access: 'editing' }]);
      await stack.settled([nell.email], [existing ? 'existed' : 'invited'], 30_000);
      assert.equal(inviteCounts(stack.sim).get(nell.email), existing ? undefined : 1);
      assert.equal(state.users.filter((u) => u.email === nell.email).length, 1, 'one account');
    });
});

const named = (stack: Stack) => stack.sim.state().groups.filter((g) => g.name === GROUP);

/** The person as the admin API shows them (src/http/admin.ts): their groups and rooms given. */
async function adminRecord(stack: Stack, email: string) {
  const answer = await fetch(`${stack.apiUrl}/admin/hires/${encodeURIComponent(email)}`, {
    headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
  });
  assert.equal(answer.status, 200);
  return (await answer.json()) as { groups?: string[]; rooms?: unknown[] };
}

/**
 * The invites queue's finished jobs, from the start of its event stream: flush jobs are removed
 * once done (src/queue/contract.ts), so their `completed` event is what proves they finished.
 */
async function queueEvents(stack: Stack) {
  const connection = createRedis(REDIS_URL, 'worker');
  const events = new QueueEvents(stack.invites.name, {
    connection,
    prefix: stack.prefix,
    lastEventId: '0',
  });
  const completed = new Set<string>();
  const failed = new Set<string>();
  events.on('completed', ({ jobId }) => completed.add(jobId));
  events.on('failed', ({ jobId }) => failed.add(jobId));
  await events.waitUntilReady();
  return {
    completed,
    failed,
    async close() {
      await events.close();
      connection.disconnect();
    },
  };
}
