import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Job } from 'bullmq';
import { inviteCounts, okCalls, startStack } from '../helpers/stack.js';
import { waitFor } from '../helpers/redis.js';

const person = (n: number) => ({
  employeeId: `R-${n}`,
  firstName: 'Rita',
  lastName: 'Retry',
  email: `rita.${n}@example.com`,
});

describe('retries (docs/design.md, rules 5 and 6)', () => {
  it('when DocSpace answers 503 and then recovers, the hire is created once and invited', async (t) => {
    const stack = await startStack();
    t.after(() => stack.close());
    stack.sim.setFaults({
      script: [
        { match: { method: 'POST', path: '/api/2.0/people' }, kind: '5xx', status: 503 },
        { match: { method: 'POST', path: '/api/2.0/people' }, kind: 'reset' },
        { match: { method: 'POST', path: '/api/2.0/people/invite' }, kind: '5xx', status: 502 },
      ],
    });
    const hire = person(1);
    await stack.post(hire);
    await stack.settled([hire.email]);
    assert.equal((await stack.store.get(stack.store.keyOf(hire.email)))?.state, 'invited');
    const creates = stack.sim
      .state()
      .calls.filter((c) => c.method === 'POST' && c.path === '/api/2.0/people');
    assert.deepEqual(
      creates.map((c) => c.status),
      [503, 'reset', 200],
    );
    assert.equal(inviteCounts(stack.sim).get(hire.email), 1);
  });

  it('when DocSpace answers 429 with Retry-After, no worker sends anything until it has passed', async (t) => {
    const stack = await startStack();
    t.after(() => stack.close());
    stack.sim.setFaults({
      script: [
        { match: { method: 'POST', path: '/api/2.0/people' }, kind: '429', retryAfterSec: 2 },
      ],
    });
    const hires = [person(10), person(11), person(12), person(13)];
    await stack.post(hires);
    await stack.settled(hires.map((h) => h.email));

    const calls = stack.sim.state().calls;
    const limited = calls.find((c) => c.status === 429);
    assert.ok(limited, 'the 429 was sent');
    // Requests already on the wire when the 429 came back arrive within a few ms (on a loaded
    // machine a few hundred: the grace is wide); after that, nothing until Retry-After (2 s) has
    // passed.
    const during = calls.filter((c) => c.at > limited.at + 500 && c.at < limited.at + 1950);
    assert.deepEqual(
      during.map((c) => `${c.method} ${c.path} +${c.at - limited.at}ms`),
      [],
      'nothing is sent while Retry-After runs',
    );
    assert.ok(
      calls.some((c) => c.at >= limited.at + 1950),
      'requests resume after Retry-After',
    );
    for (const h of hires)
      assert.equal(
        okCalls(stack.sim, 'POST', '/api/2.0/people').filter((c) => c.emails?.[0] === h.email)
          .length,
        1,
      );
    const job = (await stack.hires.getCompleted()).find(
      (j) => (j.data as { hire: { email: string } }).hire.email === hires[0]?.email,
    );
    assert.ok(job);
  });

  it('when DocSpace refuses lastingly (401), the job fails at once with a reason to act on; after the fix a replay finishes it', async (t) => {
    const stack = await startStack({ DOCSPACE_API_KEY: `sk-${'f'.repeat(64)}` });
    // One hook, closing in order: workers before the stacks whose Redis prefix they write to.
    const closers: (() => Promise<void>)[] = [() => stack.close()];
    t.after(async () => {
      for (const close of closers.reverse()) await close();
    });
    const hire = person(20);
    await stack.post(hire);
    await stack.settled([hire.email], ['failed']);
    const failed = await waitFor(
      async () => (await stack.hires.getFailed())[0],
      5_000,
      'failed job',
    );
    assert.equal(failed.attemptsMade, 1, 'not retried');
    assert.match(failed.failedReason, /401.*DOCSPACE_API_KEY/);
    const record = await stack.store.get(stack.store.keyOf(hire.email));
    assert.equal(record?.state, 'failed');
    assert.match(record.lastError ?? '', /DOCSPACE_API_KEY/);

    // The operator fixes the key (here: restarts the workers with the right one) and replays.
    await stack.stopWorkers();
    const fixed = await startStack({}, { workers: false });
    closers.push(() => fixed.close());
    const { startWorkers } = await import('../../workers/start.js');
    const workers = await startWorkers({
      config: {
        ...stack.config,
        docspace: {
          ...stack.config.docspace,
          url: fixed.simUrl,
          apiKey: fixed.config.docspace.apiKey,
        },
      },
      logger: stack.logger,
      connection: stack.redis,
      tuning: { lockDurationMs: 1_000, stalledIntervalMs: 300 },
    });
    closers.push(() => workers.close());
    const job = await Job.fromId(stack.hires, failed.id ?? '');
    await job?.retry('failed', { resetAttemptsMade: true });
    await stack.settled([hire.email], ['invited']);
    assert.equal(okCalls(fixed.sim, 'POST', '/api/2.0/people').length, 1);
    assert.equal(inviteCounts(fixed.sim).get(hire.email), 1);
  });

  it('when DocSpace stays down, the job uses its attempts with growing waits and fails with the last reason', async (t) => {
    const stack = await startStack({ JOB_ATTEMPTS: '4', JOB_BACKOFF_MS: '100' });
    t.after(() => stack.close());
    stack.sim.setFaults({ down: true });
    const hire = person(30);
    await stack.post(hire);
    const failed = await waitFor(
      async () => (await stack.hires.getFailed())[0],
      15_000,
      'failed job',
    );
    assert.equal(failed.attemptsMade, 4);
    assert.match(failed.failedReason, /503/);
    const times = stack.sim.state().calls.map((c) => c.at);
    const gaps = times.slice(1).map((at, i) => at - (times[i] ?? at));
    assert.equal(gaps.length, 3);
    assert.ok(
      gaps.every((gap, i) => gap >= 50 * 2 ** i - 5),
      `backoff grows: ${gaps.join(', ')} ms`,
    );
  });

  it('when DocSpace refuses an invite batch with 400, the flush fails at once with the reason, and a replay sends it once the cause is gone', async (t) => {
    const stack = await startStack({ INVITE_BATCH_MAX_WAIT_MS: '300' });
    t.after(() => stack.close());
    stack.sim.setFaults({ invitationLimit: 1 });
    const hires = [person(40), person(41)];
    await stack.post(hires);
    await stack.settled(
      hires.map((h) => h.email),
      ['failed'],
    );
    const failed = await waitFor(
      async () => (await stack.invites.getFailed())[0],
      5_000,
      'failed flush',
    );
    assert.equal(failed.attemptsMade, 1, 'not retried');
    assert.match(failed.failedReason, /400: .*Invitation limit is exceeded/);
    assert.match(failed.failedReason, /replay this job/);
    const record = await stack.store.get(stack.store.keyOf(hires[0]?.email ?? ''));
    assert.match(record?.lastError ?? '', /Invitation limit is exceeded/);

    stack.sim.setFaults({ invitationLimit: null });
    await failed.retry('failed', { resetAttemptsMade: true });
    await stack.settled(
      hires.map((h) => h.email),
      ['invited'],
    );
    for (const h of hires) assert.equal(inviteCounts(stack.sim).get(h.email), 1);
  });
});
