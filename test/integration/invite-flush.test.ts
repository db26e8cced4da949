import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Job, Queue } from 'bullmq';
import type { DocspaceClient, DocspaceUser } from '../../src/docspace/client.js';
import { DocspaceError } from '../../src/docspace/errors.js';
import { createLogger } from '../../src/logger.js';
import { FLUSH_TICK_JOB, type InviteFlushJobData } from '../../src/queue/contract.js';
import { createHireStore } from '../../src/queue/hire-store.js';
import { createKeys, QUEUES } from '../../src/queue/keys.js';
import { createRedis } from '../../src/queue/redis.js';
import { createCircuitHold } from '../../workers/circuit-breaker.js';
import { createInviteFlushProcessor } from '../../workers/invite-flush.js';
import { deletePrefix, REDIS_URL, uniquePrefix } from '../helpers/redis.js';

const INVITE = 'POST /api/2.0/people/invite';

const account = (email: string, status: number): DocspaceUser => ({
  id: `id-${email}`,
  email,
  registrationDate: undefined,
  type: 'User',
  createdById: undefined,
  status,
});

describe('the invite flush when DocSpace refuses a batch for a disabled user (DESIGN rule 10)', () => {
  it('when the refusal text names nobody we know (another wording), the disabled person is found by looking each one up; they fail alone and the others are sent', async (t) => {
    const prefix = uniquePrefix('flush');
    const redis = createRedis(REDIS_URL, 'worker');
    const queue = new Queue<InviteFlushJobData>(QUEUES.invites, { connection: redis, prefix });
    t.after(async () => {
      await queue.close();
      await deletePrefix(prefix);
      redis.disconnect();
    });
    const keys = createKeys(prefix);
    const store = createHireStore({ redis, keys });
    const emails = ['ann@example.com', 'ben@example.com', 'cat@example.com'];
    for (const email of emails) {
      const key = store.keyOf(email);
      await store.received(
        { source: 'hires', hireId: email, email, firstName: 'X', lastName: '' },
        'j',
      );
      await store.created(key, `id-${email}`, 'j', true);
    }

    const sent: string[][] = [];
    const docspace: Pick<DocspaceClient, 'inviteByEmail' | 'resendInvites' | 'findUserByEmail'> = {
      inviteByEmail(batch) {
        sent.push([...batch]);
        if (batch.includes('ben@example.com')) {
          // A wording whose end is not an email: only a lookup can tell who is disabled.
          throw new DocspaceError({
            kind: 'lasting',
            endpoint: INVITE,
            status: 400,
            message: `${INVITE} answered 400: Benutzerkonto gesperrt`,
            upstreamMessage: 'Benutzerkonto gesperrt',
          });
        }
        return Promise.resolve();
      },
      resendInvites: () => Promise.resolve(),
      findUserByEmail: (email) =>
        Promise.resolve(account(email, email === 'ben@example.com' ? 2 : 1)),
    };
    const flush = createInviteFlushProcessor({
      redis,
      keys,
      store,
      docspace,
      mode: 'invite',
      batchSize: 50,
      userType: 4,
      rateLimited: () => Promise.resolve(),
      circuit: createCircuitHold(undefined, []),
      logger: createLogger({ level: 'error', service: 'test', silent: true }),
    });

    const added = await queue.add(FLUSH_TICK_JOB, {});
    const job = await Job.fromId<InviteFlushJobData>(queue, added.id ?? '');
    assert.ok(job);
    await assert.rejects(
      flush(job),
      (err) => err instanceof DocspaceError && err.kind === 'passing',
    );
    const ben = await store.get(store.keyOf('ben@example.com'));
    assert.equal(ben?.state, 'failed');
    assert.match(ben.lastError ?? '', /disabled \(terminated\) in DocSpace/);
    assert.match(ben.lastError ?? '', /Benutzerkonto gesperrt/, "DocSpace's own words are shown");

    // The retry sends the others.
    assert.deepEqual(await flush(job), { calls: 1, invited: 2 });
    assert.deepEqual(sent.at(-1), ['ann@example.com', 'cat@example.com']);
    for (const email of ['ann@example.com', 'cat@example.com']) {
      assert.equal((await store.get(store.keyOf(email)))?.state, 'invited', email);
    }
  });
});
