import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { describe, it, type TestContext } from 'node:test';
import { createCircuitBreaker, type CircuitSettings } from '../../src/docspace/circuit.js';
import {
  createRequestBudget,
  PRUNE_AT,
  WINDOW_MS,
  type Admitted,
} from '../../src/docspace/request-budget.js';
import { createKeys } from '../../src/queue/keys.js';
import { createRedis } from '../../src/queue/redis.js';
import { deletePrefix, REDIS_URL, uniquePrefix, waitFor } from '../helpers/redis.js';

const CIRCUIT: CircuitSettings = { threshold: 3, waitMs: 200, maxWaitMs: 800, probeLeaseMs: 5_000 };

const sleepFor = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * A budget on the real Redis under a prefix of its own; `waits` records every wait it asked for.
 * `worker()` gives another worker's budget on the same prefix (its own connection); `breaker`
 * is the shared circuit, admitted through by the budgets made `withCircuit`.
 */
function setUp(t: TestContext, maxRps: number, { withCircuit = false, concurrency = 100 } = {}) {
  const prefix = uniquePrefix('budget');
  const connections: ReturnType<typeof createRedis>[] = [];
  t.after(async () => {
    await deletePrefix(prefix);
    for (const connection of connections) connection.disconnect();
  });
  const connect = () => {
    const connection = createRedis(REDIS_URL, 'worker');
    connections.push(connection);
    return connection;
  };
  const redis = connect();
  const keys = createKeys(prefix);
  const waits: number[] = [];
  let onSleep: () => Promise<void> = () => Promise.resolve();
  const worker = (connection = connect()) =>
    createRequestBudget({
      redis: connection,
      keys,
      maxRps,
      concurrency,
      circuit: withCircuit ? CIRCUIT : undefined,
      sleep: async (ms) => {
        waits.push(ms);
        await onSleep();
        await sleepFor(ms);
      },
    });
  const budget = worker(redis);
  const breaker = createCircuitBreaker({ redis, keys, settings: CIRCUIT });
  /** Opens the circuit (threshold failures in a row). */
  const open = async () => {
    for (let i = 0; i < CIRCUIT.threshold; i++) await breaker.report(randomUUID(), 'failed');
  };
  const whileSleeping = (fn: () => Promise<void>) => {
    onSleep = fn;
  };
  return { redis, keys, budget, waits, worker, breaker, open, whileSleeping };
}

/** Redis' clock in ms, as the budget's scripts read it. */
async function redisNow(redis: ReturnType<typeof createRedis>): Promise<number> {
  const [seconds, micros] = await redis.time();
  return Number(seconds) * 1000 + Math.floor(Number(micros) / 1000);
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

  it("when a request ends, its slot is re-logged at its end (never earlier), whether its release rides in the next request's script or is sent alone", async (t) => {
    const { redis, keys, budget } = setUp(t, 10_000, { concurrency: 1 });
    const released = redis as unknown as Record<string, (...args: unknown[]) => Promise<unknown>>;
    const sendRelease = released['onboardingRateReleaseV2'];
    assert.ok(sendRelease);
    let alone = 0;
    released['onboardingRateReleaseV2'] = (...args) => {
      alone += 1;
      return sendRelease.apply(redis, args);
    };
    const endedBy = new Map<string, number>();
    // One at a time: the second and third wait their turn here, and start as the one before ends.
    await Promise.all(
      [1, 2, 3].map(() =>
        budget.run(async ({ ticket }) => {
          endedBy.set(ticket, await redisNow(redis));
        }),
      ),
    );
    const logged = await waitFor(
      async () => {
        const entries = await redis.zrange(keys.docspaceRate, 0, -1, 'WITHSCORES');
        const now = await redisNow(redis);
        const scores = new Map<string, number>();
        for (let i = 0; i < entries.length; i += 2)
          scores.set(entries[i] ?? '', Number(entries[i + 1]));
        return [...scores.values()].every((score) => score <= now) ? scores : undefined;
      },
      5_000,
      'every slot released',
    );
    assert.equal(logged.size, 3);
    for (const [ticket, ended] of endedBy) {
      assert.ok((logged.get(ticket) ?? 0) >= ended, 'released no earlier than the request ended');
    }
    assert.equal(alone, 1, 'the first two releases rode in the next ACQUIRE; the last went alone');
  });
});

describe('the request budget admits through the shared circuit in the same script', () => {
  const admission = ({ admission }: Admitted) => Promise.resolve(admission);

  it('when the circuit is closed, a request goes with the failures counted so far', async (t) => {
    const { budget, breaker } = setUp(t, 10, { withCircuit: true });
    assert.deepEqual(await budget.run(admission), { kind: 'go', failures: 0 });
    await breaker.report(randomUUID(), 'failed');
    assert.deepEqual(await budget.run(admission), { kind: 'go', failures: 1 });
  });

  it('when the circuit refuses, the request takes no slot and does not wait for one', async (t) => {
    const { redis, keys, budget, waits, open } = setUp(t, 1, { withCircuit: true });
    await open();
    for (let i = 0; i < 3; i++) {
      const refused = await budget.run(admission);
      assert.ok(refused?.kind === 'refused' && refused.state === 'open');
    }
    assert.equal(await redis.zcard(keys.docspaceRate), 0, 'no slot taken by a refused request');
    assert.deepEqual(waits, [], 'a cap of 1 made none of them wait');
  });

  it('after the wait, exactly one request across two workers probes, and it alone takes a slot', async (t) => {
    const { redis, keys, budget, worker, open } = setUp(t, 100, { withCircuit: true });
    const other = worker();
    await open();
    await sleepFor(CIRCUIT.waitMs + 20);
    const admitted: Admitted[] = [];
    const record = (a: Admitted) => {
      admitted.push(a);
      return Promise.resolve();
    };
    await Promise.all(
      Array.from({ length: 20 }, (_, i) => (i % 2 === 0 ? budget : other).run(record)),
    );
    const probes = admitted.filter((a) => a.admission?.kind === 'probe');
    assert.equal(probes.length, 1);
    const [probe] = probes;
    assert.ok(probe);
    assert.deepEqual(probe.admission, { kind: 'probe', halfOpened: true });
    assert.equal(admitted.filter((a) => a.admission?.kind === 'refused').length, 19);
    assert.deepEqual(await redis.zrange(keys.docspaceRate, 0, -1), [probe.ticket]);
    assert.equal(await redis.hget(keys.docspaceCircuit, 'probe'), probe.ticket);
  });

  // The release of a request that just ended rides in the next ACQUIRE; one that takes no slot
  // (refused by the circuit, held by a 429 pause, or the cap full) must still write it, or the
  // slot counts as in flight until its in-flight time runs out (20 s by default).
  for (const held of ['the circuit refuses', 'a 429 pause holds', 'the cap is full'] as const) {
    it(`when ${held} the next request, the release it carries is still written`, async (t) => {
      const { redis, keys, budget, open, whileSleeping } = setUp(t, 2, {
        withCircuit: true,
        concurrency: 1,
      });
      const scoreOf = async (ticket: string) =>
        Number(await redis.zscore(keys.docspaceRate, ticket));
      const checks: boolean[] = [];
      /** The first request's entry, once the next one's first ACQUIRE has answered. */
      const releasedBy = async (ticket: string) => {
        checks.push((await scoreOf(ticket)) <= (await redisNow(redis)));
      };
      let first = '';
      whileSleeping(async () => {
        if (checks.length === 0) await releasedBy(first);
        await redis.del(keys.docspacePause);
        await redis.zrem(keys.docspaceRate, 'elsewhere');
      });
      // Concurrency 1: the second waits its turn here and asks for its slot as the first ends.
      const [, second] = await Promise.all([
        budget.run(async ({ ticket }) => {
          first = ticket;
          if (held === 'the circuit refuses') await open();
          else if (held === 'a 429 pause holds') await budget.pause(60_000);
          else await redis.zadd(keys.docspaceRate, (await redisNow(redis)) + 60_000, 'elsewhere');
        }),
        budget.run(({ admission }) => Promise.resolve(admission)),
      ]);
      if (held === 'the circuit refuses') {
        assert.equal(second?.kind, 'refused');
        await releasedBy(first);
      } else assert.equal(second?.kind, 'go');
      assert.deepEqual(checks, [true], 'the first request counts from its end, not as in flight');
    });
  }

  it('when a request that would probe must wait for a slot, it takes the probe only with the slot', async (t) => {
    const { redis, keys, budget, open, whileSleeping } = setUp(t, 1, { withCircuit: true });
    await open();
    await sleepFor(CIRCUIT.waitMs + 20);
    // Another worker's request holds the only slot.
    await redis.zadd(keys.docspaceRate, (await redisNow(redis)) + 5_000, 'elsewhere');
    const seen: (string | null)[][] = [];
    whileSleeping(async () => {
      seen.push(await redis.hmget(keys.docspaceCircuit, 'state', 'probe'));
      await redis.zrem(keys.docspaceRate, 'elsewhere');
    });
    const probe = await budget.run(admission);
    assert.deepEqual(seen, [['open', null]], 'still open, no probe, while it waited');
    assert.deepEqual(probe, { kind: 'probe', halfOpened: true });
    assert.equal(await redis.hget(keys.docspaceCircuit, 'state'), 'half-open');
  });
});
