import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import {
  answerStatus,
  hiresBody,
  postDelivery,
  type DeliveryAnswer,
  type HirePayload,
} from './helpers/deliveries.js';
import { startFaultStack } from './helpers/fault-stack.js';
import { removeWorkDir, startApiProcess, startWorkerProcess } from './helpers/processes.js';
import { busiestSecond, checkRules, emailOf } from './helpers/rules.js';

const MAX_RPS = 10;
const BATCH_SIZE = 8;

after(removeWorkDir);

describe('two API processes and two worker processes on one Redis (docs/operations.md#scaling-out)', () => {
  it(`when deliveries arrive at both APIs, duplicates across them included, every rule holds and DocSpace never sees more than DOCSPACE_MAX_RPS=${MAX_RPS} requests in any second`, async (t) => {
    const stack = await startFaultStack({
      label: 'scale',
      settings: {
        DOCSPACE_MAX_RPS: String(MAX_RPS),
        DOCSPACE_CONCURRENCY: '10',
        INVITE_BATCH_SIZE: String(BATCH_SIZE),
        INVITE_BATCH_MAX_WAIT_MS: '1000',
      },
    });
    t.after(() => stack.close());
    // Latency keeps both workers' requests in flight together, so they compete for the budget.
    stack.sim.setFaults({ latencyMs: 60, latencyJitterMs: 120 });
    const existing = Array.from({ length: 10 }, (_, i) => `ezra.${i}@example.com`);
    for (const email of existing) stack.addExistingUser(email, 'Ezra');

    const [a, b] = await Promise.all([
      startApiProcess(stack.env(), 'api-a'),
      startApiProcess(stack.env(), 'api-b'),
    ]);
    const apis = [a.url, b.url];
    const workers = await Promise.all([
      startWorkerProcess(stack.env(), 'worker-a'),
      startWorkerProcess(stack.env(), 'worker-b'),
    ]);

    const people: HirePayload[] = Array.from({ length: 60 }, (_, i) => ({
      employeeId: `S-${i}`,
      firstName: 'Sam',
      lastName: `Scale`,
      email: `sam.${i}@example.com`,
    }));
    const ezras: HirePayload[] = existing.map((email, i) => ({
      employeeId: `SE-${i}`,
      firstName: 'Ezra',
      lastName: 'Existing',
      email: email.toUpperCase(),
    }));
    // 14 deliveries of 5; each also sent to the other API at the same moment; and people 0-9
    // named again in deliveries of their own, to the other API, in another case.
    const everyone = [...people, ...ezras];
    const deliveries = Array.from({ length: 14 }, (_, i) => ({
      id: `msg_scale_${i}`,
      data: everyone.slice(i * 5, i * 5 + 5),
    }));
    const seconds = people.slice(0, 10).map((p, i) => ({
      id: `msg_scale_again_${i}`,
      data: { ...p, email: `Sam.${i}@Example.COM` },
    }));
    const sends: Promise<{ id: string; data: unknown; answer: DeliveryAnswer }>[] = [];
    deliveries.forEach((d, i) => {
      for (const url of [apis[i % 2], apis[(i + 1) % 2]]) {
        sends.push(
          postDelivery(url ?? '', stack.secret, d.id, hiresBody(d.data)).then((answer) => ({
            ...d,
            answer,
          })),
        );
      }
    });
    seconds.forEach((d, i) => {
      sends.push(
        postDelivery(apis[(i + 1) % 2] ?? '', stack.secret, d.id, hiresBody(d.data)).then(
          (answer) => ({ ...d, answer }),
        ),
      );
    });
    const answers = await Promise.all(sends);

    const accepted: string[] = [];
    const byId = new Map<string, string[]>();
    for (const { id, data, answer } of answers) {
      const status = answerStatus(answer);
      assert.ok(status === 'accepted' || status === 'duplicate', `${id}: ${answer.status}`);
      byId.set(id, [...(byId.get(id) ?? []), status]);
      if (status === 'accepted')
        accepted.push(...(Array.isArray(data) ? data : [data]).map((h: HirePayload) => h.email));
    }
    for (const [id, statuses] of byId) {
      assert.equal(
        statuses.filter((s) => s === 'accepted').length,
        1,
        `${id} is accepted by exactly one API (${statuses.join(', ')})`,
      );
    }

    const expected = (email: string) => (existing.includes(emailOf(email)) ? 'existed' : 'invited');
    const started = Date.now();
    await stack.settled(accepted, expected, 90_000, 'every hire to settle');
    const elapsed = Date.now() - started;
    for (const proc of [a.proc, b.proc, ...workers]) assert.ok(proc.alive(), `${proc.name} is up`);

    const state = stack.sim.state();
    const report = checkRules({
      sim: state,
      accepted,
      existing,
      batchSize: BATCH_SIZE,
      records: await stack.records(accepted),
    });
    assert.deepEqual(
      report.violations,
      [],
      'every provisioning rule holds with 2 APIs and 2 workers',
    );
    assert.equal(report.newPeople, 60);
    assert.equal(report.existingPeople, 10);
    assert.equal(report.reinvitedAfterKill + report.reinvitedAfterLostAnswer, 0);

    const most = busiestSecond(state.calls);
    assert.ok(
      most <= MAX_RPS,
      `DocSpace saw ${most} requests within one second; DOCSPACE_MAX_RPS is ${MAX_RPS}`,
    );
    assert.ok(most >= MAX_RPS - 2, `the shared budget is used (${most} in the busiest second)`);
    // Both workers took part.
    const served = workers.map(
      (w) => w.lines.filter((l) => l.includes('"outcome":"created"')).length,
    );
    assert.ok(
      served.every((n) => n > 0),
      `both workers created users (${served.join(' and ')})`,
    );
    t.diagnostic(
      `scale-out: 2 APIs, 2 workers, ${answers.length} deliveries (${answers.length - byId.size} duplicates across APIs), ` +
        `${report.newPeople} new + ${report.existingPeople} existing people; ${state.calls.length} DocSpace calls in ${elapsed} ms; ` +
        `busiest second ${most} requests (DOCSPACE_MAX_RPS ${MAX_RPS}); users created per worker ${served.join('/')}`,
    );
    await Promise.all([...workers, a.proc, b.proc].map((p) => p.stop()));
  });
});
