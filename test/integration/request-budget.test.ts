import assert from 'node:assert/strict';
import { describe, it, type TestContext } from 'node:test';
import { createRequestBudget, PRUNE_AT, WINDOW_MS } from '../../src/docspace/request-budget.js';
import { createKeys } from '../../src/queue/keys.js';
import { createRedis } from '../../src/queue/redis.js';
import { deletePrefix, REDIS_URL, uniquePrefix, waitFor } from '../helpers/redis.js';

/** A budget on the real Redis under a prefix of its own; `waits` records every wait it asked for. */
function setUp(t: TestContext, maxRps: number) {
  const prefix = uniquePrefix('budget');
  const redis = createRedis(REDIS_URL, 'worker');
  t.after(async () => {
    await deletePrefix(prefix);
    redis.disconnect();
  });
  const keys = createKeys(prefix);
  const waits: number[] = [];
  const budget = createRequestBudget({
    redis,
    keys,
    maxRps,
    concurrency: 100,
    sleep: (ms) => {
      waits.push(ms);
      return new Promise((resolve) => setTimeout(resolve, ms));
    },
  });
  return { redis, keys, budget, waits };
}

describe('the DocSpace request budget (src/docspace/request-budget.ts) on Redis', () => {
  it('when the cap is taken, the next request waits; the log keeps no more than the cap once old entries go', async (t) => {
    const { redis, keys, budget, waits } = setUp(t, 3);
    await Promise.all([1, 2, 3].map((n) => budget.run(() => Promise.resolve(n))));
    const waited = (): number => waits.reduce((sum, ms) => sum + ms, 0);
    assert.equal(waited(), 0, 'three requests fit a cap of 3');

    // The fourth waits until a window after the first three ended, then goes.
    assert.equal(await budget.run(() => Promise.resolve('fourth')), 'fourth');
    assert.ok(waited() >= WINDOW_MS / 2, 'the fourth was told to wait for the window to move on');
    // Removing old entries happens when the log is full: the three old ones went, the fourth stays.
    await waitFor(async () => ((await redis.zcard(keys.docspaceRate)) <= 3 ? true : undefined));
    assert.ok((await redis.pttl(keys.docspaceRate)) > 0, 'the log keeps its lifetime');
  });

  it('when the cap is far away, finished requests stay in the log until it holds the threshold, and a 429 pause still holds every request', async (t) => {
    const { redis, keys, budget, waits } = setUp(t, 10_000);
    for (let n = 0; n < 5; n++) await budget.run(() => Promise.resolve(n));
    assert.equal(await redis.zcard(keys.docspaceRate), 5, 'nothing removed below the threshold');
    assert.equal(PRUNE_AT, 1_000);

    await budget.pause(300);
    assert.equal(await budget.run(() => Promise.resolve('after')), 'after');
    assert.ok((waits[0] ?? 0) > 0, 'the paused request waited');
  });
});
