import assert from 'node:assert/strict';
import { after, describe, it, type TestContext } from 'node:test';
import { dayIn, endOfDay } from '../../src/domain/effective-date.js';
import { createKeys, emailKey } from '../../src/queue/keys.js';
import { createOffboardingStore } from '../../src/queue/offboarding-store.js';
import { waitFor } from '../helpers/redis.js';
import {
  answerStatus,
  deliverUntilStored,
  hiresBody,
  sleep,
  type HirePayload,
} from './helpers/deliveries.js';
import { startFaultStack, type FaultStack } from './helpers/fault-stack.js';
import { removeWorkDir, startApiProcess, startWorkerProcess } from './helpers/processes.js';
import { call } from './helpers/redis-topology.js';
import { startPrivateRedis, type PrivateRedis } from './helpers/redis-server.js';

/**
 * Leavers under faults (docs/design.md, rule 12; docs/reliability.md#guarantees): a
 * worker killed between DocSpace disabling the account and the records saying so, and a Redis
 * restart with disables scheduled for the end of today, with and without the append-only file.
 */

const DAY = 86_400_000;
const TERMINATED = '/api/2.0/people/status/Terminated';

after(removeWorkDir);

const person = (tag: string, n: number): HirePayload => ({
  employeeId: `LV-${tag}-${n}`,
  firstName: 'Lou',
  lastName: 'Leaver',
  email: `lou.${tag}.${n}@example.com`,
});

/**
 * HR_TIMEZONE for "today": a zone whose day ends more than 10 minutes from now, so no disable of a
 * termination dated today may fall due while the test runs.
 */
function farFromMidnight(now: number): string {
  for (const zone of ['UTC', 'Asia/Tokyo', 'America/New_York']) {
    if (endOfDay(dayIn(zone, now), zone) - now > 10 * 60_000) return zone;
  }
  throw new Error('unreachable: the three zones cannot all be within 10 minutes of midnight');
}

interface Setup {
  readonly stack: FaultStack;
  readonly redis: PrivateRedis;
  readonly apiUrl: string;
  readonly zone: string;
  readonly offboarding: ReturnType<typeof createOffboardingStore>;
  readonly keys: ReturnType<typeof createKeys>;
  /** Delivers until stored (a 503 is sent again); returns how many 503s it got first. */
  deliver(id: string, data: unknown, type?: string): Promise<number>;
  terminate(id: string, who: readonly HirePayload[], day: string): Promise<number>;
  user(email: string): { id: string; status: number } | undefined;
  /** The committed `PUT …/status/Terminated` calls that named `email`'s account. */
  disables(email: string): number;
}

async function setUp(t: TestContext, label: string, persist: boolean): Promise<Setup> {
  const redis = await startPrivateRedis({ persist });
  t.after(() => redis.destroy());
  const zone = farFromMidnight(Date.now());
  const stack = await startFaultStack({
    label,
    redisUrl: redis.url,
    settings: { OFFBOARDING: 'disable', HR_TIMEZONE: zone, INVITE_BATCH_MAX_WAIT_MS: '300' },
  });
  t.after(() => stack.close());
  const { url: apiUrl } = await startApiProcess(stack.env(), 'api');
  const keys = createKeys(stack.prefix);
  const offboarding = createOffboardingStore({ redis: stack.redis, keys });
  const user = (email: string) => stack.sim.state().users.find((u) => u.email === email);
  const deliver = async (id: string, data: unknown, type?: string): Promise<number> => {
    let refused = 0;
    const answer = await deliverUntilStored(
      apiUrl,
      stack.secret,
      id,
      hiresBody(data, type),
      (a) => {
        if (a.status === 503) refused += 1;
        else assert.equal(a.status, 200, JSON.stringify(a.body));
      },
    );
    assert.ok(['accepted', 'duplicate'].includes(answerStatus(answer) ?? ''), id);
    return refused;
  };
  return {
    stack,
    redis,
    apiUrl,
    zone,
    keys,
    offboarding,
    deliver,
    terminate: (id, who, day) =>
      deliver(
        id,
        who.map((p) => ({ employeeId: p.employeeId, email: p.email, terminationDate: day })),
        'employee.terminated',
      ),
    user,
    disables(email) {
      const id = user(email)?.id;
      return stack.sim
        .state()
        .calls.filter(
          (c) =>
            c.method === 'PUT' &&
            c.path === TERMINATED &&
            c.committed === true &&
            id !== undefined &&
            (c.userIds ?? []).includes(id),
        ).length;
    },
  };
}

/** The offboard jobs pending for the people, by email: id and the time they are delayed to. */
async function offboardJobs(
  s: Setup,
  emails: readonly string[],
): Promise<Map<string, { id: string; state: string; at: number | undefined }>> {
  const jobs = await s.stack.hires.getJobs(['delayed', 'waiting', 'active', 'prioritized']);
  const found = new Map<string, { id: string; state: string; at: number | undefined }>();
  for (const job of jobs) {
    const email = (job.data as { leaver?: { email?: string } }).leaver?.email;
    if (job.name !== 'offboard' || job.id === undefined || !emails.includes(email ?? '')) continue;
    // BullMQ scores a delayed job by its due time × 4096 (+ a counter).
    const score = await s.stack.redis.zscore(`${s.stack.prefix}:hires:delayed`, job.id);
    found.set(email ?? '', {
      id: job.id,
      state: await job.getState(),
      at: score === null ? undefined : Math.floor(Number(score) / 4096),
    });
  }
  return found;
}

describe('leavers under faults (docs/design.md, rule 12)', () => {
  it('when the worker is SIGKILLed after DocSpace disabled the account and before the records say so, a restarted worker disables it harmlessly again, the records end done/offboarded, the hour counts the person once, and nobody else is disabled', async (t) => {
    const s = await setUp(t, 'leaver-kill', true);
    const kim = person('kill', 1);
    const bystander = person('kill', 2);
    let worker = await startWorkerProcess(s.stack.env(), 'worker');
    await s.deliver('msg_kill_hires', [kim, bystander]);
    await s.stack.settled([kim.email, bystander.email], () => 'invited', 30_000, 'both hired');

    // DocSpace answers every call 1.5 s late: time to pause Redis writes once the disable is on
    // its way, so the worker gets DocSpace's answer and then cannot record it.
    s.stack.sim.setFaults({ latencyMs: 1_500 });
    const yesterday = dayIn(s.zone, Date.now() - DAY);
    await s.terminate('msg_kill_leaves', [kim], yesterday);
    await waitFor(
      () =>
        s.stack.sim.state().calls.some((c) => c.method === 'PUT' && c.path === TERMINATED)
          ? true
          : undefined,
      30_000,
      'the disable call to reach DocSpace',
    );
    await call(s.redis.port, undefined, ['CLIENT', 'PAUSE', '30000', 'WRITE']);
    let paused = true;
    t.after(async () => {
      if (paused) await call(s.redis.port, undefined, ['CLIENT', 'UNPAUSE']).catch(() => 0);
    });
    await waitFor(
      () => (s.user(kim.email)?.status === 2 ? true : undefined),
      10_000,
      'DocSpace to disable the account',
    );
    const answered = await waitFor(
      () =>
        s.stack.sim
          .state()
          .calls.find((c) => c.method === 'PUT' && c.path === TERMINATED && c.status === 200),
      10_000,
      'DocSpace to answer the disable',
    );
    await sleep(300); // the answer reaches the worker, whose record write now waits on the pause
    const killedAt = Date.now();
    await worker.kill();
    const key = emailKey(kim.email);
    // Reads still work during a write pause: the instant is the one the scenario is about.
    assert.equal(
      (await s.stack.records([kim.email])).get(kim.email),
      'invited',
      'hire record not yet offboarded',
    );
    assert.equal((await s.offboarding.get(key))?.state, 'scheduled', 'offboarding not yet done');
    await sleep(200);
    await call(s.redis.port, undefined, ['CLIENT', 'UNPAUSE']);
    paused = false;
    await sleep(300);
    assert.equal(
      (await s.offboarding.get(key))?.state,
      'scheduled',
      "the dead worker's write was never applied",
    );

    s.stack.sim.resetFaults();
    worker = await startWorkerProcess(s.stack.env(), 'worker-2');
    await waitFor(
      async () => ((await s.offboarding.get(key))?.state === 'done' ? true : undefined),
      30_000,
      'the restarted worker to finish the disable',
    );
    const resumedMs = Date.now() - killedAt;
    assert.equal((await s.stack.records([kim.email])).get(kim.email), 'offboarded');
    assert.equal(s.user(kim.email)?.status, 2);
    const calls = s.disables(kim.email);
    assert.ok(calls === 1 || calls === 2, `disabled once or harmlessly again (${calls} calls)`);
    assert.equal(s.disables(bystander.email), 0, 'nobody else disabled');
    assert.equal(s.user(bystander.email)?.status, 1);
    assert.deepEqual(
      await s.stack.redis.zrange(s.keys.offboardingSent, 0, -1),
      [key],
      'the rolling hour holds one entry for the person',
    );
    assert.equal(await s.stack.hires.getFailedCount(), 0);
    t.diagnostic(
      `leaver kill: DocSpace answered the disable (call #${answered.seq}), worker SIGKILLed before recording; ` +
        `done ${resumedMs} ms after the kill; ${calls} disable calls for the person, 1 entry in the hour, 0 others disabled`,
    );
    await worker.stop();
  });

  it('when Redis (append-only file) crashes with disables scheduled for the end of today, none is disabled early, their jobs stay delayed to the same time and their records scheduled; terminations dated yesterday sent during and after the outage are disabled once', async (t) => {
    const s = await setUp(t, 'leaver-aof', true);
    const today = [person('aof-today', 1), person('aof-today', 2)];
    const during = person('aof-during', 1);
    const afterwards = person('aof-after', 1);
    const all = [...today, during, afterwards];
    const worker = await startWorkerProcess(s.stack.env(), 'worker');
    await s.deliver('msg_aof_hires', all);
    await s.stack.settled(
      all.map((p) => p.email),
      () => 'invited',
      30_000,
      'everyone hired',
    );

    const day = dayIn(s.zone, Date.now());
    const dueAt = endOfDay(day, s.zone);
    await s.terminate('msg_aof_today', today, day);
    const emails = today.map((p) => p.email);
    const before = await waitFor(
      async () => {
        const jobs = await offboardJobs(s, emails);
        return jobs.size === 2 && [...jobs.values()].every((j) => j.state === 'delayed')
          ? jobs
          : undefined;
      },
      20_000,
      "today's disables to be delayed",
    );
    for (const job of before.values()) assert.equal(job.at, dueAt, 'delayed to the end of today');
    await sleep(1_200); // past one `appendfsync everysec`

    await s.redis.stop('SIGKILL');
    const yesterday = dayIn(s.zone, Date.now() - DAY);
    const sent = s.terminate('msg_aof_during', [during], yesterday); // 503s until Redis is back
    await sleep(2_000);
    await s.redis.start();
    const upAt = Date.now();
    const refused = await sent;
    // Sent while Redis was away: answered 503 (sent again) or held until Redis was back, then 200.
    await s.terminate('msg_aof_after', [afterwards], yesterday);
    await waitFor(
      async () => {
        const states = await Promise.all(
          [during, afterwards].map(
            async (p) => (await s.offboarding.get(emailKey(p.email)))?.state,
          ),
        );
        return states.every((state) => state === 'done') ? true : undefined;
      },
      30_000,
      'the terminations dated yesterday to be done',
    );
    const doneMs = Date.now() - upAt;

    for (const p of [during, afterwards]) {
      assert.equal(s.disables(p.email), 1, `${p.email} disabled once`);
      assert.equal((await s.stack.records([p.email])).get(p.email), 'offboarded');
    }
    const afterRestart = await offboardJobs(s, emails);
    for (const p of today) {
      assert.equal(s.user(p.email)?.status, 1, `${p.email} not disabled early`);
      assert.equal(s.disables(p.email), 0);
      const record = await s.offboarding.get(emailKey(p.email));
      assert.equal(record?.state, 'scheduled');
      assert.equal(record.effectiveAt, dueAt);
      const job = afterRestart.get(p.email);
      assert.equal(job?.state, 'delayed', `${p.email}: its job is still delayed`);
      assert.equal(job.id, before.get(p.email)?.id);
      assert.equal(job.at, dueAt, `${p.email}: still due at the end of today`);
    }
    assert.equal(await s.stack.redis.zcard(s.keys.offboardingSent), 2);
    assert.equal(await s.stack.hires.getFailedCount(), 0);
    t.diagnostic(
      `leaver AOF restart: 2 disables delayed to ${new Date(dueAt).toISOString()} (${s.zone}) survived a Redis SIGKILL ` +
        `with their job ids and due time; the one sent during the outage got ${refused} × 503 first; the 2 dated yesterday were disabled once each, ${doneMs} ms after Redis was back`,
    );
    await worker.stop();
  });

  it('when Redis WITHOUT persistence restarts with disables scheduled for today, they are gone with its data: nothing is ever disabled for them, and with OFFBOARDING_SCOPE=created a termination sent again afterwards is skipped, since which accounts the service made was forgotten too', async (t) => {
    const s = await setUp(t, 'leaver-noaof', false);
    const today = person('noaof-today', 1);
    const worker = await startWorkerProcess(s.stack.env(), 'worker');
    await s.deliver('msg_noaof_hire', [today]);
    await s.stack.settled([today.email], () => 'invited', 30_000, 'hired');
    const day = dayIn(s.zone, Date.now());
    await s.terminate('msg_noaof_today', [today], day);
    const key = emailKey(today.email);
    await waitFor(
      async () =>
        (await offboardJobs(s, [today.email])).get(today.email)?.state === 'delayed'
          ? true
          : undefined,
      20_000,
      "today's disable to be delayed",
    );
    assert.equal(await s.stack.redis.hget(s.keys.ours, key), s.user(today.email)?.id);

    await s.redis.stop('SIGKILL');
    await s.redis.start();
    await sleep(1_000);
    assert.equal((await offboardJobs(s, [today.email])).size, 0, 'the delayed disable is gone');
    assert.equal(await s.offboarding.get(key), undefined, 'its record is gone');
    assert.deepEqual(await s.offboarding.list(), [], 'GET /admin/offboarding shows nothing');
    assert.equal(await s.stack.redis.hget(s.keys.ours, key), null, 'which account is ours: gone');

    // HR sends the termination again (dated yesterday now, as on the next day): it is recorded,
    // but with OFFBOARDING_SCOPE=created the service no longer knows it made the account.
    const yesterday = dayIn(s.zone, Date.now() - DAY);
    await s.terminate('msg_noaof_again', [today], yesterday);
    const record = await waitFor(
      async () => {
        const r = await s.offboarding.get(key);
        return r !== undefined && r.state !== 'scheduled' ? r : undefined;
      },
      20_000,
      'the repeated termination to be handled',
    );
    assert.equal(record.state, 'skipped');
    assert.match(record.reason ?? '', /not an account this service created/);
    assert.equal(s.user(today.email)?.status, 1, 'the leaver is still active in DocSpace');
    assert.equal(s.disables(today.email), 0);
    t.diagnostic(
      'leaver without persistence: the delayed disable, its record and the "ours" index were lost with Redis; ' +
        'the termination sent again was recorded `skipped` (OFFBOARDING_SCOPE=created) and the account stays active',
    );
    await worker.stop();
  });
});
