import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { Job } from 'bullmq';
import { freePort } from '../../demo/redis-server.js';
import { waitFor } from '../helpers/redis.js';
import {
  answerStatus,
  hiresBody,
  deliverUntilStored,
  postDelivery,
  sleep,
  statusOf,
  type DeliveryAnswer,
  type HirePayload,
} from './helpers/deliveries.js';
import { startFaultStack } from './helpers/fault-stack.js';
import { removeWorkDir, startApiProcess, startWorkerProcess } from './helpers/processes.js';
import { startPrivateRedis } from './helpers/redis-server.js';
import { checkRules, type Interruption } from './helpers/rules.js';

const BATCH_SIZE = 5;
/** How long Redis stays away each time (FAULT_REDIS_OUTAGE_MS to try longer outages). */
const OUTAGE_MS = Number(process.env['FAULT_REDIS_OUTAGE_MS'] ?? 3_000);
const SENT_DURING = 30;

after(removeWorkDir);

const hire = (tag: string, n: number): HirePayload => ({
  employeeId: `R-${tag}-${n}`,
  firstName: 'Rita',
  lastName: 'Restart',
  email: `rita.${tag}.${n}@example.com`,
});

describe('Redis goes away and comes back (append-only file, as in docker-compose.yml)', () => {
  it('when Redis is restarted, then crashed, under load: webhooks get 503 while it is down (never a 200 that is lost), API and worker reconnect by themselves, /readyz follows, and every job accepted before finishes after', async (t) => {
    const redis = await startPrivateRedis();
    t.after(() => redis.destroy());
    const stack = await startFaultStack({
      label: 'redis',
      redisUrl: redis.url,
      settings: {
        DOCSPACE_MAX_RPS: '5',
        INVITE_BATCH_SIZE: String(BATCH_SIZE),
        INVITE_BATCH_MAX_WAIT_MS: '1000',
      },
    });
    t.after(() => stack.close());
    stack.sim.setFaults({ latencyMs: 100 });

    const { proc: api, url: apiUrl } = await startApiProcess(stack.env(), 'api');
    const metricsPort = await freePort();
    const worker = await startWorkerProcess(
      stack.env({ WORKER_METRICS_PORT: String(metricsPort) }),
      'worker',
    );
    const workerUrl = `http://127.0.0.1:${metricsPort}`;
    assert.equal(await statusOf(`${workerUrl}/readyz`), 200);

    const accepted: string[] = [];
    const answers: DeliveryAnswer[] = [];
    const pendingHireJobs: string[] = [];
    const interruptions: Interruption[] = [];
    const figures: string[] = [];

    /** One outage: a backlog, a sender that keeps delivering, Redis stopped with `signal`, back. */
    const outage = async (tag: string, signal: 'SIGTERM' | 'SIGKILL') => {
      // A backlog: 20 hires at 5 DocSpace requests per second take several seconds.
      for (let d = 0; d < 4; d++) {
        const data = Array.from({ length: 5 }, (_, i) => hire(`${tag}-before`, d * 5 + i));
        const answer = await postDelivery(
          apiUrl,
          stack.secret,
          `msg_${tag}_before_${d}`,
          hiresBody(data),
        );
        assert.equal(answerStatus(answer), 'accepted', JSON.stringify(answer.body));
        accepted.push(...data.map((h) => h.email));
      }
      // An HR sender: one delivery every 100 ms, each sent again after a 503 until it is stored.
      const sender = (async () => {
        const sends: Promise<void>[] = [];
        for (let n = 0; n < SENT_DURING; n++) {
          const person = hire(`${tag}-during`, n);
          sends.push(
            deliverUntilStored(
              apiUrl,
              stack.secret,
              `msg_${tag}_during_${n}`,
              hiresBody(person),
              (answer) => answers.push(answer),
            ).then(() => {
              accepted.push(person.email);
            }),
          );
          await sleep(100);
        }
        await Promise.all(sends);
      })();

      await sleep(800);
      const pending = (
        await stack.hires.getJobs(['waiting', 'active', 'delayed', 'prioritized'])
      ).flatMap((job) => (job.id === undefined ? [] : [job.id]));
      assert.ok(pending.length >= 5, `jobs are still pending when Redis stops (${pending.length})`);
      pendingHireJobs.push(...pending);
      const records = await stack.records(accepted);
      const downAt = Date.now();
      interruptions.push({
        at: downAt,
        uninvited: new Set([...records].filter(([, s]) => s !== 'invited').map(([e]) => e)),
      });
      await redis.stop(signal);

      // While Redis is away: webhooks 503 with the JSON error, /readyz 503, /healthz 200.
      const probe = hire(`${tag}-probe`, 0);
      const refused = await postDelivery(
        apiUrl,
        stack.secret,
        `msg_${tag}_probe`,
        hiresBody(probe),
      );
      assert.equal(refused.status, 503, JSON.stringify(refused.body));
      assert.equal(
        (refused.body as { error: { code: string } }).error.code,
        'ERR_QUEUE_UNAVAILABLE',
      );
      assert.equal(await statusOf(`${apiUrl}/readyz`), 503, 'API /readyz while Redis is down');
      assert.equal(
        await statusOf(`${workerUrl}/readyz`),
        503,
        'worker /readyz while Redis is down',
      );
      assert.equal(await statusOf(`${apiUrl}/healthz`), 200);
      assert.equal(await statusOf(`${workerUrl}/healthz`), 200);
      await sleep(Math.max(0, downAt + OUTAGE_MS - Date.now()));

      await redis.start();
      const upAt = Date.now();
      const apiReady = await waitFor(
        async () => ((await statusOf(`${apiUrl}/readyz`)) === 200 ? Date.now() - upAt : undefined),
        30_000,
        'API /readyz after Redis is back',
      );
      const workerReady = await waitFor(
        async () =>
          (await statusOf(`${workerUrl}/readyz`)) === 200 ? Date.now() - upAt : undefined,
        30_000,
        'worker /readyz after Redis is back',
      );
      const again = await postDelivery(apiUrl, stack.secret, `msg_${tag}_probe`, hiresBody(probe));
      assert.equal(
        answerStatus(again),
        'accepted',
        'the refused delivery is stored when sent again',
      );
      accepted.push(probe.email);
      await sender;
      figures.push(
        `${signal === 'SIGTERM' ? 'restart' : 'crash'} (${signal}): down ${upAt - downAt} ms with ${pending.length} provision jobs pending; ` +
          `/readyz 200 again ${apiReady} ms (API) and ${workerReady} ms (worker) after Redis`,
      );
    };

    await outage('restart', 'SIGTERM');
    await outage('crash', 'SIGKILL');

    await waitFor(
      async () => {
        const records = await stack.records(accepted);
        return [...records].every(([, s]) => s === 'invited') && (await stack.idle())
          ? true
          : undefined;
      },
      90_000,
      'every accepted hire to be invited after the restarts',
    );
    assert.ok(api.alive() && worker.alive(), 'API and worker rode out both outages');
    for (const id of pendingHireJobs) {
      const job = await Job.fromId(stack.hires, id);
      assert.equal(
        await job?.getState(),
        'completed',
        `job ${id}, pending when Redis went away, finished after`,
      );
    }
    assert.equal(await stack.hires.getFailedCount(), 0);
    assert.equal(await stack.invites.getFailedCount(), 0);

    const codes = answers.map((a) => a.status);
    const refused = answers.filter((a) => a.status !== 200);
    assert.ok(
      codes.every((code) => code === 200 || code === 503),
      `the sender only ever saw 200 or 503 (${[...new Set(codes)].join(', ')})`,
    );
    for (const answer of refused) {
      assert.equal(
        (answer.body as { error?: { code?: string } }).error?.code,
        'ERR_QUEUE_UNAVAILABLE',
      );
    }
    const report = checkRules({
      sim: stack.sim.state(),
      accepted,
      existing: [],
      batchSize: BATCH_SIZE,
      records: await stack.records(accepted),
      interruptions,
    });
    assert.deepEqual(report.violations, [], 'every provisioning rule holds across both outages');
    assert.equal(report.newPeople, 2 * (20 + SENT_DURING + 1));
    for (const line of figures) t.diagnostic(`redis ${line}`);
    t.diagnostic(
      `redis: the sender got ${refused.length} × 503 and ${codes.length - refused.length} × 200 for ${2 * SENT_DURING} deliveries; ` +
        `all ${report.newPeople} people created once and invited (${report.reinvitedAfterKill} invitations sent twice)`,
    );
    await worker.stop();
    await api.stop();
  });
});
