import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { hibob } from '../../src/providers/hibob.js';
import { startHrApi, type HrAnswer, type HrApiCall } from '../helpers/hr-api.js';
import { waitFor } from '../helpers/redis.js';
import { inviteCounts, startStack, type Stack } from '../helpers/stack.js';

const SECRET = 'bob-webhook-secret-for-tests';
const SERVICE_USER = { id: 'SERVICE-USER-7', token: 'Qe8q89RwbzeS7mToken' };
const BASIC = `Basic ${Buffer.from(`${SERVICE_USER.id}:${SERVICE_USER.token}`).toString('base64')}`;

/**
 * A fake of Bob's `POST /v1/people/{id}`: Basic auth with the service user (401 otherwise, as Bob
 * answers), the fields the adapter asks for, and an answer in Bob's double shape (slash keys and
 * nested objects, plus the humanReadable node that APPEND adds).
 */
const reads = new Map<string, number>();

function bobApi(call: HrApiCall): HrAnswer {
  const match = /^\/v1\/people\/([^/?]+)$/.exec(call.path);
  if (call.method !== 'POST' || match === null) return { status: 404, body: { error: 'no route' } };
  if (call.headers.authorization !== BASIC) return { status: 401, body: { error: 'Unauthorized' } };
  const request = JSON.parse(call.body) as { fields?: string[]; humanReadable?: string };
  if (!request.fields?.includes('root.email') || request.humanReadable !== 'APPEND') {
    return { status: 400, body: { error: 'unexpected request body' } };
  }
  const id = decodeURIComponent(match[1] ?? '');
  if (id === 'gone') return { status: 404, body: { error: 'Employee not found' } };
  // `late`: Bob's read-after-write lag, the email is null on the first two reads.
  const lagging = id === 'late' && (reads.set(id, (reads.get(id) ?? 0) + 1).get(id) ?? 0) <= 2;
  const email = id === 'noemail' || lagging ? null : `noa.${id}@example.com`;
  return {
    status: 200,
    body: {
      id,
      email,
      firstName: 'Noa',
      surname: 'Levi',
      work: { department: '209192163', title: '197033223', startDate: '2026-03-01' },
      '/root/id': { value: id },
      '/root/email': { value: email },
      '/root/firstName': { value: 'Noa' },
      '/root/surname': { value: 'Levi' },
      '/work/department': { value: '209192163' },
      '/work/startDate': { value: '2026-03-01' },
      humanReadable: { work: { department: 'Account Receivables', title: 'Accountant' } },
    },
  };
}

function eventBody(type: string, employeeId: string): string {
  return JSON.stringify({
    companyId: 636192,
    type,
    triggeredBy: 'system',
    triggeredAt: '2025-01-08T13:06:26.915906',
    version: 'v2',
    data: { employeeId },
  });
}

function sender(stack: () => Stack) {
  return (body: string, signature = createHmac('sha512', SECRET).update(body).digest('base64')) =>
    fetch(`${stack().apiUrl}/webhooks/hibob`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'bob-signature': signature },
      body,
    });
}

async function failedReasons(stack: Stack, count: number, attempts = 1): Promise<string[]> {
  const failed = await waitFor(
    async () => {
      const jobs = await stack.hires.getFailed();
      return jobs.length === count ? jobs : undefined;
    },
    10_000,
    `${count} failed job(s)`,
  );
  assert.ok(
    failed.every((job) => job.attemptsMade === attempts),
    attempts === 1 ? 'failed at once, not retried' : `failed after ${attempts} attempts`,
  );
  return failed.map((job) => job.failedReason).sort();
}

describe('POST /webhooks/hibob (provision on employee.created)', () => {
  let stack: Stack;
  let bob: Awaited<ReturnType<typeof startHrApi>>;
  const send = sender(() => stack);

  before(async () => {
    bob = await startHrApi(bobApi);
    stack = await startStack(
      {
        HIBOB_WEBHOOK_SECRET: SECRET,
        HIBOB_API_URL: bob.url,
        HIBOB_SERVICE_USER_ID: SERVICE_USER.id,
        HIBOB_SERVICE_USER_TOKEN: SERVICE_USER.token,
        HIBOB_FETCH_DELAY_MS: '800',
      },
      { providers: [hibob] },
    );
  });
  after(async () => {
    await stack.close();
    await bob.close();
  });

  it('answers the ping 200, signed or not (Bob does not say it signs it), refuses bad signatures and bodies, and stores nothing', async () => {
    for (const ping of ['Ping test', '{"text":"Ping test"}']) {
      const response = await send(ping);
      assert.equal(response.status, 200, ping);
      assert.deepEqual(await response.json(), { status: 'ok' });
      const unsigned = await fetch(`${stack.apiUrl}/webhooks/hibob`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: ping,
      });
      assert.equal(unsigned.status, 200, `unsigned ${ping}`);
      assert.deepEqual(await unsigned.json(), { status: 'ok' });
    }
    assert.equal((await send('Ping test', 'unsigned')).status, 401, 'a wrong signature');
    const body = eventBody('employee.created', 'X1');
    const otherSecret = createHmac('sha512', 'other').update(body).digest('base64');
    assert.equal((await send(body, otherSecret)).status, 401);
    assert.equal((await send('{"type":"employee.created","data":{}}')).status, 400);
    // An id that would make the fetch call another path of Bob's API (issue #10, item 6).
    for (const id of ['..', '../v1/company', '%2e%2e']) {
      assert.equal((await send(eventBody('employee.created', id))).status, 400, id);
    }
    const joined = await send(eventBody('employee.joined', 'X1'));
    assert.deepEqual(await joined.json(), { status: 'ignored', type: 'employee.joined' });
    const counts = await stack.hires.getJobCounts();
    assert.equal(
      Object.values(counts).reduce((a, b) => a + b, 0),
      0,
    );
    assert.equal(bob.calls.length, 0);
  });

  it('records employee.inactivated (and the other ambiguous leaver events) with why, answers 200 ignored, stores and fetches nothing', async () => {
    const counts = async () =>
      Object.values(await stack.hires.getJobCounts()).reduce((a, b) => a + b, 0);
    const start = await counts();
    const bobCalls = bob.calls.length;
    // employee.left is a leaver: test/integration/provider-leavers.test.ts.
    for (const type of [
      'employee.inactivated',
      'employee.access.revoked.immediately',
      'employee.deleted',
    ]) {
      const answer = await send(eventBody(type, 'L1'));
      assert.equal(answer.status, 200, type);
      assert.deepEqual(await answer.json(), { status: 'ignored', type });
      const line = stack.logLines.find(
        (l) => l.includes('webhook ignored') && l.includes(`"type":"${type}"`),
      );
      assert.ok(line?.includes('"note":'), `${type} is recorded with why`);
    }
    assert.equal(await counts(), start, 'no offboard (or any) job');
    assert.equal(bob.calls.length, bobCalls, 'Bob is not called');
  });

  it('waits out the lag, fetches the new hire, creates and invites them; a redelivery is a duplicate', async () => {
    const body = eventBody('employee.created', '1001');
    const first = await send(body);
    assert.equal(first.status, 200);
    assert.deepEqual(await first.json(), { status: 'accepted', hires: 1 });
    assert.equal((await stack.hires.getDelayed()).length, 1, 'held for HIBOB_FETCH_DELAY_MS');
    const again = await send(body, createHmac('sha512', SECRET).update(body).digest('hex'));
    assert.deepEqual(await again.json(), { status: 'duplicate', hires: 1 });

    await stack.settled(['noa.1001@example.com'], ['invited']);
    assert.equal(inviteCounts(stack.sim).get('noa.1001@example.com'), 1);
    const user = stack.sim.state().users.find((u) => u.email === 'noa.1001@example.com');
    assert.equal(user?.firstName, 'Noa');
    assert.equal(user.lastName, 'Levi');
    const [job] = await stack.hires.getCompleted();
    assert.deepEqual((job?.data as { hire?: object }).hire, {
      source: 'hibob',
      hireId: '1001',
      email: 'noa.1001@example.com',
      firstName: 'Noa',
      lastName: 'Levi',
      department: 'Account Receivables',
      title: 'Accountant',
      startDate: '2026-03-01',
    });
    const fetches = bob.calls.filter((c) => c.path === '/v1/people/1001');
    assert.equal(fetches.length, 1);
    assert.equal(fetches[0]?.method, 'POST');
    const logs = stack.logLines.join('\n');
    for (const secret of [SECRET, SERVICE_USER.token, BASIC.slice(6)]) {
      assert.ok(!logs.includes(secret), 'no secret in the logs');
    }
  });

  it('retries while the Bob API fails (503, then a reset connection) and recovers', async () => {
    bob.script.push({ status: 503, headers: { 'retry-after': '0' } }, { status: 'reset' });
    await send(eventBody('employee.created', '1002'));
    await stack.settled(['noa.1002@example.com'], ['invited']);
    assert.equal(bob.calls.filter((c) => c.path === '/v1/people/1002').length, 3);
  });

  it("when the email is still null right after the webhook (Bob's lag), retries and provisions the hire once it appears", async () => {
    await send(eventBody('employee.created', 'late'));
    await stack.settled(['noa.late@example.com'], ['invited']);
    assert.equal(bob.calls.filter((c) => c.path === '/v1/people/late').length, 3);
    assert.equal(inviteCounts(stack.sim).get('noa.late@example.com'), 1);
  });

  it('fails at once for an employee unknown to Bob, and after its attempts for one whose email never comes, with the reason', async () => {
    await stack.hires.clean(0, 1000, 'failed');
    await send(eventBody('employee.created', 'gone'));
    const [gone] = await failedReasons(stack, 1);
    assert.match(gone ?? '', /^POST \/v1\/people\/gone answered 404/);
    await stack.hires.clean(0, 1000, 'failed');
    await send(eventBody('employee.created', 'noemail'));
    const [noEmail] = await failedReasons(stack, 1, stack.config.jobs.attempts);
    assert.match(
      noEmail ?? '',
      /^Bob has no work email for employee noemail yet; retrying .* add one in Bob, then replay the job/,
    );
  });
});

describe('POST /webhooks/hibob (provision on employee.joined)', () => {
  let stack: Stack;
  let bob: Awaited<ReturnType<typeof startHrApi>>;
  const send = sender(() => stack);

  before(async () => {
    bob = await startHrApi(bobApi);
    stack = await startStack(
      {
        HIBOB_WEBHOOK_SECRET: SECRET,
        HIBOB_PROVISION_ON: 'joined',
        HIBOB_API_URL: bob.url,
        HIBOB_SERVICE_USER_ID: SERVICE_USER.id,
        HIBOB_SERVICE_USER_TOKEN: SERVICE_USER.token,
        HIBOB_FETCH_DELAY_MS: '0',
      },
      { providers: [hibob] },
    );
  });
  after(async () => {
    await stack.close();
    await bob.close();
  });

  it('ignores employee.created and provisions on employee.joined, once', async () => {
    const created = await send(eventBody('employee.created', '2001'));
    assert.deepEqual(await created.json(), { status: 'ignored', type: 'employee.created' });
    const joined = await send(eventBody('employee.joined', '2001'));
    assert.deepEqual(await joined.json(), { status: 'accepted', hires: 1 });
    await stack.settled(['noa.2001@example.com'], ['invited']);
    assert.equal(bob.calls.length, 1);
    assert.equal(inviteCounts(stack.sim).get('noa.2001@example.com'), 1);
  });
});

describe('POST /webhooks/hibob (a service user token Bob refuses)', () => {
  let stack: Stack;
  let bob: Awaited<ReturnType<typeof startHrApi>>;
  const send = sender(() => stack);

  before(async () => {
    bob = await startHrApi(bobApi);
    stack = await startStack(
      {
        HIBOB_WEBHOOK_SECRET: SECRET,
        HIBOB_API_URL: bob.url,
        HIBOB_SERVICE_USER_ID: SERVICE_USER.id,
        HIBOB_SERVICE_USER_TOKEN: 'revoked-token',
        HIBOB_FETCH_DELAY_MS: '0',
      },
      { providers: [hibob] },
    );
  });
  after(async () => {
    await stack.close();
    await bob.close();
  });

  it('fails the job at once, naming the settings to check, without logging the token', async () => {
    await send(eventBody('employee.created', '3001'));
    const [reason] = await failedReasons(stack, 1);
    assert.match(
      reason ?? '',
      /^POST \/v1\/people\/3001 answered 401: check HIBOB_SERVICE_USER_ID and HIBOB_SERVICE_USER_TOKEN/,
    );
    assert.equal(bob.calls.length, 1);
    assert.ok(!stack.logLines.join('\n').includes('revoked-token'));
  });
});
