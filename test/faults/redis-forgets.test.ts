import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
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
import { startPrivateRedis } from './helpers/redis-server.js';
import { checkRules } from './helpers/rules.js';

const BATCH_SIZE = 5;

after(removeWorkDir);

const hire = (tag: string, n: number): HirePayload => ({
  employeeId: `FG-${tag}-${n}`,
  firstName: 'Fran',
  lastName: 'Forget',
  email: `fran.${tag}.${n}@example.com`,
});

async function readyz(url: string): Promise<number> {
  try {
    return (await fetch(`${url}/readyz`, { signal: AbortSignal.timeout(5_000) })).status;
  } catch {
    return 0;
  }
}

describe('Redis forgets everything while the service runs (docs/design.md, rule 9)', () => {
  it('when Redis without persistence is killed and comes back empty on the same port, hires accepted afterwards are provisioned under every rule, and no process is restarted', async (t) => {
    const redis = await startPrivateRedis({ persist: false });
    t.after(() => redis.destroy());
    const stack = await startFaultStack({
      label: 'forgets',
      redisUrl: redis.url,
      settings: {
        INVITE_BATCH_SIZE: String(BATCH_SIZE),
        INVITE_BATCH_MAX_WAIT_MS: '1000',
      },
    });
    t.after(() => stack.close());
    const { proc: api, url: apiUrl } = await startApiProcess(stack.env(), 'api');
    const worker = await startWorkerProcess(stack.env(), 'worker');

    /** Delivers until stored: a 503 (Redis away) is sent again, as every sender does. */
    const deliver = async (id: string, data: unknown): Promise<string | undefined> => {
      for (let tries = 0; tries < 200; tries++) {
        const answer = await postDelivery(apiUrl, stack.secret, id, hiresBody(data));
        if (answer.status === 200) return answerStatus(answer);
        assert.equal(answer.status, 503, JSON.stringify(answer.body));
        await sleep(250);
      }
      assert.fail(`delivery ${id} was never stored`);
    };

    // Before: a few people provisioned as usual.
    const before = Array.from({ length: 3 }, (_, n) => hire('before', n));
    assert.equal(await deliver('msg_fg_before', before), 'accepted');
    await waitFor(
      async () => {
        const records = await stack.records(before.map((h) => h.email));
        return [...records.values()].every((s) => s === 'invited') ? true : undefined;
      },
      30_000,
      'the first hires to be invited',
    );

    // Redis dies and comes back with nothing: no jobs, no records, no invite tick, no settings.
    await redis.stop('SIGKILL');
    await sleep(500);
    await redis.start();
    const forgotten = await stack.records(before.map((h) => h.email));
    assert.ok(
      [...forgotten.values()].every((s) => s === undefined),
      'Redis came back empty',
    );
    await waitFor(
      async () => ((await readyz(apiUrl)) === 200 ? true : undefined),
      30_000,
      'API /readyz after Redis is back',
    );

    // After: fewer new people than a batch (only the tick can send them), one who has an account,
    // one delivery sent twice, and one person named by two deliveries.
    const existing = 'fran.existing@example.com';
    stack.addExistingUser(existing, 'Fran');
    const fresh = Array.from({ length: 3 }, (_, n) => hire('after', n));
    const accepted: string[] = [];
    const take = (status: string | undefined, people: readonly HirePayload[]) => {
      if (status === 'accepted') accepted.push(...people.map((h) => h.email));
    };
    take(await deliver('msg_fg_after_0', fresh.slice(0, 2)), fresh.slice(0, 2));
    take(await deliver('msg_fg_after_0', fresh.slice(0, 2)), fresh.slice(0, 2));
    const third = fresh[2] ?? hire('after', 2);
    take(await deliver('msg_fg_after_1', third), [third]);
    take(await deliver('msg_fg_after_2', { ...third, employeeId: 'FG-other' }), [third]);
    const known = { ...hire('x', 0), email: existing.toUpperCase() };
    take(await deliver('msg_fg_after_3', known), [known]);

    await waitFor(
      async () => {
        const records = await stack.records(accepted);
        const done = [...records.values()].every((s) => s === 'invited' || s === 'existed');
        return done && (await stack.idle()) ? true : undefined;
      },
      60_000,
      'every hire accepted after the restart to be invited or existed',
    );

    const report = checkRules({
      sim: stack.sim.state(),
      accepted,
      existing: [existing],
      batchSize: BATCH_SIZE,
      records: await stack.records(accepted),
    });
    assert.deepEqual(report.violations, [], 'every provisioning rule holds after Redis forgot');
    assert.equal(report.newPeople, 3);
    assert.equal(report.existingPeople, 1);
    assert.ok(api.alive() && worker.alive(), 'API and worker were never restarted');
    assert.ok(
      worker.lines.some((line) => line.includes('Redis had forgotten what this worker set up')),
      'the worker put the invite tick back and said so',
    );
    t.diagnostic(
      `redis forgets: ${report.newPeople} new people created once and invited, ${report.existingPeople} existing never invited, without restarting a process`,
    );
    await worker.stop();
    await api.stop();
  });
});
