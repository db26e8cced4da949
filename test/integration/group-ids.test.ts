import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { DEMO_API_KEY } from '../../docspace-sim/constants.js';
import { createDocspaceSim, type DocspaceSim } from '../../docspace-sim/server.js';
import { createDocspaceClient } from '../../src/docspace/client.js';
import { createDocspaceHttp } from '../../src/docspace/http.js';
import { createRequestBudget } from '../../src/docspace/request-budget.js';
import { createGrantsStore } from '../../src/queue/grants-store.js';
import { createKeys } from '../../src/queue/keys.js';
import { createLocks } from '../../src/queue/locks.js';
import { createRedis, type RedisConnection } from '../../src/queue/redis.js';
import { createGroupIds } from '../../workers/group-ids.js';
import { deletePrefix, REDIS_URL, uniquePrefix } from '../helpers/redis.js';

describe('a rule group is created once (docs/design.md, rule 13; workers/group-ids.ts)', () => {
  let sim: DocspaceSim;
  let url: string;
  let prefix: string;
  let redis: RedisConnection;

  before(async () => {
    sim = createDocspaceSim({ apiKeys: [DEMO_API_KEY] });
    ({ url } = await sim.listen(0));
    prefix = uniquePrefix('groups');
    redis = createRedis(REDIS_URL, 'worker');
  });
  after(async () => {
    redis.disconnect();
    await deletePrefix(prefix);
    await sim.close();
  });

  /** One worker's view: its own client, budget and memory, the shared Redis. */
  const worker = (createGroup?: (name: string) => Promise<string>) => {
    const keys = createKeys(prefix);
    const docspace = createDocspaceClient({
      http: createDocspaceHttp({ baseURL: url, apiKey: DEMO_API_KEY, timeoutMs: 5_000 }),
      budget: createRequestBudget({
        redis,
        keys,
        maxRps: 1_000,
        concurrency: 10,
        inFlightMs: 6_000,
      }),
    });
    return {
      docspace,
      ids: createGroupIds({
        docspace: createGroup ? { ...docspace, createGroup } : docspace,
        store: createGrantsStore({ redis, keys }),
        locks: createLocks(redis),
        lockKey: keys.groupLock,
        lockTtlMs: 10_000,
      }),
    };
  };
  const named = (name: string) => sim.state().groups.filter((g) => g.name === name);

  it('when two workers need the same missing group at once, then DocSpace gets one group and both use it', async () => {
    const [a, b] = [worker(), worker()];
    const [idA, idB] = await Promise.all([a.ids.idOf('Design'), b.ids.idOf('Design')]);
    assert.equal(idA, idB);
    assert.equal(named('Design').length, 1);
  });

  it('when a group of that name exists (made by hand), then it is used, and a longer name that contains it is not', async () => {
    sim.addGroup('Marketing EMEA');
    const existing = sim.addGroup('Marketing');
    assert.equal(await worker().ids.idOf('Marketing'), existing.id);
    assert.equal(named('Marketing').length, 1);
  });

  it('when a worker dies between creating the group and remembering it, then the next run finds it by name and makes no second one', async () => {
    const dying = worker(async (name) => {
      await worker().docspace.createGroup(name); // DocSpace made it …
      throw new Error('killed'); // … and the worker died before remembering the id
    });
    await assert.rejects(dying.ids.idOf('Ops'), /killed/);
    assert.equal(named('Ops').length, 1);
    const id = await worker().ids.idOf('Ops');
    assert.equal(id, named('Ops')[0]?.id);
    assert.equal(named('Ops').length, 1);
  });

  it('when the remembered group was deleted in DocSpace, then forget() makes the next lookup find or create it again', async () => {
    const w = worker();
    const first = await w.ids.idOf('Temp');
    await w.ids.forget('Temp');
    assert.equal(await w.ids.idOf('Temp'), first, 'found again by name');
  });
});
