import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { DocspaceUser } from '../../src/docspace/client.js';
import {
  CLOCK_SKEW_TOLERANCE_MS,
  downgradedFrom,
  madeByUs,
  type OwnershipQuestion,
} from '../../workers/ownership.js';

const FIRST_ATTEMPT = Date.parse('2026-11-26T10:00:00Z');
const OWNER = '11111111-1111-4111-8111-111111111111';
const OTHER = '22222222-2222-4222-8222-222222222222';

const user = (over: Partial<DocspaceUser> = {}): DocspaceUser => ({
  id: 'u-1',
  email: 'a@example.com',
  registrationDate: new Date(FIRST_ATTEMPT + 1_000).toISOString(),
  type: 'User',
  createdById: undefined,
  status: 1,
  ...over,
});

/** A later run (the first attempt's answer was lost); the key owner is counted when asked. */
function question(over: Partial<OwnershipQuestion> = {}) {
  let asked = 0;
  const q: OwnershipQuestion = {
    user: user(),
    refusedWith: 400,
    firstAttemptAt: FIRST_ATTEMPT,
    runStartedAt: FIRST_ATTEMPT + 60_000,
    keyOwner: () => {
      asked += 1;
      return Promise.resolve({ id: OWNER });
    },
    ...over,
  };
  return { q, asked: () => asked };
}

describe('madeByUs: whose is the account DocSpace has after it refused our create', () => {
  it('when this run made the first attempt and DocSpace refused it with 400, not ours (nothing is written before a 400)', async () => {
    const { q } = question({ runStartedAt: FIRST_ATTEMPT });
    assert.equal(await madeByUs(q), false);
  });

  it('when a 500 answered this run’s first attempt, the dates decide (servers up to 3.0 refuse a duplicate with 500)', async () => {
    const old = question({
      runStartedAt: FIRST_ATTEMPT,
      refusedWith: 500,
      user: user({ registrationDate: '2020-01-01T00:00:00.0000000+00:00' }),
    });
    assert.equal(await madeByUs(old.q), false);
    const fresh = question({ runStartedAt: FIRST_ATTEMPT, refusedWith: 500 });
    assert.equal(await madeByUs(fresh.q), true);
  });

  it('when the account was registered before our first attempt (beyond the clock tolerance), not ours', async () => {
    const before = new Date(FIRST_ATTEMPT - CLOCK_SKEW_TOLERANCE_MS - 1).toISOString();
    const { q, asked } = question({ user: user({ registrationDate: before }) });
    assert.equal(await madeByUs(q), false);
    assert.equal(asked(), 0, 'the key owner is not asked when the date settles it');
  });

  it('when the account is recent but createdBy names someone else, not ours, whatever its date', async () => {
    const { q, asked } = question({ user: user({ createdById: OTHER }) });
    assert.equal(await madeByUs(q), false);
    assert.equal(asked(), 1);
  });

  it('when the account is recent and createdBy is the key owner (any case), ours', async () => {
    const { q } = question({ user: user({ createdById: OWNER.toUpperCase() }) });
    assert.equal(await madeByUs(q), true);
  });

  it('when the account is recent and has no createdBy (a caller who may not see it), the date alone says ours', async () => {
    const { q, asked } = question();
    assert.equal(await madeByUs(q), true);
    assert.equal(asked(), 0);
  });

  it('when the registration date is missing or unreadable, not ours', async () => {
    for (const registrationDate of [undefined, 'yesterday']) {
      const { q } = question({ user: user({ registrationDate }) });
      assert.equal(await madeByUs(q), false, String(registrationDate));
    }
  });
});

describe('downgradedFrom: a paid type asked, a User made (no free seats)', () => {
  it('names the type asked when a RoomAdmin or DocSpaceAdmin create made a User', () => {
    assert.equal(downgradedFrom(1, user({ type: 'User' })), 'RoomAdmin');
    assert.equal(downgradedFrom(3, user({ type: 'User' })), 'DocSpaceAdmin');
  });

  it('is undefined when the type was given, User was asked, or the flags are missing', () => {
    assert.equal(downgradedFrom(1, user({ type: 'RoomAdmin' })), undefined);
    assert.equal(downgradedFrom(3, user({ type: 'DocSpaceAdmin' })), undefined);
    assert.equal(downgradedFrom(4, user({ type: 'User' })), undefined);
    assert.equal(downgradedFrom(1, user({ type: undefined })), undefined);
  });
});
