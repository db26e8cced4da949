import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Job } from 'bullmq';
import { personio } from '../../src/providers/personio.js';
import type { ProvisionJobData, ProvisionResult } from '../../src/queue/contract.js';
import {
  CLIENT_ID,
  CLIENT_SECRET,
  startPersonioApi,
  WEBHOOK_TOKEN,
  type PersonioApi,
} from '../helpers/personio-api.js';
import { waitFor } from '../helpers/redis.js';
import { inviteCounts, startStack, type Stack } from '../helpers/stack.js';

const settingsFor = (api: PersonioApi) => ({
  PERSONIO_WEBHOOK_TOKEN: WEBHOOK_TOKEN,
  PERSONIO_API_URL: api.url,
  PERSONIO_CLIENT_ID: CLIENT_ID,
  PERSONIO_CLIENT_SECRET: CLIENT_SECRET,
});

function body(eventName: string, payload: object) {
  return {
    company_id: '4711',
    event_name: eventName,
    occurred_at: new Date().toISOString(),
    payload,
  };
}

function post(stack: Stack, data: object, token = WEBHOOK_TOKEN) {
  return fetch(`${stack.apiUrl}/webhooks/personio`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: token },
    body: JSON.stringify(data),
  });
}

/** The jobs of `personId` once `count` of them ended in `state`. */
async function ended(stack: Stack, personId: string, state: 'failed' | 'completed', count = 1) {
  return await waitFor(
    async () => {
      const jobs = (await (state === 'failed'
        ? stack.hires.getFailed()
        : stack.hires.getCompleted())) as Job<ProvisionJobData, ProvisionResult>[];
      const mine = jobs.filter((job) => job.data.ref?.employeeId === personId);
      return mine.length >= count ? mine : undefined;
    },
    10_000,
    `${count} ${state} job(s) of ${personId}`,
  );
}

describe('POST /webhooks/personio through the whole service', () => {
  let stack: Stack;
  let api: PersonioApi;
  before(async () => {
    api = await startPersonioApi();
    stack = await startStack(settingsFor(api), { providers: [personio] });
  });
  after(async () => {
    await stack.close();
    await api.close();
  });

  it('provisions three new hires with one token request, sending the credentials as documented', async () => {
    const answers = await Promise.all(
      ['P1', 'P2', 'P3'].map((id) => post(stack, body('person.created', { person: { id } }))),
    );
    for (const answer of answers)
      assert.deepEqual(await answer.json(), { status: 'accepted', hires: 1 });
    const emails = ['hire.P1@example.com', 'hire.P2@example.com', 'hire.P3@example.com'];
    await stack.settled(emails, ['invited']);
    assert.equal(api.tokenCalls(), 1);
    const [person] = api.callsTo('/v2/persons/P1');
    assert.ok(
      person?.headers.authorization !== undefined &&
        api.tokens.has(person.headers.authorization.slice(7)),
    );
    const user = stack.sim.state().users.find((u) => u.email === 'hire.P1@example.com');
    assert.equal(user?.firstName, 'Lena');
    assert.equal(user.lastName, 'Personio');
    const record = await stack.store.get(stack.store.keyOf('hire.P1@example.com'));
    assert.equal(record?.source, 'personio');
    assert.equal(record.hireId, 'P1');
  });

  it('answers a redelivery as a duplicate and invites once', async () => {
    const again = await post(stack, body('person.created', { person: { id: 'P1' } }));
    assert.deepEqual(await again.json(), { status: 'duplicate', hires: 1 });
    assert.equal(inviteCounts(stack.sim).get('hire.p1@example.com'), 1);
  });

  it('creates one user for the person.created and employment.created of one hire', async () => {
    await post(stack, body('person.created', { person: { id: 'P20' } }));
    const second = await post(
      stack,
      body('employment.created', { employment: { id: 'E20' }, person: { id: 'P20' } }),
    );
    assert.deepEqual(await second.json(), { status: 'accepted', hires: 1 });
    const jobs = await ended(stack, 'P20', 'completed', 2);
    const outcomes = jobs.map((job) => job.returnvalue.outcome).sort();
    assert.deepEqual(outcomes, ['already-provisioned', 'created']);
    assert.equal(api.callsTo('/v2/persons/P20').length, 2);
    await stack.settled(['hire.P20@example.com'], ['invited']);
    assert.equal(inviteCounts(stack.sim).get('hire.p20@example.com'), 1);
    assert.equal(
      stack.sim.state().users.filter((u) => u.email === 'hire.P20@example.com').length,
      1,
    );
  });

  it('retries the fetch while the Personio API fails (503, reset) and finishes when it recovers', async () => {
    api.script.push({ status: 503 }, { status: 'reset' });
    await post(stack, body('person.created', { person: { id: 'P30' } }));
    await stack.settled(['hire.P30@example.com'], ['invited']);
    assert.equal(api.callsTo('/v2/persons/P30').length, 3);
  });

  it('fails at once, with the reason, for a person without email or unknown to Personio', async () => {
    await post(stack, body('person.created', { person: { id: 'noemail' } }));
    await post(stack, body('person.created', { person: { id: 'gone' } }));
    const [noEmail] = await ended(stack, 'noemail', 'failed');
    const [gone] = await ended(stack, 'gone', 'failed');
    assert.match(
      noEmail?.failedReason ?? '',
      /Personio employee noemail has no work email; add one in Personio, then replay the job/,
    );
    assert.match(gone?.failedReason ?? '', /GET \/v2\/persons\/gone answered 404/);
    assert.equal(noEmail?.attemptsMade, 1);
    assert.equal(gone?.attemptsMade, 1);
  });

  it('when the credentials cannot read email or names (Personio leaves them out), the reason says so and names the fix', async () => {
    await post(stack, body('person.created', { person: { id: 'unreadable' } }));
    const [job] = await ended(stack, 'unreadable', 'failed');
    assert.equal(job?.attemptsMade, 1);
    const reason = job.failedReason;
    assert.match(
      reason,
      /^Personio does not show email, first_name, last_name of employee unreadable to these API credentials/,
    );
    assert.match(reason, /readable employee attributes, then replay the job$/);
    assert.doesNotMatch(reason, /add one in Personio/);
  });

  it('on a 401 for a kept token, gets a new token and finishes without using an attempt', async () => {
    const before = api.tokenCalls();
    api.tokens.clear();
    await post(stack, body('person.created', { person: { id: 'P40' } }));
    await stack.settled(['hire.P40@example.com'], ['invited']);
    assert.equal(api.tokenCalls(), before + 1);
    assert.equal(api.callsTo('/v2/persons/P40').length, 2);
    const [job] = await ended(stack, 'P40', 'completed');
    assert.equal(job?.attemptsMade, 1);
  });

  it('fails with a credentials hint when Personio refuses them, and logs no secret', async () => {
    api.tokens.clear();
    api.state.acceptCredentials = false;
    try {
      await post(stack, body('person.created', { person: { id: 'P50' } }));
      const [job] = await ended(stack, 'P50', 'failed');
      assert.match(
        job?.failedReason ?? '',
        /POST \/v2\/auth\/token answered 400: check PERSONIO_CLIENT_ID and PERSONIO_CLIENT_SECRET/,
      );
      assert.equal(job?.attemptsMade, 1);
    } finally {
      api.state.acceptCredentials = true;
    }
    const logs = stack.logLines.join('\n');
    for (const secret of [WEBHOOK_TOKEN, CLIENT_SECRET, 'papi-']) {
      assert.equal(logs.includes(secret), false, `a log line holds ${secret.slice(0, 5)}…`);
    }
  });

  it('answers 401 to a wrong token and 200 to other events, storing nothing', async () => {
    const counts = async () =>
      Object.values(await stack.hires.getJobCounts()).reduce((a, b) => a + b, 0);
    const start = await counts();
    const wrong = await post(stack, body('person.created', { person: { id: 'X1' } }), 'nope');
    assert.equal(wrong.status, 401);
    const other = await post(stack, body('person.updated', { person: { id: 'X1' } }));
    assert.deepEqual(await other.json(), { status: 'ignored', type: 'person.updated' });
    assert.equal(await counts(), start);
  });

  it('records the ambiguous leaver events (employment.deleted, person.deleted) with why, answers 200 ignored, stores and fetches nothing', async () => {
    const counts = async () =>
      Object.values(await stack.hires.getJobCounts()).reduce((a, b) => a + b, 0);
    const start = await counts();
    const apiCalls = api.calls.length;
    // employment.terminated is a leaver: test/integration/provider-leavers.test.ts; employment.updated
    // a mover and a possible leaver: test/integration/provider-personio-employment.test.ts.
    for (const name of ['employment.deleted', 'person.deleted']) {
      const answer = await post(
        stack,
        body(name, { employment: { id: 'e-9' }, person: { id: 'L9' } }),
      );
      assert.equal(answer.status, 200, name);
      assert.deepEqual(await answer.json(), { status: 'ignored', type: name });
      const line = stack.logLines.find(
        (l) => l.includes('webhook ignored') && l.includes(`"type":"${name}"`),
      );
      assert.ok(line?.includes('"note":'), `${name} is recorded with why`);
    }
    assert.equal(await counts(), start, 'no offboard (or any) job');
    assert.equal(api.calls.length, apiCalls, 'Personio is not called');
  });
});

describe('POST /webhooks/personio inside Personio 3 s', () => {
  it('stores and answers without calling the Personio API; the worker fetches later', async (t) => {
    const api = await startPersonioApi();
    const stack = await startStack(settingsFor(api), { providers: [personio], workers: false });
    t.after(async () => {
      await stack.close();
      await api.close();
    });
    // Within Personio's 3 s whatever Personio does: the answer does not wait for its API, shown by
    // the API being down and never called while the webhook is answered (no wall-clock bound,
    // which a loaded machine would break).
    api.state.down = true;
    const answer = await post(stack, body('person.created', { person: { id: 'Q1' } }));
    assert.equal(answer.status, 200);
    assert.deepEqual(
      api.calls.map((c) => `${c.method} ${c.path}`),
      [],
    );
    assert.equal((await stack.hires.getWaiting()).length, 1);
    api.state.down = false;
    await stack.startWorkers();
    await stack.settled(['hire.Q1@example.com'], ['invited']);
    assert.equal(api.tokenCalls(), 1);
  });
});
