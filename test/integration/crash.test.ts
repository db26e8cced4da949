import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SIM_LANGS } from '../../docspace-sim/server.js';
import { kill, spawnWorker } from '../helpers/child-worker.js';
import { waitFor } from '../helpers/redis.js';
import { inviteCounts, startStack } from '../helpers/stack.js';

const hire = (n: number) => ({
  employeeId: `K-${n}`,
  firstName: 'Kim',
  lastName: 'Killed',
  email: `kim.${n}@example.com`,
});

describe('a worker killed at the worst instant loses nothing (docs/design.md, rule 7)', () => {
  for (const lang of SIM_LANGS)
    it(`when the worker dies after DocSpace created the user but before we recorded it, the user is still invited, once (portal in ${lang})`, async (t) => {
      const stack = await startStack({}, { workers: false, lang });
      t.after(() => stack.close());
      // DocSpace creates the user, then never answers: the worker is killed while it waits.
      stack.sim.setFaults({
        script: [{ match: { method: 'POST', path: '/api/2.0/people' }, kind: 'hang-after-commit' }],
      });
      const person = hire(1);
      await stack.post(person);
      const child = spawnWorker(stack);
      t.after(() => kill(child));
      await waitFor(
        () => (stack.sim.state().users.some((u) => u.email === person.email) ? true : undefined),
        20_000,
        'DocSpace to create the user',
      );
      await kill(child);
      assert.equal((await stack.store.get(stack.store.keyOf(person.email)))?.state, 'received');

      await stack.startWorkers();
      await stack.settled([person.email], ['invited'], 20_000);

      const state = stack.sim.state();
      assert.equal(state.users.filter((u) => u.email === person.email).length, 1);
      const creates = state.calls.filter(
        (c) => c.method === 'POST' && c.path === '/api/2.0/people',
      );
      assert.deepEqual(
        creates.map((c) => c.status),
        [0, 400],
        'the first create hung (committed), the retry heard "already registered"',
      );
      assert.equal(inviteCounts(stack.sim).get(person.email), 1);
      const record = await stack.store.get(stack.store.keyOf(person.email));
      assert.equal(record?.userId, state.users.find((u) => u.email === person.email)?.id);
    });

  it('when the worker dies while an invite batch is in flight, the batch is sent after restart', async (t) => {
    const stack = await startStack({ INVITE_BATCH_MAX_WAIT_MS: '400' }, { workers: false });
    t.after(() => stack.close());
    stack.sim.setFaults({
      script: [
        { match: { method: 'POST', path: '/api/2.0/people/invite' }, kind: 'hang-after-commit' },
      ],
    });
    const people = [hire(10), hire(11), hire(12)];
    await stack.post(people);
    const child = spawnWorker(stack);
    t.after(() => kill(child));
    await waitFor(
      () =>
        stack.sim.state().calls.some((c) => c.path === '/api/2.0/people/invite') ? true : undefined,
      20_000,
      'the invite call',
    );
    await kill(child);
    for (const p of people) {
      assert.equal((await stack.store.get(stack.store.keyOf(p.email)))?.state, 'created');
    }

    await stack.startWorkers();
    await stack.settled(
      people.map((p) => p.email),
      ['invited'],
      20_000,
    );
    const counts = inviteCounts(stack.sim);
    for (const p of people) assert.equal(counts.get(p.email), 1, p.email);
    const inviteCalls = stack.sim.state().calls.filter((c) => c.path === '/api/2.0/people/invite');
    assert.deepEqual(
      inviteCalls.map((c) => [c.status, c.emails?.length]),
      [
        [0, 3],
        [200, 3],
      ],
      'the claimed batch is resent whole after the crash (at-least-once for the invite call)',
    );
  });
});
