import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { inviteCounts, startStack } from '../helpers/stack.js';

describe('an account made shortly before the hire arrives (docs/design.md, rule 2 with rule 5)', () => {
  it('when the first create call is answered 429 and the retry hears "already registered", the person existed: never invited', async (t) => {
    const stack = await startStack({ INVITE_BATCH_MAX_WAIT_MS: '200' });
    t.after(() => stack.close());
    // Someone (an admin, another tool) made the account a moment ago, before our first attempt.
    stack.sim.addUser({ email: 'nora.recent@example.com', firstName: 'Nora' });
    stack.sim.setFaults({
      script: [
        { match: { method: 'POST', path: '/api/2.0/people' }, kind: '429', retryAfterSec: 1 },
      ],
    });
    await stack.post({
      employeeId: 'N-1',
      firstName: 'Nora',
      lastName: 'Recent',
      email: 'Nora.Recent@example.com',
    });
    await stack.settled(['nora.recent@example.com'], ['invited', 'existed', 'failed'], 20_000);
    await new Promise((resolve) => setTimeout(resolve, 500));

    const record = await stack.store.get(stack.store.keyOf('nora.recent@example.com'));
    assert.equal(
      inviteCounts(stack.sim).get('nora.recent@example.com') ?? 0,
      0,
      'BUG (workers/provision.ts): a 429 proves DocSpace created nothing, yet the attempt counts as a ' +
        'possible create; the retry then takes the account (registered < 2 min before) as ours and invites it',
    );
    assert.equal(record?.state, 'existed');
  });
});
