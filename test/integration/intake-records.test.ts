import assert from 'node:assert/strict';
import { describe, it, type TestContext } from 'node:test';
import type { Hire } from '../../src/domain/hire.js';
import { createHireStore, HIRE_RECORD_TTL_SECONDS } from '../../src/queue/hire-store.js';
import { createKeys } from '../../src/queue/keys.js';
import { createRedis, type RedisConnection } from '../../src/queue/redis.js';
import { deletePrefix, REDIS_URL, uniquePrefix } from '../helpers/redis.js';

const ana: Hire = {
  source: 'hires',
  hireId: 'R-1',
  email: 'Ana.Records@Example.com',
  firstName: 'Ana',
  lastName: 'Records',
};
const bo: Hire = { ...ana, hireId: 'R-2', email: 'bo.records@example.com', firstName: 'Bo' };

const CLOCK = Date.parse('2026-11-30T10:00:00Z');

type Store = ReturnType<typeof createHireStore>;

/** Two stores on their own prefixes with one fixed clock: the same steps give the same records. */
function twoStores(t: TestContext) {
  const redis = createRedis(REDIS_URL, 'worker');
  const sides = ['one-by-one', 'one-script'].map((label) => {
    const prefix = uniquePrefix(`intake-records-${label}`);
    const keys = createKeys(prefix);
    return { prefix, keys, store: createHireStore({ redis, keys, now: () => CLOCK }) };
  });
  t.after(async () => {
    for (const side of sides) await deletePrefix(side.prefix);
    redis.disconnect();
  });
  return { redis, sides };
}

/** What a person's keys hold, the lifetimes as set or not. */
async function snapshot(
  redis: RedisConnection,
  keys: ReturnType<typeof createKeys>,
  store: Store,
  hire: Hire,
) {
  const key = store.keyOf(hire.email);
  return {
    hire: await redis.hgetall(keys.hire(key)),
    hireExpires: (await redis.ttl(keys.hire(key))) > 0,
    timeline: await redis.lrange(keys.timeline(key), 0, -1),
    timelineExpires: (await redis.ttl(keys.timeline(key))) > 0,
    listed: await redis.zscore(keys.people, key),
  };
}

/** Where a person may stand when a delivery names them again. */
const BEFORE: Record<string, (store: Store, hire: Hire) => Promise<unknown>> = {
  'no record': () => Promise.resolve(),
  received: (store, hire) => store.received(hire, 'j0'),
  'failed, with its error': (store, hire) =>
    store.failed(store.keyOf(hire.email), 'a lasting failure', 'j0'),
  created: (store, hire) => store.created(store.keyOf(hire.email), 'u-1', 'j0', true, {}, hire),
  'a newer event accepted': (store, hire) =>
    store.accepted(store.keyOf(hire.email), 'j-newer', CLOCK + 60_000),
  'only a first-attempt mark': (store, hire) => store.beginAttempt(store.keyOf(hire.email), 'j0'),
};

describe('the intake records a delivery in one script (src/queue/hire-store.ts receivedThenMark)', () => {
  for (const [situation, setUp] of Object.entries(BEFORE)) {
    for (const onlyIfAbsent of [false, true]) {
      it(`when the person had ${situation}${onlyIfAbsent ? ' and a copy writes only absent records' : ''}, then the records are what received and accepted one by one make`, async (t) => {
        const { redis, sides } = twoStores(t);
        const [byOne, byScript] = sides;
        assert.ok(byOne && byScript);
        for (const side of sides) for (const hire of [ana, bo]) await setUp(side.store, hire);
        const at = CLOCK + 5;

        for (const [index, hire] of [ana, bo].entries()) {
          await byOne.store.received(hire, `j${index + 1}`, onlyIfAbsent);
          await byOne.store.accepted(byOne.store.keyOf(hire.email), `j${index + 1}`, at);
        }
        const marker = byScript.keys.delivery('hires:msg_records');
        await byScript.store.receivedThenMark(
          [
            { hire: ana, jobId: 'j1' },
            { hire: bo, jobId: 'j2' },
          ],
          at,
          onlyIfAbsent,
          { key: marker, value: 'done', ttlSeconds: 600 },
        );

        for (const hire of [ana, bo]) {
          assert.deepEqual(
            await snapshot(redis, byScript.keys, byScript.store, hire),
            await snapshot(redis, byOne.keys, byOne.store, hire),
          );
        }
        assert.equal(await redis.get(marker), 'done');
        const markerTtl = await redis.ttl(marker);
        assert.ok(markerTtl > 0 && markerTtl <= 600, `marker ttl ${markerTtl}`);
      });
    }
  }

  it('when the delivery names nobody by email, then only the marker is set', async (t) => {
    const { redis, sides } = twoStores(t);
    const [side] = sides;
    assert.ok(side);
    const marker = side.keys.delivery('hires:msg_refs');
    await side.store.receivedThenMark([], CLOCK, false, {
      key: marker,
      value: 'done',
      ttlSeconds: 600,
    });
    assert.equal(await redis.get(marker), 'done');
    assert.equal(await redis.zcard(side.keys.people), 0);
  });

  it('when a record is written, it lives the record lifetime', async (t) => {
    const { redis, sides } = twoStores(t);
    const [side] = sides;
    assert.ok(side);
    await side.store.receivedThenMark([{ hire: ana, jobId: 'j1' }], CLOCK, false, {
      key: side.keys.delivery('hires:msg_ttl'),
      value: 'done',
      ttlSeconds: 600,
    });
    const ttl = await redis.ttl(side.keys.hire(side.store.keyOf(ana.email)));
    assert.ok(ttl > HIRE_RECORD_TTL_SECONDS - 60 && ttl <= HIRE_RECORD_TTL_SECONDS, `ttl ${ttl}`);
  });
});
