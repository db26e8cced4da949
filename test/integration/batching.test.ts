import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { FLUSH_TICK_JOB } from '../../src/queue/contract.js';
import { inviteCounts, okCalls, startStack, type Stack } from '../helpers/stack.js';

const people = (from: number, count: number, tag: string) =>
  Array.from({ length: count }, (_, i) => ({
    employeeId: `${tag}-${from + i}`,
    firstName: 'Bea',
    lastName: 'Batch',
    email: `bea.${tag}.${from + i}@example.com`,
  }));

/** Ids BullMQ gives the tick's jobs (a job scheduler's: `repeat:<scheduler id>:<due time>`). */
const TICK_JOB_ID = new RegExp(`^repeat:${FLUSH_TICK_JOB}:`);

/** Posts `hires` in one delivery and waits until every one of them is in `state`. */
async function postUntil(
  stack: Stack,
  hires: readonly { email: string }[],
  state: 'invited' | 'created',
): Promise<void> {
  await stack.post(hires);
  await stack.settled(
    hires.map((h) => h.email),
    [state],
    20_000,
  );
}

/** Per person, the ids of the jobs their timeline says invited them. */
async function invitedBy(stack: Stack, hires: readonly { email: string }[]): Promise<string[][]> {
  return await Promise.all(
    hires.map(async (h) =>
      (await stack.store.timeline(stack.store.keyOf(h.email)))
        .filter((entry) => entry.event === 'invited')
        .map((entry) => entry.jobId ?? ''),
    ),
  );
}

describe('batched invitations (docs/design.md, rule 3, INVITE_MODE)', () => {
  it('when many are created, invite calls hold at most INVITE_BATCH_SIZE and everyone is invited once', async (t) => {
    const stack = await startStack({ INVITE_BATCH_SIZE: '5', INVITE_BATCH_MAX_WAIT_MS: '600' });
    t.after(() => stack.close());
    const hires = [...people(0, 10, 'a'), ...people(10, 13, 'a')];
    await stack.post(hires.slice(0, 10));
    await stack.post(hires.slice(10));
    await stack.settled(hires.map((h) => h.email));

    const invites = okCalls(stack.sim, 'POST', '/api/2.0/people/invite');
    const sizes = invites.map((c) => c.emails?.length ?? 0);
    assert.ok(
      sizes.every((size) => size >= 1 && size <= 5),
      `sizes ${sizes.join(',')}`,
    );
    assert.equal(
      sizes.reduce((a, b) => a + b, 0),
      hires.length,
    );
    const counts = inviteCounts(stack.sim);
    for (const h of hires) assert.equal(counts.get(h.email), 1, h.email);
  });

  // The wait is bounded by the tick, a job scheduler every half of INVITE_BATCH_MAX_WAIT_MS that
  // sends whatever waits (workers/redis-setup.ts): shown by which job invited a partial batch that
  // nothing else sends, not by elapsed time, which a loaded machine stretches.
  it('when fewer than a batch wait and nothing else sends them, the INVITE_BATCH_MAX_WAIT_MS tick does, at half the allowed wait', async (t) => {
    const maxWait = 600;
    // INVITE_MODE=resend: no flush when a burst ends (workers/idle-flush.ts), and 3 < a batch of 5:
    // no size-triggered flush either. Only the tick is left to send them.
    const stack = await startStack({
      INVITE_MODE: 'resend',
      INVITE_BATCH_SIZE: '5',
      INVITE_BATCH_MAX_WAIT_MS: String(maxWait),
    });
    t.after(() => stack.close());
    const scheduler = await stack.invites.getJobScheduler(FLUSH_TICK_JOB);
    assert.equal(scheduler?.every, maxWait / 2, 'a tick every half of the allowed wait');

    const hires = people(0, 3, 'h');
    await postUntil(stack, hires, 'invited');
    assert.deepEqual(
      okCalls(stack.sim, 'PUT', '/api/2.0/people/invite').map((c) => c.userIds?.length),
      [3],
      'one call for the partial batch',
    );
    for (const jobIds of await invitedBy(stack, hires)) {
      assert.equal(jobIds.length, 1, 'invited once');
      assert.match(jobIds[0] ?? '', TICK_JOB_ID, 'invited by a tick job');
    }
  });

  it('when hires arrive in separate deliveries, their invitations share calls (not one call per webhook)', async (t) => {
    const stack = await startStack({ INVITE_BATCH_MAX_WAIT_MS: '2000' });
    t.after(() => stack.close());
    const hires = people(0, 10, 'b');
    await Promise.all(hires.map((h) => stack.post(h)));
    await stack.settled(hires.map((h) => h.email));
    const calls = okCalls(stack.sim, 'POST', '/api/2.0/people/invite');
    assert.ok(calls.length <= 2, `${calls.length} invite calls for 10 deliveries`);
    assert.equal(
      calls.reduce((n, c) => n + (c.emails?.length ?? 0), 0),
      10,
    );
  });

  it('when a full batch is ready, it is sent without waiting for the tick', async (t) => {
    const stack = await startStack({ INVITE_BATCH_SIZE: '4', INVITE_BATCH_MAX_WAIT_MS: '20000' });
    t.after(() => stack.close());
    const hires = people(0, 8, 'c');
    await postUntil(stack, hires, 'invited');
    assert.deepEqual(
      okCalls(stack.sim, 'POST', '/api/2.0/people/invite').map((c) => c.emails?.length),
      [4, 4],
    );
    // Sent by the size trigger: no invitation came from a tick job (one every 10 s here).
    for (const jobIds of await invitedBy(stack, hires)) {
      assert.doesNotMatch(jobIds[0] ?? '', TICK_JOB_ID);
    }
  });

  it('when a burst of hires is over, its last partial batch is sent without waiting for the tick', async (t) => {
    // The tick comes every 30 minutes here: the people are invited long before it.
    const stack = await startStack({
      INVITE_BATCH_SIZE: '50',
      INVITE_BATCH_MAX_WAIT_MS: '3600000',
    });
    t.after(() => stack.close());
    const hires = people(0, 3, 'f');
    await postUntil(stack, hires, 'invited');
    assert.deepEqual(
      okCalls(stack.sim, 'POST', '/api/2.0/people/invite').map((c) => c.emails?.length),
      [3],
    );
  });

  it('when INVITE_MODE=resend, the join link is re-sent with PUT /people/invite and the user ids', async (t) => {
    const stack = await startStack({ INVITE_MODE: 'resend' });
    t.after(() => stack.close());
    const hires = people(0, 3, 'd');
    await stack.post(hires);
    await stack.settled(hires.map((h) => h.email));
    assert.equal(okCalls(stack.sim, 'POST', '/api/2.0/people/invite').length, 0);
    const puts = okCalls(stack.sim, 'PUT', '/api/2.0/people/invite');
    const ids = stack.sim
      .state()
      .users.map((u) => u.id)
      .sort();
    assert.deepEqual(puts.flatMap((c) => c.userIds ?? []).sort(), ids);
    const resent = stack.sim
      .state()
      .mails.filter((m) => m.kind === 'resend')
      .map((m) => m.to)
      .sort();
    assert.deepEqual(resent, hires.map((h) => h.email).sort());
  });

  it('when INVITE_MODE=none, users are created and no invite call is made', async (t) => {
    const stack = await startStack({ INVITE_MODE: 'none' });
    t.after(() => stack.close());
    const hires = people(0, 2, 'e');
    await postUntil(stack, hires, 'created');
    await new Promise((resolve) => setTimeout(resolve, 500));
    assert.equal(
      stack.sim.state().calls.filter((c) => c.path === '/api/2.0/people/invite').length,
      0,
    );
    assert.equal(okCalls(stack.sim, 'POST', '/api/2.0/people').length, 2);
  });
});

describe('shared DocSpace budget (DOCSPACE_MAX_RPS across workers)', () => {
  it('when two workers share one Redis, DocSpace never sees more than DOCSPACE_MAX_RPS requests in any second', async (t) => {
    const stack = await startStack({ DOCSPACE_MAX_RPS: '8', INVITE_BATCH_MAX_WAIT_MS: '500' });
    const second = await (
      await import('../../workers/start.js')
    ).startWorkers({
      config: stack.config,
      logger: stack.logger,
      connection: stack.redis,
    });
    t.after(async () => {
      await second.close();
      await stack.close();
    });
    const hires = people(0, 30, 'f');
    await postUntil(stack, hires, 'invited');
    const times = stack.sim
      .state()
      .calls.map((c) => c.at)
      .sort((a, b) => a - b);
    let most = 0;
    for (const [i, start] of times.entries()) {
      most = Math.max(most, times.slice(i).filter((at) => at < start + 1000).length);
    }
    assert.ok(most <= 8, `${most} requests within one second`);
    // The cap was in play (more requests than one second allows) and the budget let them all
    // through (everyone invited, above). How close to the cap the busiest second came is speed,
    // which a loaded machine lowers: bench/ measures that.
    assert.ok(times.length > 8, `${times.length} requests in all`);
  });

  it('when DocSpace is slow, one worker keeps at most DOCSPACE_CONCURRENCY requests in flight', async (t) => {
    // In flight is counted where DocSpace sees it, by events rather than by arrival times: a call
    // is in flight from when the simulator records it until it answers. Just before each answer,
    // in flight = calls recorded so far - calls answered so far; the most ever in flight is
    // reached just before some answer, so the largest of these is exactly the peak.
    let answered = 0;
    let peak = 0;
    const started: { sim?: Stack['sim'] } = {};
    const stack = await startStack(
      { DOCSPACE_CONCURRENCY: '3', INVITE_MODE: 'none' },
      {
        simLogger: {
          info: (msg) => {
            const sim = started.sim;
            if (msg !== 'docspace-sim call' || sim === undefined) return;
            peak = Math.max(peak, sim.state().calls.length - answered);
            answered += 1;
          },
        },
      },
    );
    started.sim = stack.sim;
    t.after(() => stack.close());
    // Slow enough that the next jobs' calls are sent while the first ones wait.
    stack.sim.setFaults({ latencyMs: 300 });
    const hires = people(0, 9, 'g');
    await postUntil(stack, hires, 'created');
    assert.equal(answered, stack.sim.state().calls.length, 'every call answered');
    assert.equal(peak, 3, 'at most (and, with nine waiting, exactly) 3 in flight');
  });
});
