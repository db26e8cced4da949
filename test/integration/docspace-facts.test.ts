import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DEMO_API_KEY } from '../../docspace-sim/constants.js';
import { SIM_LANGS } from '../../docspace-sim/server.js';
import { waitFor } from '../helpers/redis.js';
import { inviteCounts, startStack, type Stack } from '../helpers/stack.js';

const ADMIN_TOKEN = 'facts-test-admin-token-0123456789';

const hire = (n: number) => ({
  employeeId: `D-${n}`,
  firstName: 'Dora',
  lastName: 'Docspace',
  email: `dora.${n}@example.com`,
});

async function hireRecord(stack: Stack, email: string): Promise<Record<string, unknown>> {
  const response = await fetch(`${stack.apiUrl}/admin/hires/${encodeURIComponent(email)}`, {
    headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
  });
  assert.equal(response.status, 200);
  return (await response.json()) as Record<string, unknown>;
}

/** Disables accounts the way an admin does: `PUT /api/2.0/people/status/Terminated`. */
async function terminate(stack: Stack, emails: readonly string[]): Promise<void> {
  const users = stack.sim.state().users.filter((u) => emails.includes(u.email));
  const response = await fetch(`${stack.simUrl}/api/2.0/people/status/Terminated`, {
    method: 'PUT',
    headers: { authorization: `Bearer ${DEMO_API_KEY}`, 'content-type': 'application/json' },
    body: JSON.stringify({ userIds: users.map((u) => u.id) }),
  });
  assert.equal(response.status, 200);
}

describe('facts of the DocSpace server the worker handles (issue 9, item 4)', () => {
  it('when the paid seats are used up, a RoomAdmin create makes a User: recorded as downgraded (admin API), logged and counted; the invitation, refused 402 as RoomAdmin, goes out as User', async (t) => {
    const stack = await startStack(
      { DOCSPACE_USER_TYPE: 'RoomAdmin', ADMIN_TOKEN, INVITE_BATCH_MAX_WAIT_MS: '400' },
      { paidSeats: 0 },
    );
    t.after(() => stack.close());
    const person = hire(1);
    await stack.post(person);
    await stack.settled([person.email], ['invited', 'failed']);

    const user = stack.sim.state().users.find((u) => u.email === person.email);
    assert.equal(user?.type, 4, 'DocSpace made a User (UserController.AddMember)');
    const record = await hireRecord(stack, person.email);
    assert.equal(record['state'], 'invited', JSON.stringify(record));
    assert.equal(record['downgraded'], true);
    assert.equal(record['requestedType'], 'RoomAdmin');
    assert.equal(record['userType'], 'User');
    const timeline = record['timeline'] as { event: string; detail?: string }[];
    assert.ok(
      timeline.some((e) => e.event === 'invite-type' && (e.detail ?? '').includes('402')),
      'the person shows why they were invited as User',
    );
    assert.equal(inviteCounts(stack.sim).get(person.email), 1);
    const invites = stack.sim.state().calls.filter((c) => c.path === '/api/2.0/people/invite');
    assert.deepEqual(
      invites.map((c) => c.status),
      [402, 200],
      'refused for seats as RoomAdmin, then sent as User',
    );
    assert.ok(
      stack.logLines.some(
        (l) => l.includes('"outcome":"downgraded"') && l.includes('"requested":"RoomAdmin"'),
      ),
      'a warning says so',
    );
    assert.match(
      await stack.metrics.text(),
      /docspace_onboarding_users_downgraded_total\{requested="RoomAdmin"\} 1/,
    );
  });

  for (const lang of SIM_LANGS) {
    it(`when a created person is disabled before their invite batch goes out, the others are still invited and the reason is on that person (portal in ${lang})`, async (t) => {
      const stack = await startStack(
        { INVITE_BATCH_SIZE: '50', INVITE_BATCH_MAX_WAIT_MS: '3000' },
        { lang, workers: false },
      );
      t.after(() => stack.close());
      const people = [hire(10), hire(11), hire(12)];
      await stack.post(people);
      await stack.startWorkers();
      await stack.settled(
        people.map((p) => p.email),
        ['created', 'invited'],
      );
      const disabled = people[1]?.email ?? '';
      await terminate(stack, [disabled]);
      await stack.settled(
        people.map((p) => p.email),
        ['invited', 'failed'],
        20_000,
      );

      for (const p of people) {
        const record = await stack.store.get(stack.store.keyOf(p.email));
        if (p.email === disabled) {
          assert.equal(record?.state, 'failed');
          assert.match(record.lastError ?? '', /disabled \(terminated\) in DocSpace/);
        } else {
          assert.equal(record?.state, 'invited', p.email);
          assert.equal(inviteCounts(stack.sim).get(p.email), 1, p.email);
        }
      }
    });
  }

  for (const lang of SIM_LANGS) {
    it(`when a server up to v3.0 refuses duplicates with 500 (portal in ${lang}), people who had an account are existed at once, and those 500s never open the circuit`, async (t) => {
      const stack = await startStack(
        { DOCSPACE_CIRCUIT_THRESHOLD: '2' },
        { legacy: true, lang, workers: false },
      );
      t.after(() => stack.close());
      const people = [hire(30), hire(31), hire(32), hire(33), hire(34)];
      const lastYear = new Date(Date.now() - 365 * 24 * 3600 * 1000).toISOString();
      for (const p of people) {
        stack.sim.addUser({ email: p.email, firstName: 'Dora', registeredAt: lastYear });
      }
      await stack.post(people);
      await stack.startWorkers();
      await stack.settled(
        people.map((p) => p.email),
        ['existed'],
        15_000,
      );
      const creates = stack.sim.state().calls.filter((c) => c.path === '/api/2.0/people');
      assert.deepEqual(
        creates.map((c) => c.status),
        people.map(() => 500),
        'one refused create each, no retry',
      );
      assert.ok(
        !stack.logLines.some((l) => l.includes('docspace circuit open')),
        'the circuit stayed closed',
      );
      for (const p of people) assert.equal(inviteCounts(stack.sim).get(p.email), undefined);
    });
  }

  it('when a create answer was lost and the account DocSpace then has was made by someone else (createdBy), it existed, however recent: never invited', async (t) => {
    // Slow retries leave time to make the account between the two attempts.
    const stack = await startStack({ JOB_BACKOFF_MS: '1500' }, { workers: false });
    t.after(() => stack.close());
    const person = hire(20);
    stack.sim.setFaults({
      script: [{ match: { method: 'POST', path: '/api/2.0/people' }, kind: 'reset' }],
    });
    await stack.post(person);
    await stack.startWorkers();
    await waitFor(
      () => (stack.sim.state().calls.some((c) => c.status === 'reset') ? true : undefined),
      10_000,
      'the first create to lose its answer',
    );
    // Another admin makes the account by hand, just after our lost attempt.
    stack.sim.addUser({ email: person.email, firstName: 'Dora', createdBy: 'someone-else' });
    await stack.settled([person.email], ['existed', 'invited', 'failed'], 20_000);

    const record = await stack.store.get(stack.store.keyOf(person.email));
    assert.equal(record?.state, 'existed');
    assert.equal(inviteCounts(stack.sim).get(person.email), undefined, 'never invited');
    const lookups = stack.sim.state().calls.filter((c) => c.path === '/api/2.0/people/@self');
    assert.ok(lookups.length <= 1, 'the key owner is asked at most once');
  });
});
