import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Job } from 'bullmq';
import type { DocspaceClient, DocspaceUser } from '../../src/docspace/client.js';
import { DocspaceError } from '../../src/errors.js';
import { createLogger } from '../../src/logger.js';
import {
  FLUSH_TICK_JOB,
  PROVISION_JOB,
  type InviteFlushJobData,
} from '../../src/queue/contract.js';
import { createHireStore } from '../../src/queue/hire-store.js';
import { createInviteBuffer } from '../../src/queue/invite-buffer.js';
import { createCircuitHold } from '../../workers/circuit-hold.js';
import { createInviteFlushProcessor } from '../../workers/invite-flush.js';
import { createJobWaits } from '../../workers/job-waits.js';
import { inviteQueue } from '../helpers/invite-queue.js';
import { inviteCounts, startStack } from '../helpers/stack.js';

const INVITE = 'POST /api/2.0/people/invite';

const account = (email: string, status: number): DocspaceUser => ({
  id: `id-${email}`,
  email,
  registrationDate: undefined,
  type: 'User',
  createdById: undefined,
  status,
});

describe('the invite flush when DocSpace refuses a batch for a disabled user (docs/design.md, rule 10)', () => {
  it('when the refusal text names nobody we know (another wording), the disabled person is found by looking each one up; they fail alone and the others are sent', async (t) => {
    const { redis, queue, keys } = inviteQueue(t, 'flush');
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
      buffer: createInviteBuffer({ redis, keys, batchSize: 50, flushes: queue, flushOptions: {} }),
      store,
      docspace,
      mode: 'invite',
      batchSize: 50,
      userType: 4,
      waits: createJobWaits({
        circuit: createCircuitHold(undefined, []),
        budget: { pause: () => Promise.resolve() },
        queue,
        logger: createLogger({ level: 'error', service: 'test', silent: true }),
      }),
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

describe('the invite flush when its attempts run out, and people whose record the intake had not written yet', () => {
  it('when a batch fails for a passing reason on its last attempt, its people are marked failed with the reason (a replay still invites them), not left created', async (t) => {
    const { redis, queue, keys } = inviteQueue(t, 'flush');
    const store = createHireStore({ redis, keys });
    const email = 'dan@example.com';
    await store.received(
      { source: 'hires', hireId: 'd', email, firstName: 'D', lastName: '' },
      'j',
    );
    await store.created(store.keyOf(email), 'id-dan', 'j', true);
    const down = new DocspaceError({
      kind: 'passing',
      endpoint: INVITE,
      status: 503,
      message: `${INVITE} answered 503`,
    });
    const flush = createInviteFlushProcessor({
      buffer: createInviteBuffer({ redis, keys, batchSize: 50, flushes: queue, flushOptions: {} }),
      store,
      docspace: {
        inviteByEmail: () => Promise.reject(down),
        resendInvites: () => Promise.resolve(),
        findUserByEmail: () => Promise.resolve(undefined),
      },
      mode: 'invite',
      batchSize: 50,
      userType: 4,
      waits: createJobWaits({
        circuit: createCircuitHold(undefined, []),
        budget: { pause: () => Promise.resolve() },
        queue,
        logger: createLogger({ level: 'error', service: 'test', silent: true }),
      }),
      logger: createLogger({ level: 'error', service: 'test', silent: true }),
    });
    const added = await queue.add(FLUSH_TICK_JOB, {}, { attempts: 1 });
    const job = await Job.fromId<InviteFlushJobData>(queue, added.id ?? '');
    assert.ok(job);
    await assert.rejects(flush(job), (err) => err === down);
    const record = await store.get(store.keyOf(email));
    assert.equal(record?.state, 'failed');
    assert.match(
      record.lastError ?? '',
      /^invitation failed after 1 attempts: .*answered 503; replay this job$/,
    );
    assert.deepEqual(
      await redis.zrange(keys.inviteOwed, 0, -1),
      [],
      'no longer owed: not re-queued',
    );
  });

  it("when a worker takes a job up before the intake has written the person's record (the jobs are stored first), the person is still recorded by email and invited", async (t) => {
    const stack = await startStack({ INVITE_BATCH_MAX_WAIT_MS: '400' });
    t.after(() => stack.close());
    const hire = {
      source: 'hires',
      hireId: 'E-race',
      email: 'rae.race@example.com',
      firstName: 'Rae',
      lastName: 'Race',
    };
    await stack.hires.add(PROVISION_JOB, { hire, deliveryId: 'msg_race', receivedAt: Date.now() });
    await stack.settled([hire.email], ['invited', 'failed']);
    const record = await stack.store.get(stack.store.keyOf(hire.email));
    assert.equal(record?.state, 'invited', JSON.stringify(record));
    assert.equal(record.email, hire.email);
    assert.equal(record.hireId, 'E-race');
    assert.equal(inviteCounts(stack.sim).get(hire.email), 1);
  });
});
