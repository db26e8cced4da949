import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { freePort } from '../../demo/redis-server.js';
import { waitFor } from '../helpers/redis.js';
import {
  answerStatus,
  hiresBody,
  deliverUntilStored,
  sleep,
  statusOf,
  type DeliveryAnswer,
  type HirePayload,
} from './helpers/deliveries.js';
import { startFaultStack } from './helpers/fault-stack.js';
import { removeWorkDir, startApiProcess, startWorkerProcess } from './helpers/processes.js';
import { startSentinelSet } from './helpers/redis-topology.js';
import { checkRules, type Interruption } from './helpers/rules.js';

const BATCH_SIZE = 5;
/** Deliveries of one hire each, one every 100 ms; the master is killed after KILL_AFTER of them. */
const DELIVERIES = 80;
const KILL_AFTER = 25;

after(removeWorkDir);

const hire = (n: number): HirePayload => ({
  employeeId: `F-${n}`,
  firstName: 'Fay',
  lastName: 'Failover',
  email: `fay.failover.${n}@example.com`,
});

interface Answer extends DeliveryAnswer {
  readonly at: number;
}

describe('Redis Sentinel: the master is killed while deliveries arrive (1 master, 1 replica, 3 sentinels)', () => {
  it('when the master dies (SIGKILL), then the API answers only 200 or 503 with Retry-After, the service follows the new master by itself, and every hire answered 200 is created once and invited once', async (t) => {
    const redis = await startSentinelSet();
    t.after(() => redis.destroy());
    const stack = await startFaultStack({
      label: 'sentinel',
      redis: redis.settings,
      settings: {
        ...redis.env,
        // Slower than the deliveries arrive, so jobs are waiting and running when the master dies.
        DOCSPACE_MAX_RPS: '8',
        INVITE_BATCH_SIZE: String(BATCH_SIZE),
        INVITE_BATCH_MAX_WAIT_MS: '1000',
      },
    });
    t.after(() => stack.close());
    stack.sim.setFaults({ latencyMs: 40 });

    const { proc: api, url: apiUrl } = await startApiProcess(stack.env(), 'api');
    const metricsPort = await freePort();
    const workers = await Promise.all([
      startWorkerProcess(stack.env({ WORKER_METRICS_PORT: String(metricsPort) }), 'worker-a'),
      startWorkerProcess(stack.env(), 'worker-b'),
    ]);
    const workerUrl = `http://127.0.0.1:${metricsPort}`;

    const answers: Answer[] = [];
    const accepted: string[] = [];
    const interruptions: Interruption[] = [];
    let killedAt = 0;
    let failoverAt = 0;

    // An HR sender: one delivery every 100 ms, each sent again 250 ms after anything but a 200.
    const sends: Promise<void>[] = [];
    const oldMaster = await redis.masterPort();
    for (let n = 0; n < DELIVERIES; n++) {
      const person = hire(n);
      sends.push(
        deliverUntilStored(apiUrl, stack.secret, `msg_failover_${n}`, hiresBody(person), (answer) =>
          answers.push({ ...answer, at: Date.now() }),
        ).then((answer) => {
          const outcome = answerStatus(answer);
          assert.ok(outcome === 'accepted' || outcome === 'duplicate', String(outcome));
          accepted.push(person.email);
        }),
      );
      if (n === KILL_AFTER) {
        const records = await stack.records(accepted);
        killedAt = Date.now();
        interruptions.push({
          at: killedAt,
          uninvited: new Set([...records].filter(([, s]) => s !== 'invited').map(([e]) => e)),
        });
        await redis.kill(oldMaster);
        void waitFor(
          async () => ((await redis.masterPort()) !== oldMaster ? Date.now() : undefined),
          60_000,
          'the sentinels to promote the replica',
        ).then((at) => (failoverAt = at));
      }
      await sleep(100);
    }
    await Promise.all(sends);
    await waitFor(() => (failoverAt > 0 ? true : undefined), 60_000, 'the failover');

    await stack.settled(
      accepted,
      () => 'invited',
      120_000,
      'every accepted hire to be invited after the failover',
    );
    for (const proc of [api, ...workers]) assert.ok(proc.alive(), `${proc.name} rode it out`);
    // Each process's readiness connection reconnects on its own schedule after the switch (one CI
    // run saw the worker's still 503 the moment the last hire was invited): ready by itself soon.
    for (const [url, who] of [
      [apiUrl, 'API'],
      [workerUrl, 'worker'],
    ] as const) {
      await waitFor(
        async () => ((await statusOf(`${url}/readyz`)) === 200 ? true : undefined),
        15_000,
        `${who} ready on the new master`,
      );
    }
    assert.equal(await stack.hires.getFailedCount(), 0);
    assert.equal(await stack.invites.getFailedCount(), 0);

    // The sender saw 200 or 503 only; every 503 the JSON error with Retry-After.
    const refused = answers.filter((a) => a.status !== 200);
    assert.deepEqual(
      [...new Set(refused.map((a) => a.status))],
      refused.length === 0 ? [] : [503],
      'only 503s besides 200',
    );
    for (const answer of refused) {
      assert.equal(answer.retryAfter, '5', 'a 503 carries Retry-After');
      assert.equal(
        (answer.body as { error?: { code?: string } }).error?.code,
        'ERR_QUEUE_UNAVAILABLE',
      );
    }
    assert.ok(
      answers.some((a) => a.status === 200 && a.at < killedAt) &&
        answers.some((a) => a.status === 200 && a.at > failoverAt),
      'deliveries were stored before the kill and after the failover',
    );

    const report = checkRules({
      sim: stack.sim.state(),
      accepted,
      existing: [],
      batchSize: BATCH_SIZE,
      records: await stack.records(accepted),
      interruptions,
    });
    assert.deepEqual(report.violations, [], 'every provisioning rule holds across the failover');
    assert.equal(report.newPeople, DELIVERIES, 'every delivery was answered 200 once stored');

    const completed = await stack.hires.getCompleted(0, -1);
    const ranTwice = completed.filter((job) => job.attemptsStarted > 1).length;
    const after = completed.filter((job) => (job.finishedOn ?? 0) > failoverAt).length;
    assert.ok(after > 0, 'workers went on after the failover');
    const first503 = Math.min(...refused.map((a) => a.at));
    const last503 = Math.max(...refused.map((a) => a.at));
    const firstStoredAfter = Math.min(
      ...answers.filter((a) => a.status === 200 && a.at > first503).map((a) => a.at),
    );
    const duplicates = answers.filter((a) => answerStatus(a) === 'duplicate').length;
    t.diagnostic(
      `sentinel failover: sentinels promoted the replica ${failoverAt - killedAt} ms after the master was killed; ` +
        `the sender got ${refused.length} × 503 over ${refused.length === 0 ? 0 : last503 - first503} ms ` +
        `(first 200 after them ${firstStoredAfter - killedAt} ms after the kill) and ${answers.length - refused.length} × 200 ` +
        `(${duplicates} of them "duplicate": an earlier refused attempt had stored the jobs); ` +
        `${report.newPeople} people created once each; provision jobs started more than once: ${ranTwice} of ${completed.length}; ` +
        `people in a second invite call: ${report.reinvitedAfterKill + report.reinvitedAfterLostAnswer}; ` +
        `e-mails per person at most 1 (${report.mailedTwice} got two); ${after} jobs finished after the failover`,
    );
    await Promise.all([...workers, api].map((proc) => proc.stop()));
  });
});
