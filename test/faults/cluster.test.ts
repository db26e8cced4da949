import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, describe, it } from 'node:test';
import { replay } from '../helpers/cli.js';
import { waitFor } from '../helpers/redis.js';
import {
  answerStatus,
  hiresBody,
  postDelivery,
  sleep,
  type HirePayload,
} from './helpers/deliveries.js';
import { startFaultStack } from './helpers/fault-stack.js';
import { removeWorkDir, startApiProcess, startWorkerProcess } from './helpers/processes.js';
import { call, startRedisCluster } from './helpers/redis-topology.js';
import { checkRules, emailOf } from './helpers/rules.js';

const BATCH_SIZE = 5;
const ADMIN_TOKEN = 'cluster-admin-token-0123';
const WRONG_KEY = `sk-${'f'.repeat(64)}`;

after(removeWorkDir);

const person = (n: number): HirePayload => ({
  employeeId: `K-${n}`,
  firstName: 'Kai',
  lastName: 'Cluster',
  email: `kai.cluster.${n}@example.com`,
});

describe('Redis Cluster (3 masters): the whole pipeline with two workers', () => {
  it('when the service runs on a Cluster with a braced prefix, then intake, provisioning, invite batches, replay, the admin API and the dashboard work, and every key sits in the prefix slot', async (t) => {
    const cluster = await startRedisCluster(3);
    t.after(() => cluster.destroy());
    const prefix = `{dso-cluster-${randomUUID().slice(0, 8)}}`;
    const stack = await startFaultStack({
      label: 'cluster',
      prefix,
      redis: cluster.settings,
      settings: {
        ...cluster.env,
        ADMIN_TOKEN,
        INVITE_BATCH_SIZE: String(BATCH_SIZE),
        INVITE_BATCH_MAX_WAIT_MS: '1000',
        DOCSPACE_MAX_RPS: '20',
      },
    });
    t.after(() => stack.close());
    stack.sim.setFaults({ latencyMs: 30 });
    const existing = ['ezra.cluster.0@example.com', 'ezra.cluster.1@example.com'];
    for (const email of existing) stack.addExistingUser(email, 'Ezra');

    const { proc: api, url: apiUrl } = await startApiProcess(stack.env(), 'api');
    const accepted: string[] = [];
    const deliver = async (id: string, data: HirePayload[]) => {
      const answer = await postDelivery(apiUrl, stack.secret, id, hiresBody(data));
      assert.equal(answer.status, 200, JSON.stringify(answer.body));
      if (answerStatus(answer) === 'accepted') accepted.push(...data.map((h) => h.email));
      return answerStatus(answer);
    };

    // 1. Workers with a key DocSpace refuses: 5 hires fail lastingly (401), to be replayed.
    const refused = await Promise.all([
      startWorkerProcess(stack.env({ DOCSPACE_API_KEY: WRONG_KEY }), 'worker-wrong-a'),
      startWorkerProcess(stack.env({ DOCSPACE_API_KEY: WRONG_KEY }), 'worker-wrong-b'),
    ]);
    const early = Array.from({ length: 5 }, (_, i) => person(i));
    assert.equal(await deliver('msg_cluster_early', early), 'accepted');
    await waitFor(
      async () => ((await stack.hires.getFailedCount()) === 5 ? true : undefined),
      30_000,
      'five failed jobs',
    );
    await Promise.all(refused.map((w) => w.stop()));

    // 2. The right key; deliveries with people who have an account (in another case) and a
    //    redelivery, to two workers.
    const workers = await Promise.all([
      startWorkerProcess(stack.env(), 'worker-a'),
      startWorkerProcess(stack.env(), 'worker-b'),
    ]);
    const later = Array.from({ length: 30 }, (_, i) => person(i + 5));
    const ezras = existing.map((email, i) => ({
      employeeId: `KE-${i}`,
      firstName: 'Ezra',
      lastName: 'Existing',
      email: email.toUpperCase(),
    }));
    const deliveries = [...later, ...ezras];
    for (let i = 0; i < deliveries.length; i += 4) {
      assert.equal(await deliver(`msg_cluster_${i}`, deliveries.slice(i, i + 4)), 'accepted');
      await sleep(50);
    }
    assert.equal(await deliver('msg_cluster_0', deliveries.slice(0, 4)), 'duplicate');

    // 3. The operator sees the failed jobs in the admin API and the dashboard, then replays them.
    const admin = { authorization: `Bearer ${ADMIN_TOKEN}` };
    const failedList = await fetch(`${apiUrl}/admin/jobs?state=failed`, { headers: admin });
    assert.equal(failedList.status, 200);
    const failedJobs = ((await failedList.json()) as { jobs: { failedReason: string }[] }).jobs;
    assert.equal(failedJobs.length, 5);
    assert.match(failedJobs[0]?.failedReason ?? '', /401/);
    const board = await fetch(`${apiUrl}/admin/queues/api/queues?activeQueue=hires&status=failed`, {
      headers: admin,
    });
    assert.equal(board.status, 200, 'the dashboard lists the queues on a Cluster');
    const boardQueues = ((await board.json()) as { queues: { name: string; jobs: unknown[] }[] })
      .queues;
    assert.deepEqual(boardQueues.map((q) => q.name).sort(), ['hires', 'invites']);
    assert.equal(boardQueues.find((q) => q.name === 'hires')?.jobs.length, 5);
    const run = await replay(['--failed'], stack.env({ LOG_LEVEL: 'info' }));
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, /5/);

    const expected = (email: string) => (existing.includes(emailOf(email)) ? 'existed' : 'invited');
    await stack.settled(accepted, expected, 90_000, 'every hire to settle on the Cluster');
    for (const proc of [api, ...workers]) assert.ok(proc.alive(), `${proc.name} is up`);
    assert.equal(await stack.hires.getFailedCount(), 0, 'the replayed jobs finished');

    const report = checkRules({
      sim: stack.sim.state(),
      accepted,
      existing,
      batchSize: BATCH_SIZE,
      records: await stack.records(accepted),
    });
    assert.deepEqual(report.violations, [], 'every provisioning rule holds on a Cluster');
    assert.equal(report.newPeople, 35);
    assert.equal(report.existingPeople, 2);
    assert.ok(report.inviteCalls >= 35 / BATCH_SIZE, `${report.inviteCalls} invite calls`);
    const served = workers.map(
      (w) => w.lines.filter((l) => l.includes('"outcome":"created"')).length,
    );
    assert.ok(
      served.every((n) => n > 0),
      `both workers created users (${served.join('/')})`,
    );
    const metrics = await (await fetch(`${apiUrl}/metrics`)).text();
    assert.match(metrics, /docspace_onboarding_queue_jobs\{queue="hires",state="completed"\} 37/);

    // Every key of the deployment on one node, in the prefix's slot (what the braces are for).
    const holders: number[] = [];
    let sample = '';
    for (const port of cluster.ports) {
      const reply = await call(port, undefined, [
        'SCAN',
        '0',
        'MATCH',
        `${prefix}*`,
        'COUNT',
        '100000',
      ]);
      const keys = Array.isArray(reply) && Array.isArray(reply[1]) ? reply[1].map(String) : [];
      if (keys.length > 0) {
        holders.push(port);
        sample = keys[0] ?? '';
      }
    }
    assert.equal(holders.length, 1, `the keys sit on one node (${holders.join(', ')})`);
    const [holder = 0] = holders;
    const slotOf = async (key: string) => call(holder, undefined, ['CLUSTER', 'KEYSLOT', key]);
    assert.equal(await slotOf(sample), await slotOf(prefix));

    t.diagnostic(
      `cluster: 3 masters, 2 workers; ${report.newPeople} new + ${report.existingPeople} existing people, ` +
        `5 failed with a wrong key and replayed through the CLI; ${report.inviteCalls} invite calls ` +
        `(largest ${report.largestBatch}); every key on node ${holder}, slot ${String(await slotOf(prefix))}`,
    );
    await Promise.all([...workers, api].map((proc) => proc.stop()));
  });
});
