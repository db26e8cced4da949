import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { FLUSH_TICK_JOB } from '../../src/queue/contract.js';
import { createHireStore } from '../../src/queue/hire-store.js';
import { createKeys } from '../../src/queue/keys.js';
import { deletePrefix, waitFor } from '../helpers/redis.js';
import { inviteCounts, startStack } from '../helpers/stack.js';

const hire = (n: number) => ({
  employeeId: `F-${n}`,
  firstName: 'Fay',
  lastName: 'Forgotten',
  email: `fay.${n}@example.com`,
});

describe('a Redis that forgets stops nothing (docs/design.md, rule 9)', () => {
  it('when Redis forgets every key while the worker runs (a flush; the connection stays up), the worker puts the invite tick and the global concurrency back, and people hired afterwards are invited without a full batch', async (t) => {
    const stack = await startStack({ INVITE_BATCH_SIZE: '50', INVITE_BATCH_MAX_WAIT_MS: '400' });
    t.after(() => stack.close());
    await stack.post(hire(1));
    await stack.settled([hire(1).email], ['invited']);

    await deletePrefix(stack.prefix);
    assert.equal(await stack.invites.getJobScheduler(FLUSH_TICK_JOB), undefined, 'tick gone');
    assert.equal(await stack.invites.getGlobalConcurrency(), null, 'concurrency gone');

    // Fewer people than a batch: the tick or the worker's idle flush (workers/idle-flush.ts)
    // sends them; the tick is put back by the worker's next check either way.
    const after = [hire(2), hire(3)];
    assert.equal((await stack.post(after)).status, 200);
    await stack.settled(
      after.map((h) => h.email),
      ['invited'],
      10_000,
    );
    await waitFor(
      async () =>
        (await stack.invites.getJobScheduler(FLUSH_TICK_JOB)) === undefined ? undefined : true,
      10_000,
      'the invite tick to be put back',
    );
    await waitFor(
      async () => ((await stack.invites.getGlobalConcurrency()) === 1 ? true : undefined),
      10_000,
      'the global concurrency to be put back',
    );
    for (const h of after) assert.equal(inviteCounts(stack.sim).get(h.email), 1, h.email);
    assert.ok(
      stack.logLines.some((line) => line.includes('Redis had forgotten what this worker set up')),
      'the worker says what it put back',
    );
  });

  it('when a created person is in no invite buffer and no flush job (their entry was lost), the reconciler puts them back and they are invited once', async (t) => {
    const stack = await startStack({ INVITE_BATCH_SIZE: '50', INVITE_BATCH_MAX_WAIT_MS: '400' });
    t.after(() => stack.close());
    const keys = createKeys(stack.prefix);
    // Recorded `created` a minute ago, as our create call left it; then the buffer entry is lost.
    const earlier = createHireStore({ redis: stack.redis, keys, now: () => Date.now() - 60_000 });
    const person = hire(10);
    const user = stack.sim.addUser({ email: person.email, firstName: 'Fay', status: 1 });
    const key = earlier.keyOf(person.email);
    await earlier.received({ source: 'hires', ...person, hireId: person.employeeId }, 'j1');
    assert.equal((await earlier.created(key, user.id, 'j1', true)).applied, true);
    await stack.redis.zrem(keys.invitePending, key);

    await stack.settled([person.email], ['invited'], 15_000);
    assert.equal(inviteCounts(stack.sim).get(person.email), 1);
    assert.deepEqual(
      await stack.redis.zrange(keys.inviteOwed, 0, -1),
      [],
      'invited: no longer owed',
    );
    assert.ok(stack.logLines.some((line) => line.includes('"outcome":"requeued"')));
  });
});
