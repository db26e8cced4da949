/**
 * The provision processor with stand-ins (test/helpers/processor-stubs.ts): what it decides for
 * each answer of DocSpace. The same processor against Redis and the simulator is covered by
 * test/integration/provisioning.test.ts, retries.test.ts, crash.test.ts and circuit.test.ts.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DelayedError, RateLimitError, UnrecoverableError } from 'bullmq';
import type { CreateUserResult, DocspaceClient, DocspaceUser } from '../../src/docspace/client.js';
import { CircuitOpenError, DocspaceError } from '../../src/errors.js';
import type { ProvisionJobData } from '../../src/queue/contract.js';
import { MAX_RATE_LIMITED_STARTS } from '../../workers/job-waits.js';
import { createProvisionProcessor, type ProvisionJob } from '../../workers/provision.js';
import {
  hire,
  memoryBuffer,
  memoryStore,
  recordingWaits,
  silentLogger,
} from '../helpers/processor-stubs.js';

const CREATE = 'POST /api/2.0/people';
const EMAIL = 'ann.lee@example.com';
const NOW = Date.parse('2026-11-26T10:00:00Z');
const now = () => NOW;

const user = (over: Partial<DocspaceUser> = {}): DocspaceUser => ({
  id: 'u-ann',
  email: EMAIL,
  registrationDate: '2020-01-01T00:00:00Z',
  type: 'User',
  createdById: undefined,
  status: 1,
  ...over,
});

const refusal = (status = 400) =>
  new DocspaceError({
    kind: 'lasting',
    endpoint: CREATE,
    status,
    message: `${CREATE} answered ${status}: already registered`,
    upstreamMessage: 'already registered',
  });

const passing = (status: number, retryAfterMs?: number) =>
  new DocspaceError({
    kind: 'passing',
    endpoint: CREATE,
    status,
    retryAfterMs,
    message: `${CREATE} answered ${status}`,
  });

/** A job as BullMQ hands it over, reduced to what the processor uses. */
function job(data: ProvisionJobData, over: Partial<ProvisionJob> = {}) {
  const delayedTo: number[] = [];
  const stub: ProvisionJob = {
    id: 'job-1',
    data,
    attemptsMade: 0,
    attemptsStarted: 1,
    moveToDelayed: (at) => {
      delayedTo.push(at);
      return Promise.resolve();
    },
    updateData: (next) => {
      stub.data = next;
      return Promise.resolve();
    },
    ...over,
  };
  return { job: stub, delayedTo };
}

const data = (email = EMAIL, firstName = 'Ann'): ProvisionJobData => ({
  hire: hire(email, firstName),
  deliveryId: 'msg_1',
  receivedAt: 0,
});

/** DocSpace as told: `create` answers the create call, `account` the lookup. */
function docspace(
  create: () => Promise<CreateUserResult>,
  account?: DocspaceUser,
): Pick<DocspaceClient, 'createUser' | 'findUserByEmail' | 'keyOwner'> & { creates: () => number } {
  let creates = 0;
  return {
    creates: () => creates,
    createUser: () => {
      creates += 1;
      return create();
    },
    findUserByEmail: () => Promise.resolve(account),
    keyOwner: () => Promise.resolve(user({ id: 'key-owner' })),
  };
}

function setUp(
  client: ReturnType<typeof docspace>,
  options: {
    inviteMode?: 'invite' | 'none';
    locked?: boolean;
    circuit?: { state: 'closed' | 'open' | 'half-open'; waitMs: number };
  } = {},
) {
  const buffer = memoryBuffer();
  const memory = memoryStore(buffer, now);
  const { waits, held } = recordingWaits(options.circuit);
  const processor = createProvisionProcessor({
    docspace: client,
    store: memory.store,
    locks: {
      acquire: () => Promise.resolve(options.locked !== true),
      release: () => Promise.resolve(),
    },
    lockKey: (key) => `lock:${key}`,
    refLockKey: (source, id) => `lock:${source}:${id}`,
    lockTtlMs: 60_000,
    userType: 4,
    inviteMode: options.inviteMode ?? 'invite',
    inviteBuffer: buffer,
    waits,
    logger: silentLogger(),
    now,
  });
  return { processor, memory, buffer, held };
}

describe('provision processor: a hire DocSpace does not know yet (rules 1 and 3)', () => {
  it('when DocSpace creates the user, the person is recorded created, put in the invite buffer, and the buffer is told once', async () => {
    const client = docspace(() => Promise.resolve({ kind: 'created', user: user() }));
    const { processor, memory, buffer } = setUp(client);

    const result = await processor(job(data()).job);

    assert.deepEqual(result, { outcome: 'created', userId: 'u-ann' });
    assert.equal(memory.stateOf(EMAIL), 'created');
    assert.deepEqual(buffer.keys, [memory.store.keyOf(EMAIL)]);
    assert.equal(buffer.told(), 1);
    assert.equal(client.creates(), 1);
  });

  it('when INVITE_MODE is none, the person is created and the invite buffer is not told', async () => {
    const client = docspace(() => Promise.resolve({ kind: 'created', user: user() }));
    const { processor, buffer } = setUp(client, { inviteMode: 'none' });

    await processor(job(data()).job);

    assert.deepEqual(buffer.keys, []);
    assert.equal(buffer.told(), 0);
  });
});

describe('provision processor: a hire who already has an account (rules 2 and 4)', () => {
  it('when DocSpace refuses the first create and the account was there before, the person is recorded existed and never buffered for an invitation', async () => {
    const client = docspace(
      () => Promise.resolve({ kind: 'refused', error: refusal() }),
      user({ id: 'u-old' }),
    );
    const { processor, memory, buffer } = setUp(client);

    const result = await processor(job(data()).job);

    assert.deepEqual(result, { outcome: 'existed', userId: 'u-old' });
    assert.equal(memory.stateOf(EMAIL), 'existed');
    assert.deepEqual(buffer.keys, []);
    assert.equal(buffer.told(), 0);
  });

  it('when an earlier attempt made the account and its answer was lost (rule 7), the refusal of the retry finds it ours: created and buffered', async () => {
    const mine = user({ id: 'u-mine', registrationDate: new Date(NOW - 30_000).toISOString() });
    const client = docspace(() => Promise.resolve({ kind: 'refused', error: refusal(500) }), mine);
    const { processor, memory, buffer } = setUp(client);
    memory.put(EMAIL, { state: 'received', firstAttemptAt: NOW - 60_000 });

    const result = await processor(job(data()).job);

    assert.deepEqual(result, { outcome: 'created', userId: 'u-mine' });
    assert.deepEqual(buffer.keys, [memory.store.keyOf(EMAIL)]);
    assert.equal(buffer.told(), 1);
  });

  it('when DocSpace refuses and no account has the email, the refusal fails the job with its reason', async () => {
    const client = docspace(() => Promise.resolve({ kind: 'refused', error: refusal() }));
    const { processor, memory } = setUp(client);

    await assert.rejects(processor(job(data()).job), UnrecoverableError);

    assert.equal(memory.stateOf(EMAIL), 'failed');
  });

  it('when the record says invited already (a duplicate delivery), DocSpace is not called', async () => {
    const client = docspace(() => Promise.resolve({ kind: 'created', user: user() }));
    const { processor, memory } = setUp(client);
    memory.put(EMAIL, { state: 'invited', userId: 'u-ann' });

    const result = await processor(job(data()).job);

    assert.deepEqual(result, { outcome: 'already-provisioned', userId: 'u-ann' });
    assert.equal(client.creates(), 0);
  });

  it('when another job holds the person, this one comes back later without using an attempt', async () => {
    const client = docspace(() => Promise.resolve({ kind: 'created', user: user() }));
    const { processor } = setUp(client, { locked: true });
    const { job: stub, delayedTo } = job(data());

    await assert.rejects(processor(stub), DelayedError);

    assert.equal(delayedTo.length, 1);
    assert.ok((delayedTo[0] ?? 0) >= NOW + 500, 'half a second or more from now');
    assert.equal(client.creates(), 0);
  });
});

describe('provision processor: names DocSpace cannot take', () => {
  it('when the first name has no letters left after cleaning, the job fails at once without a DocSpace call', async () => {
    const client = docspace(() => Promise.resolve({ kind: 'created', user: user() }));
    const { processor, memory } = setUp(client);

    await assert.rejects(processor(job(data(EMAIL, '1234')).job), UnrecoverableError);

    assert.equal(client.creates(), 0);
    assert.match(memory.records.get(memory.store.keyOf(EMAIL))?.lastError ?? '', /first name/);
  });
});

describe('provision processor: passing and lasting failures (rules 5 and 6)', () => {
  it('when DocSpace answers 429, every worker and the queue hold for Retry-After, and the job waits without using an attempt', async () => {
    const client = docspace(() => Promise.reject(passing(429, 7_000)));
    const { processor, held, memory } = setUp(client);

    await assert.rejects(processor(job(data()).job), RateLimitError);

    assert.deepEqual(held, ['budget 7000', 'queue 7000']);
    assert.ok(memory.timeline.some((entry) => entry.event === 'retrying'));
  });

  it(`when 429s went on for ${MAX_RATE_LIMITED_STARTS} starts, the next one uses an attempt (no endless loop)`, async () => {
    const err = passing(429, 7_000);
    const client = docspace(() => Promise.reject(err));
    const { processor, held } = setUp(client);

    await assert.rejects(
      processor(job(data(), { attemptsStarted: MAX_RATE_LIMITED_STARTS }).job),
      (thrown) => thrown === err,
    );

    assert.deepEqual(held, []);
  });

  it('when DocSpace answers 503 and the circuit stays closed, the error is rethrown for a retry with backoff', async () => {
    const err = passing(503);
    const client = docspace(() => Promise.reject(err));
    const { processor, held } = setUp(client);

    await assert.rejects(processor(job(data()).job), (thrown) => thrown === err);

    assert.deepEqual(held, []);
  });

  it('when DocSpace answers 503 and the circuit is open by then, every queue holds for its wait and the job waits without an attempt', async () => {
    const client = docspace(() => Promise.reject(passing(503)));
    const { processor, held } = setUp(client, { circuit: { state: 'open', waitMs: 4_000 } });

    await assert.rejects(processor(job(data()).job), RateLimitError);

    assert.deepEqual(held, ['circuit 4000']);
  });

  it('when the circuit refuses the request, every queue holds and the timeline gets nothing (nothing was sent)', async () => {
    const client = docspace(() => Promise.reject(new CircuitOpenError('open', 2_500)));
    const { processor, held, memory } = setUp(client);

    await assert.rejects(processor(job(data()).job), RateLimitError);

    assert.deepEqual(held, ['circuit 2500']);
    assert.equal(
      memory.timeline.filter((entry) => entry.event !== 'received').length,
      0,
      JSON.stringify(memory.timeline),
    );
  });

  it('when DocSpace refuses for good (403), the person fails with a reason a person can act on', async () => {
    const denied = new DocspaceError({
      kind: 'lasting',
      endpoint: CREATE,
      status: 403,
      message: `${CREATE} answered 403; the API key's owner may lack the right`,
    });
    const client = docspace(() => Promise.reject(denied));
    const { processor, memory } = setUp(client);

    await assert.rejects(
      processor(job(data()).job),
      (err) => err instanceof UnrecoverableError && err.message.includes('403'),
    );

    assert.equal(memory.stateOf(EMAIL), 'failed');
  });
});
