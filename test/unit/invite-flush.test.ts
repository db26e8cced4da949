/**
 * The invite flush processor with stand-ins (test/helpers/processor-stubs.ts): how it cuts the
 * buffer into calls and what it does with each answer. Against Redis and the simulator:
 * test/integration/invite-flush.test.ts, batching.test.ts and crash.test.ts.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { RateLimitError, UnrecoverableError } from 'bullmq';
import type { DocspaceClient, DocspaceUser } from '../../src/docspace/client.js';
import { CircuitOpenError, DocspaceError } from '../../src/errors.js';
import {
  FLUSH_FULL_JOB,
  FLUSH_TICK_JOB,
  type InviteFlushJobData,
} from '../../src/queue/contract.js';
import { emailKey } from '../../src/queue/keys.js';
import { createInviteFlushProcessor, type FlushJob } from '../../workers/invite-flush.js';
import {
  memoryBuffer,
  memoryStore,
  recordingWaits,
  silentLogger,
} from '../helpers/processor-stubs.js';

const INVITE = 'POST /api/2.0/people/invite';

/** A flush job as BullMQ hands it over; `saved` is every state its data went through. */
function job(name: string, data: InviteFlushJobData = {}, over: Partial<FlushJob> = {}) {
  const saved: InviteFlushJobData[] = [];
  const stub: FlushJob = {
    id: 'flush-1',
    name,
    data,
    opts: { attempts: 5 },
    attemptsMade: 0,
    attemptsStarted: 1,
    updateData: (next) => {
      saved.push(next);
      stub.data = next;
      return Promise.resolve();
    },
    ...over,
  };
  return { job: stub, saved };
}

type Invites = Pick<DocspaceClient, 'inviteByEmail' | 'resendInvites' | 'findUserByEmail'>;

/** DocSpace's invite calls as told by `answer`; every call is recorded. */
function docspace(
  answer: (emails: readonly string[], type: number) => Promise<void> = () => Promise.resolve(),
  accounts: Readonly<Record<string, DocspaceUser>> = {},
) {
  const calls: { emails: readonly string[]; type: number }[] = [];
  const resent: (readonly string[])[] = [];
  const client: Invites = {
    inviteByEmail: (emails, type) => {
      calls.push({ emails: [...emails], type });
      return answer(emails, type);
    },
    resendInvites: (userIds) => {
      resent.push([...userIds]);
      return Promise.resolve();
    },
    findUserByEmail: (email) => Promise.resolve(accounts[email]),
  };
  return { client, calls, resent };
}

/** `count` people created by us and waiting in the buffer, oldest first. */
function setUp(
  count: number,
  client: Invites,
  options: { batchSize?: number; mode?: 'invite' | 'resend'; userType?: number } = {},
) {
  const buffer = memoryBuffer();
  const memory = memoryStore();
  const emails = Array.from({ length: count }, (_, i) => `p${i + 1}@example.com`);
  for (const email of emails) {
    memory.put(email, { state: 'created', userId: `id-${email}` });
    buffer.keys.push(emailKey(email));
  }
  const { waits, held } = recordingWaits();
  const batches: number[] = [];
  const flush = createInviteFlushProcessor({
    buffer,
    store: memory.store,
    docspace: client,
    mode: options.mode ?? 'invite',
    batchSize: options.batchSize ?? 50,
    userType: options.userType ?? 4,
    waits,
    logger: silentLogger(),
    metrics: { inviteBatch: (size) => batches.push(size) },
  });
  return { flush, buffer, memory, emails, held, batches };
}

describe('invite flush: batches (rule 3)', () => {
  it('when the tick finds people waiting, they go in calls of at most the batch size, and each is recorded invited', async () => {
    const { client, calls } = docspace();
    const { flush, buffer, memory, emails, batches } = setUp(5, client, { batchSize: 2 });

    const result = await flush(job(FLUSH_TICK_JOB).job);

    assert.deepEqual(result, { calls: 3, invited: 5 });
    assert.deepEqual(
      calls.map((c) => c.emails),
      [emails.slice(0, 2), emails.slice(2, 4), emails.slice(4)],
    );
    assert.deepEqual(buffer.keys, []);
    assert.deepEqual(batches, [2, 2, 1]);
    for (const email of emails) assert.equal(memory.stateOf(email), 'invited', email);
  });

  it('when a flush-full job finds less than a whole batch, it sends nothing (the tick will)', async () => {
    const { client, calls } = docspace();
    const { flush, buffer } = setUp(3, client, { batchSize: 4 });

    assert.deepEqual(await flush(job(FLUSH_FULL_JOB).job), { calls: 0, invited: 0 });

    assert.equal(calls.length, 0);
    assert.equal(buffer.keys.length, 3);
  });

  it('when a batch is claimed, it is written to the job before it leaves the buffer (a killed worker resumes it, rule 7)', async () => {
    let seenInBuffer = -1;
    const { client } = docspace();
    const { flush, buffer, emails } = setUp(2, client);
    const { job: stub, saved } = job(FLUSH_TICK_JOB);
    const updateData = stub.updateData.bind(stub);
    stub.updateData = (next) => {
      if (next.batch !== undefined) seenInBuffer = buffer.keys.length;
      return updateData(next);
    };

    await flush(stub);

    assert.equal(seenInBuffer, 2, 'still in the buffer when the job took the batch');
    assert.deepEqual(saved[0], { batch: emails.map((e) => emailKey(e)) });
    assert.deepEqual(saved.at(-1), {}, 'the job forgets the batch once invited');
  });

  it('when a stalled flush resumes its batch, people already invited are left out', async () => {
    const { client, calls } = docspace();
    const { flush, memory } = setUp(0, client);
    memory.put('a@example.com', { state: 'invited', userId: 'id-a' });
    memory.put('b@example.com', { state: 'created', userId: 'id-b' });
    const batch = ['a@example.com', 'b@example.com'].map((e) => emailKey(e));

    assert.deepEqual(await flush(job(FLUSH_TICK_JOB, { batch }).job), { calls: 1, invited: 1 });

    assert.deepEqual(calls[0]?.emails, ['b@example.com']);
  });

  it('when INVITE_MODE is resend, the join link is sent again by user id', async () => {
    const { client, calls, resent } = docspace();
    const { flush, emails } = setUp(2, client, { mode: 'resend' });

    await flush(job(FLUSH_TICK_JOB).job);

    assert.equal(calls.length, 0);
    assert.deepEqual(resent, [emails.map((e) => `id-${e}`)]);
  });
});

describe('invite flush: what DocSpace answers', () => {
  it('when DocSpace answers 402 to invitations of a paid type, the batch is sent again as User and each timeline says why', async () => {
    const seats = new DocspaceError({
      kind: 'lasting',
      endpoint: INVITE,
      status: 402,
      message: `${INVITE} answered 402`,
      upstreamMessage: 'The paid seats are used up',
    });
    const { client, calls } = docspace((_emails, type) =>
      type === 1 ? Promise.reject(seats) : Promise.resolve(),
    );
    const { flush, memory, emails } = setUp(2, client, { userType: 1 });

    assert.deepEqual(await flush(job(FLUSH_TICK_JOB).job), { calls: 1, invited: 2 });

    assert.deepEqual(
      calls.map((c) => c.type),
      [1, 4],
    );
    const notes = memory.timeline.filter((e) => e.event === 'invite-type');
    assert.equal(notes.length, 2);
    assert.match(notes[0]?.detail ?? '', /The paid seats are used up/);
    for (const email of emails) assert.equal(memory.stateOf(email), 'invited');
  });

  it('when DocSpace refuses the batch for a disabled account and names it (in any language), that person fails alone and the rest is retried', async () => {
    const disabled = new DocspaceError({
      kind: 'lasting',
      endpoint: INVITE,
      status: 400,
      message: `${INVITE} answered 400: Benutzer deaktiviert: p2@example.com`,
      upstreamMessage: 'Benutzer deaktiviert: p2@example.com',
    });
    const { client } = docspace(() => Promise.reject(disabled));
    const { flush, memory, emails } = setUp(3, client);
    const { job: stub } = job(FLUSH_TICK_JOB);

    await assert.rejects(
      flush(stub),
      (err) => err instanceof DocspaceError && err.kind === 'passing',
    );

    assert.equal(memory.stateOf('p2@example.com'), 'failed');
    assert.deepEqual(
      stub.data.batch,
      [emails[0], emails[2]].map((e) => emailKey(e ?? '')),
    );
    assert.equal(memory.stateOf('p1@example.com'), 'created');
  });

  it('when DocSpace answers 429, the budget and the queue hold for Retry-After and the batch waits in the job', async () => {
    const limited = new DocspaceError({
      kind: 'passing',
      endpoint: INVITE,
      status: 429,
      retryAfterMs: 3_000,
      message: `${INVITE} answered 429`,
    });
    const { client } = docspace(() => Promise.reject(limited));
    const { flush, held, memory, emails } = setUp(2, client);
    const { job: stub } = job(FLUSH_TICK_JOB);

    await assert.rejects(flush(stub), RateLimitError);

    assert.deepEqual(held, ['budget 3000', 'queue 3000']);
    assert.deepEqual(
      stub.data.batch,
      emails.map((e) => emailKey(e)),
    );
    for (const email of emails) assert.equal(memory.stateOf(email), 'created');
  });

  it('when the circuit refuses the call, every queue holds for its wait and the batch stays in the job', async () => {
    const { client } = docspace(() => Promise.reject(new CircuitOpenError('open', 1_500)));
    const { flush, held } = setUp(1, client);
    const { job: stub } = job(FLUSH_TICK_JOB);

    await assert.rejects(flush(stub), RateLimitError);

    assert.deepEqual(held, ['circuit 1500']);
    assert.equal(stub.data.batch?.length, 1);
  });

  it('when DocSpace refuses the batch for good (403), everyone in it fails with the reason and the job fails at once', async () => {
    const denied = new DocspaceError({
      kind: 'lasting',
      endpoint: INVITE,
      status: 403,
      message: `${INVITE} answered 403; inviting is switched off in the portal`,
    });
    const { client } = docspace(() => Promise.reject(denied));
    const { flush, memory, emails } = setUp(2, client);

    await assert.rejects(flush(job(FLUSH_TICK_JOB).job), UnrecoverableError);

    for (const email of emails) {
      assert.equal(memory.stateOf(email), 'failed');
      assert.match(
        memory.records.get(emailKey(email))?.lastError ?? '',
        /^invitation failed: .*403/,
      );
    }
  });
});
