import assert from 'node:assert/strict';
import { describe, it, type TestContext } from 'node:test';
import {
  createHireStore,
  HIRE_RECORD_TTL_SECONDS,
  type HireStore,
} from '../../src/queue/hire-store.js';
import { createKeys } from '../../src/queue/keys.js';
import { createLocks } from '../../src/queue/locks.js';
import { createPersonClaim } from '../../src/queue/person-claim.js';
import { createRedis, type RedisConnection } from '../../src/queue/redis.js';
import { commandsOn, deletePrefix, REDIS_URL, uniquePrefix } from '../helpers/redis.js';

const hire = {
  source: 'hires',
  hireId: 'S-1',
  email: 'store.person@example.com',
  firstName: 'Sam',
  lastName: 'Store',
};

function setUp(t: TestContext) {
  const prefix = uniquePrefix('store');
  const redis = createRedis(REDIS_URL, 'worker');
  t.after(async () => {
    await deletePrefix(prefix);
    redis.disconnect();
  });
  const keys = createKeys(prefix);
  let clock = Date.parse('2026-11-30T10:00:00Z');
  const now = () => (clock += 1);
  const store = createHireStore({ redis, keys, now });
  const later = (ms: number) => {
    clock += ms;
  };
  return { prefix, redis, keys, store, later, key: store.keyOf(hire.email) };
}

describe('the hire store (src/queue/hire-store.ts) on Redis', () => {
  it('when a record changes state 60 times, its timeline keeps the last 50 entries, newest last', async (t) => {
    const { store, key } = setUp(t);
    for (let n = 0; n < 30; n++) {
      assert.equal((await store.received(hire, `r${n}`)).applied, true);
      assert.equal((await store.failed(key, `reason ${n}`, `f${n}`)).applied, true);
    }
    const timeline = await store.timeline(key);
    assert.equal(timeline.length, 50);
    assert.deepEqual(timeline.at(-1), {
      at: timeline.at(-1)?.at,
      event: 'failed',
      jobId: 'f29',
      detail: 'reason 29',
    });
    assert.equal(timeline[0]?.jobId, 'r5', 'the 10 oldest are gone');
  });

  it('when a timeline is shorter than the limit, nothing is trimmed', async (t) => {
    const { store, key } = setUp(t);
    await store.received(hire, 'r1');
    await store.failed(key, 'broke', 'f1');
    assert.deepEqual(
      (await store.timeline(key)).map((entry) => entry.jobId),
      ['r1', 'f1'],
    );
  });

  it('when a failed record moves on, its last error is cleared; a failure keeps its own reason', async (t) => {
    const { store, key } = setUp(t);
    await store.received(hire, 'r1');
    await store.failed(key, 'first reason', 'f1');
    assert.equal((await store.get(key))?.lastError, 'first reason');
    await store.failed(key, 'second reason', 'f2');
    assert.equal((await store.get(key))?.lastError, 'second reason', 'replaced, not cleared');

    await store.received(hire, 'r2');
    const record = await store.get(key);
    assert.equal(record?.state, 'received');
    assert.equal(record.lastError, undefined);

    await store.noteError(key, 'passing trouble', 'r2');
    assert.equal((await store.get(key))?.lastError, 'passing trouble');
    await store.created(key, 'u1', 'r2', false);
    assert.equal((await store.get(key))?.lastError, undefined, 'cleared once it worked');
  });

  it('when a state changes, the record and its timeline live 90 days from then', async (t) => {
    const { redis, keys, store, later, key } = setUp(t);
    await store.received(hire, 'r1');
    // As if that lifetime ran out soon: the keys expire in a minute, set over an hour ago.
    await redis.expire(keys.hire(key), 60);
    await redis.expire(keys.timeline(key), 60);
    later(3_600_000 + 1);
    await store.created(key, 'u1', 'r1', true);
    for (const k of [keys.hire(key), keys.timeline(key)]) {
      const ttl = await redis.ttl(k);
      assert.ok(ttl > HIRE_RECORD_TTL_SECONDS - 60, `${k}: ${String(ttl)}`);
    }
  });

  // Whether a lifetime is fresh is read from the record's lifetimeSetAt field, not from a TTL read
  // (src/queue/hire-store.ts): each test shortens the keys' TTL so that a renewal shows.
  const shortened = async (redis: RedisConnection, ...names: string[]) => {
    for (const name of names) await redis.expire(name, 60);
  };
  const lifetimes = async (redis: RedisConnection, ...names: string[]) =>
    Promise.all(names.map((name) => redis.ttl(name)));
  const renewed = (ttl: number) => ttl > HIRE_RECORD_TTL_SECONDS - 60;

  it('when a record changes within an hour of its lifetime being set, its lifetime is left as it was', async (t) => {
    const { redis, keys, store, later, key } = setUp(t);
    await store.received(hire, 'r1');
    const set = (await redis.hget(keys.hire(key), 'lifetimeSetAt')) ?? '';
    assert.match(set, /^\d+$/, 'the record says when its lifetime was set');
    await shortened(redis, keys.hire(key), keys.timeline(key));
    later(3_600_000 - 1_000);
    await store.receivedThenMark([{ hire, jobId: 'r2' }], 1, false, {
      key: keys.hire('marker'),
      value: 'done',
      ttlSeconds: 60,
    });
    await store.created(key, 'u1', 'r1', true);
    await store.accepted(key, 'j2', 2);
    assert.equal((await store.get(key))?.latestJobId, 'j2', 'all three applied');
    for (const ttl of await lifetimes(redis, keys.hire(key), keys.timeline(key))) {
      assert.ok(ttl > 0 && ttl <= 60, `untouched: ${String(ttl)}`);
    }
    assert.equal(await redis.hget(keys.hire(key), 'lifetimeSetAt'), set, 'not rewritten');
  });

  for (const [name, change] of [
    ['a transition', (s: HireStore, key: string) => s.created(key, 'u1', 'r1', true)],
    ['an accepted event', (s: HireStore, key: string) => s.accepted(key, 'j2', 2)],
    [
      "the intake's record",
      (s: HireStore, _key: string, marker: string) =>
        s.receivedThenMark([{ hire, jobId: 'r2' }], 3, false, {
          key: marker,
          value: 'done',
          ttlSeconds: 60,
        }),
    ],
  ] as const) {
    it(`when ${name} comes over an hour after the lifetime was set, or the record has no such time, the record lives 90 days again`, async (t) => {
      const { redis, keys, store, later, key } = setUp(t);
      for (const old of [true, false]) {
        await redis.del(keys.hire(key), keys.timeline(key));
        await store.received(hire, 'r1');
        await shortened(redis, keys.hire(key), keys.timeline(key));
        if (old) later(3_600_000 + 1);
        // A record written before the field existed (an older version) has none.
        else await redis.hdel(keys.hire(key), 'lifetimeSetAt');
        await change(store, key, keys.hire('marker'));
        for (const ttl of await lifetimes(redis, keys.hire(key), keys.timeline(key))) {
          assert.ok(renewed(ttl), `${old ? 'old' : 'no field'}: ${String(ttl)}`);
        }
        const set = Number(await redis.hget(keys.hire(key), 'lifetimeSetAt'));
        assert.ok(set > Date.parse('2026-11-30T10:00:00Z'), 'the new time is written');
        const record = await store.get(key);
        assert.equal(record !== undefined && 'lifetimeSetAt' in record, false, 'not shown');
      }
    });
  }

  it('when a batch is invited in one call, each created person becomes invited and leaves the owed index; others are refused', async (t) => {
    const { redis, keys, store } = setUp(t);
    const person = (n: number) => ({ ...hire, hireId: `S-${n}`, email: `batch.${n}@example.com` });
    const [a, b, c] = [1, 2, 3].map((n) => store.keyOf(person(n).email)) as [
      string,
      string,
      string,
    ];
    for (const n of [1, 2, 3]) await store.received(person(n), `r${n}`);
    await store.created(a, 'u1', 'r1', true);
    await store.created(b, 'u2', 'r2', true);
    assert.deepEqual((await redis.zrange(keys.inviteOwed, 0, -1)).sort(), [a, b].sort());

    const results = await store.invitedAll([a, b, c], 'flush-1');
    assert.deepEqual(results, [
      { applied: true, from: 'created' },
      { applied: true, from: 'created' },
      { applied: false, state: 'received' },
    ]);
    for (const key of [a, b]) {
      const record = await store.get(key);
      assert.equal(record?.state, 'invited');
      assert.equal(record.lastJobId, 'flush-1');
      assert.equal((await store.timeline(key)).at(-1)?.event, 'invited');
    }
    assert.equal((await store.get(c))?.state, 'received');
    assert.deepEqual(await redis.zrange(keys.inviteOwed, 0, -1), []);
    assert.deepEqual(await store.invitedAll([], 'flush-2'), []);
    assert.equal((await store.invitedAll([a], 'flush-2'))[0]?.applied, false, 'never twice');
  });

  it('when a timeline is made anew (by a note or a change), it lives 90 days too', async (t) => {
    const { redis, keys, store, key } = setUp(t);
    await store.note(key, 'termination', 'recorded only', 'n1');
    assert.ok((await redis.ttl(keys.timeline(key))) > HIRE_RECORD_TTL_SECONDS - 60, 'note');
    await store.received(hire, 'r1');
    await redis.del(keys.timeline(key));
    await store.created(key, 'u1', 'r1', true);
    for (const k of [keys.hire(key), keys.timeline(key)]) {
      const ttl = await redis.ttl(k);
      assert.ok(ttl > HIRE_RECORD_TTL_SECONDS - 60, `${k}: ${String(ttl)}`);
    }
  });

  it('when an attempt begins, the first mark holds across attempts until taken back; the job is recorded each time', async (t) => {
    const { store, key } = setUp(t);
    await store.received(hire, 'r1');
    const first = await store.beginAttempt(key, 'job-a');
    assert.equal((await store.get(key))?.firstAttemptAt, first);

    const again = await store.beginAttempt(key, 'job-b');
    assert.equal(again, first, 'a later attempt keeps the first mark');
    assert.equal((await store.get(key))?.lastJobId, 'job-b');

    await store.forgetAttempt(key, first);
    const fresh = await store.beginAttempt(key, 'job-c');
    assert.ok(fresh > first, 'a mark taken back is set anew');
    assert.equal((await store.get(key))?.firstAttemptAt, fresh);
  });

  it('when an attempt begins knowing the job its record named, a first attempt costs one command, and the marks hold as with the script', async (t) => {
    const { prefix, store, key } = setUp(t);
    await store.received(hire, 'job-a');
    let first = 0;
    const sent = await commandsOn(prefix, async () => {
      first = await store.beginAttempt(key, 'job-a', { lastJobId: 'job-a' });
    });
    assert.deepEqual(sent, ['hsetnx'], 'the record names the job already: only the mark');
    assert.equal((await store.get(key))?.firstAttemptAt, first);
    assert.equal((await store.get(key))?.lastJobId, 'job-a');

    const again = await store.beginAttempt(key, 'job-b', { lastJobId: 'job-a' });
    assert.equal(again, first, 'a later attempt keeps the first mark');
    assert.equal((await store.get(key))?.lastJobId, 'job-b');

    await store.forgetAttempt(key, first);
    const fresh = await store.beginAttempt(key, 'job-c', { lastJobId: 'job-b' });
    assert.ok(fresh > first, 'a mark taken back is set anew');
    assert.deepEqual(
      [(await store.get(key))?.firstAttemptAt, (await store.get(key))?.lastJobId],
      [fresh, 'job-c'],
    );
  });

  it('when a mark was set before the intake wrote the record (no record read), a later attempt keeps it (rule 7)', async (t) => {
    const { store, key } = setUp(t);
    const first = await store.beginAttempt(key, 'job-a', {});
    assert.equal(await store.get(key), undefined, 'only a mark: no record yet');
    assert.equal(await store.beginAttempt(key, 'job-b', {}), first);
    await store.received(hire, 'job-b');
    assert.deepEqual(
      [(await store.get(key))?.firstAttemptAt, (await store.get(key))?.lastJobId],
      [first, 'job-b'],
    );
  });
});

describe('a hire job takes its lease and reads in one round trip (src/queue/person-claim.ts)', () => {
  it('when the lease is free, the job gets the record and the disable state; a second job is turned away; the owner takes it back', async (t) => {
    const { redis, keys, store, key } = setUp(t);
    const claim = createPersonClaim({ locks: createLocks(redis), keys, lockTtlMs: 60_000 });

    assert.deepEqual(await claim(key, 'j1'), { record: undefined, offboardingState: null });
    assert.equal(await redis.get(keys.hireLock(key)), 'j1');
    await createLocks(redis).release(keys.hireLock(key), 'j1');

    await store.received(hire, 'j2');
    await redis.hset(keys.offboarding(key), 'state', 'scheduled');
    const claimed = await claim(key, 'j2');
    assert.equal(claimed?.record?.state, 'received');
    assert.equal(claimed.record.email, hire.email);
    assert.equal(claimed.offboardingState, 'scheduled');

    assert.equal(await claim(key, 'j3'), undefined, 'another job holds the lease');
    assert.equal(
      (await claim(key, 'j2'))?.record?.state,
      'received',
      'a retried job takes it back',
    );
  });

  it('when a create is recorded, the account enters the hash of accounts this service made in the same script', async (t) => {
    const { redis, keys, store, key } = setUp(t);
    await store.received(hire, 'r1');
    assert.equal((await store.created(key, 'u1', 'r1', true)).applied, true);
    assert.equal(await redis.hget(keys.ours, key), 'u1');
    // Refused (already created): nothing is written over.
    assert.equal((await store.created(key, 'u2', 'r2', true)).applied, false);
    assert.equal(await redis.hget(keys.ours, key), 'u1');
  });
});

describe('the created script releases the job lease it is given (src/queue/hire-store.ts)', () => {
  it('when the job names its lease, the record, the ours entry and the release happen in one script; a lease another job holds stays', async (t) => {
    const { redis, keys, store, key } = setUp(t);
    const lockKey = keys.hireLock(key);
    await store.received(hire, 'r1');
    await redis.set(lockKey, 'r1');
    const created = await store.created(key, 'u1', 'r1', true, {}, hire, {
      key: lockKey,
      owner: 'r1',
    });
    assert.equal(created.applied, true);
    assert.equal(await redis.hget(keys.ours, key), 'u1');
    assert.equal(await redis.exists(lockKey), 0, 'released');

    await redis.set(lockKey, 'other');
    await store.created(key, 'u1', 'r2', true, {}, hire, { key: lockKey, owner: 'r2' });
    assert.equal(await redis.get(lockKey), 'other', 'not ours to release');
  });
});
