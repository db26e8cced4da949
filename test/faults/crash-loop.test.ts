import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { seededRandom } from '../../bench/stats.js';
import { loadConfig } from '../../src/config.js';
import { waitFor } from '../helpers/redis.js';
import {
  answerStatus,
  hiresBody,
  postDelivery,
  runSeed,
  sleep,
  type HirePayload,
} from './helpers/deliveries.js';
import { startFaultStack } from './helpers/fault-stack.js';
import { createOrphanWatch } from './helpers/orphans.js';
import {
  removeWorkDir,
  startApiProcess,
  startWorkerProcess,
  type ServiceProcess,
} from './helpers/processes.js';
import { checkRules, emailOf, type Interruption } from './helpers/rules.js';

const ROUNDS = 24;
const BATCH_SIZE = 5;

after(removeWorkDir);

describe('crash loop: SIGKILL the worker at random instants (docs/design.md, rule 7)', () => {
  it(`when the worker process is killed and restarted ${ROUNDS} times under bursts of hires, every rule still holds on DocSpace's calls`, async (t) => {
    const seed = runSeed(0x5eed_0001);
    const random = seededRandom(seed);
    const stack = await startFaultStack({
      label: 'crash',
      random: seededRandom(seed + 1),
      settings: { INVITE_BATCH_SIZE: String(BATCH_SIZE), INVITE_BATCH_MAX_WAIT_MS: '400' },
    });
    t.after(() => stack.close());
    // The worker runs with the default lock and stall settings (the loop does not set them).
    const { lockDurationMs: lockMs, stalledIntervalMs: stalledMs } = loadConfig(
      stack.env(),
      'worker',
    ).jobs;
    // Slow enough that kills land inside DocSpace calls; a few passing failures on top.
    stack.sim.setFaults({ latencyMs: 40, latencyJitterMs: 80, rate5xx: 0.03, rateReset: 0.03 });

    const existing: string[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      for (const n of [0, 1]) {
        const email = `erin.r${round}.${n}@example.com`;
        stack.addExistingUser(email, 'Erin');
        existing.push(email);
      }
    }

    const { proc: api, url: apiUrl } = await startApiProcess(stack.env(), 'api');
    let worker: ServiceProcess = await startWorkerProcess(stack.env(), 'worker-0');
    const orphans = createOrphanWatch([stack.hires, stack.invites]);
    t.after(() => {
      orphans.stop();
    });

    const accepted: string[] = [];
    const interruptions: Interruption[] = [];
    const posted: string[] = [];
    let deliveries = 0;
    let duplicates = 0;
    let killsWhileBusy = 0;

    for (let round = 0; round < ROUNDS; round++) {
      const people = Array.from({ length: 6 }, (_, i) => person(round, i));
      const [p0, p1, p2, p3, p4, p5] = people as [
        HirePayload,
        HirePayload,
        HirePayload,
        HirePayload,
        HirePayload,
        HirePayload,
      ];
      const erin = (n: number): HirePayload => ({
        employeeId: `X-${round}-${n}`,
        firstName: 'Erin',
        lastName: 'Existing',
        // A different case than DocSpace holds: still the same account (rule 2, "any case").
        email: `Erin.R${round}.${n}@Example.com`,
      });
      const shouted = { ...p2, email: p2.email.toUpperCase() };
      // Deliveries: one sent twice at once, one sent again later, and two people named twice
      // (a second event for the same email, once in another case).
      const batch = [
        { id: `msg_c${round}_a`, data: [p0, p1, p2, erin(0)], copies: 2 },
        { id: `msg_c${round}_b`, data: [p3, p4], copies: 1 },
        { id: `msg_c${round}_c`, data: [p5, erin(1), shouted], copies: 1 },
        { id: `msg_c${round}_d`, data: p0, copies: 1 },
      ];
      // Every third round DocSpace acts on a POST but the answer is lost (reset after commit).
      if (round % 3 === 2) {
        stack.sim.setFaults({
          script: [
            { match: { method: 'POST', path: '/api/2.0/people' }, kind: 'reset-after-commit' },
          ],
        });
      }
      const sends = batch.flatMap((d) =>
        Array.from({ length: d.copies }, async () => {
          const answer = await postDelivery(apiUrl, stack.secret, d.id, hiresBody(d.data));
          return { delivery: d, answer };
        }),
      );
      for (const { delivery, answer } of await Promise.all(sends)) {
        deliveries += 1;
        const status = answerStatus(answer);
        assert.ok(
          status === 'accepted' || status === 'duplicate',
          `round ${round}: ${delivery.id} answered ${answer.status} ${JSON.stringify(answer.body)}`,
        );
        if (status === 'duplicate') duplicates += 1;
        const emails = (Array.isArray(delivery.data) ? delivery.data : [delivery.data]).map(
          (h) => h.email,
        );
        posted.push(...emails);
        if (status === 'accepted') accepted.push(...emails);
      }

      // SIGKILL at a random instant of the burst's processing, then restart at once.
      await sleep(Math.floor(random() * 1_000));
      const killedAt = Date.now();
      await worker.kill();
      const records = await stack.records(posted);
      interruptions.push({
        at: killedAt,
        uninvited: new Set([...records].filter(([, s]) => s !== 'invited').map(([e]) => e)),
      });
      if ((await orphans.afterKill(killedAt)) > 0) killsWhileBusy += 1;
      // The redelivery of an already accepted delivery, while no worker runs.
      const again = await postDelivery(
        apiUrl,
        stack.secret,
        `msg_c${round}_b`,
        hiresBody([p3, p4]),
      );
      assert.equal(answerStatus(again), 'duplicate', `round ${round}: redelivery`);
      deliveries += 1;
      duplicates += 1;
      worker = await startWorkerProcess(stack.env(), `worker-${round + 1}`);
    }

    // Everyone accepted ends invited or existed; every killed job was taken up again.
    const expected = (email: string) => (existing.includes(emailOf(email)) ? 'existed' : 'invited');
    await waitFor(
      async () => {
        const records = await stack.records(accepted);
        const done = [...records].every(([email, state]) => state === expected(email));
        return done && (await orphans.pending()) === 0 && (await stack.idle()) ? true : undefined;
      },
      120_000,
      'every accepted hire to settle after the last kill',
    );
    assert.ok(api.alive(), 'the API process stayed up');
    assert.deepEqual(
      {
        hires: await stack.hires.getFailedCount(),
        invites: await stack.invites.getFailedCount(),
      },
      { hires: 0, invites: 0 },
      `no job failed (${JSON.stringify(
        [...(await stack.hires.getFailed()), ...(await stack.invites.getFailed())].map((job) => ({
          id: job.id,
          reason: job.failedReason,
          attempts: job.attemptsMade,
        })),
      )})`,
    );

    const report = checkRules({
      sim: stack.sim.state(),
      accepted,
      existing,
      batchSize: BATCH_SIZE,
      records: await stack.records(accepted),
      interruptions,
    });
    assert.deepEqual(report.violations, [], 'every provisioning rule holds after the crash loop');
    assert.equal(report.newPeople, ROUNDS * 6);
    // What people receive: INVITE_MODE=invite sends nothing new for a user we just created, so even
    // a batch sent twice after a kill mails nobody twice.
    assert.equal(report.mailedTwice, 0, 'nobody got two e-mails');
    assert.equal(report.existingPeople, ROUNDS * 2);

    const resume = orphans.resumeTimes();
    const worst = resume.at(-1) ?? 0;
    assert.ok(
      worst <= lockMs + 2 * stalledMs + 4_000,
      `a killed job resumed after ${worst} ms (lock ${lockMs} + stall check ${stalledMs})`,
    );
    const faults = stack.sim.state().calls.filter((c) => c.outcome === 'fault').length;
    t.diagnostic(
      `crash loop (seed ${seed}): ${ROUNDS} rounds, ${ROUNDS} kills (${killsWhileBusy} with jobs in flight, ${orphans.count()} jobs orphaned), ` +
        `${deliveries} deliveries (${duplicates} duplicates), ${accepted.length} hires accepted = ` +
        `${report.newPeople} new + ${report.existingPeople} existing people`,
    );
    t.diagnostic(
      `crash loop: DocSpace saw ${report.creates} create calls, ${report.inviteCalls} invite calls (largest ${report.largestBatch}), ` +
        `${faults} injected faults; people named in a second invite call: ${report.reinvitedAfterKill} after a kill between DocSpace's answer and our record, ` +
        `${report.reinvitedAfterLostAnswer} after a lost answer; e-mails sent ${JSON.stringify(report.mails)}, nobody twice`,
    );
    t.diagnostic(
      `crash loop: time to resume after a kill (lock ${lockMs} ms, stall check ${stalledMs} ms): ` +
        `median ${percentile(resume, 0.5)} ms, p90 ${percentile(resume, 0.9)} ms, max ${worst} ms`,
    );
    await worker.stop();
    await api.stop();
  });
});

function person(round: number, i: number): HirePayload {
  const names = ['Ana', 'Bo', 'José María', "O'Neil", 'Zoë', 'Łukasz'];
  return {
    employeeId: `C-${round}-${i}`,
    firstName: names[i % names.length] ?? 'Kim',
    lastName: 'Crash',
    email: `crash.r${round}.p${i}@example.com`,
  };
}

function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] ?? 0;
}
