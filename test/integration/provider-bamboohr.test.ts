import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { bamboohr, bambooHrSignature } from '../../src/providers/bamboohr.js';
import { startHrApi, type HrAnswer, type HrApiCall } from '../helpers/hr-api.js';
import { waitFor } from '../helpers/redis.js';
import { inviteCounts, startStack, type Stack } from '../helpers/stack.js';

const SECRET = 'bamboo-private-key-7f3a9c';
const API_KEY = 'a1b2c3d4e5f60718293a4b5c6d7e8f9001122334';
const DOMAIN = 'acme';
const EXPECTED_AUTH = `Basic ${Buffer.from(`${API_KEY}:x`).toString('base64')}`;

/**
 * A fake of BambooHR's Get Employee (`GET /{companyDomain}/v1/employees/{id}?fields=…`): checks the
 * HTTP Basic credentials (401 otherwise, as BambooHR does), and answers only the requested fields.
 */
/** Employees (ids 9…) whose work email was filled in after they were created. */
const filledIn = new Set<string>();

function bambooApi(call: HrApiCall): HrAnswer {
  if (call.headers.authorization !== EXPECTED_AUTH) return { status: 401 };
  const url = new URL(call.path, 'http://x');
  const match = new RegExp(`^/${DOMAIN}/v1/employees/([^/]+)$`).exec(url.pathname);
  if (match === null || call.headers.accept !== 'application/json') return { status: 404 };
  const id = match[1] ?? '';
  if (id === '404') return { status: 404, body: { error: 'not found' } };
  const employee: Record<string, string | null> = {
    firstName: 'Bo',
    lastName: 'Bamboo',
    workEmail: id.startsWith('9') && !filledIn.has(id) ? null : `bo.${id}@example.com`,
    homeEmail: `home.${id}@example.org`,
    department: 'Engineering',
    jobTitle: 'Developer',
    hireDate: '2026-03-02',
  };
  const body: Record<string, string | null> = { id };
  for (const field of (url.searchParams.get('fields') ?? '').split(',')) {
    if (field in employee) body[field] = employee[field] ?? null;
  }
  return { status: 200, body };
}

const updated = (employeeId: string, changedFields: string[], at = new Date()) =>
  JSON.stringify({
    type: 'employee.updated',
    timestamp: at.toISOString(),
    data: { companyId: '12345', employeeId, changedFields },
  });

const created = (employeeId: string) =>
  JSON.stringify({
    type: 'employee.created',
    timestamp: new Date().toISOString(),
    data: { companyId: '12345', employeeId },
  });

async function post(
  stack: Stack,
  body: string,
  options: { contentType?: string; secret?: string; timestamp?: string } = {},
): Promise<Response> {
  const timestamp = options.timestamp ?? String(Math.floor(Date.now() / 1000));
  return await fetch(`${stack.apiUrl}/webhooks/bamboohr`, {
    method: 'POST',
    headers: {
      'content-type': options.contentType ?? 'application/json',
      'x-bamboohr-timestamp': timestamp,
      'x-bamboohr-signature': bambooHrSignature(
        options.secret ?? SECRET,
        Buffer.from(body),
        timestamp,
      ),
    },
    body,
  });
}

async function jobCount(stack: Stack): Promise<number> {
  const counts = await stack.hires.getJobCounts();
  return Object.values(counts).reduce((a, b) => a + b, 0);
}

async function failedReason(stack: Stack, hireId: string): Promise<string> {
  const job = await waitFor(
    async () =>
      (await stack.hires.getFailed()).find(
        (j) => (j.data as { ref?: { employeeId: string } }).ref?.employeeId === hireId,
      ),
    10_000,
    `the job of employee ${hireId} to fail`,
  );
  assert.equal(job.attemptsMade, 1);
  return job.failedReason;
}

describe('POST /webhooks/bamboohr', () => {
  let stack: Stack;
  let hr: Awaited<ReturnType<typeof startHrApi>>;
  const fetchesOf = (id: string) =>
    hr.calls.filter((c) => c.path.startsWith(`/${DOMAIN}/v1/employees/${id}?`));

  before(async () => {
    hr = await startHrApi(bambooApi);
    stack = await startStack(
      {
        BAMBOOHR_WEBHOOK_SECRET: SECRET,
        BAMBOOHR_COMPANY_DOMAIN: DOMAIN,
        BAMBOOHR_API_KEY: API_KEY,
        BAMBOOHR_API_URL: hr.url,
      },
      { providers: [bamboohr] },
    );
  });
  after(async () => {
    await stack.close();
    await hr.close();
  });

  it('answers 401 for a wrong key or a stale timestamp, 400/415 for bodies it cannot read, storing nothing', async () => {
    assert.equal((await post(stack, created('1'), { secret: 'wrong' })).status, 401);
    const old = String(Math.floor(Date.now() / 1000) - 4 * 3600);
    assert.equal((await post(stack, created('1'), { timestamp: old })).status, 401);
    assert.equal((await post(stack, '{"type":')).status, 400);
    assert.equal((await post(stack, created('1'), { contentType: 'text/plain' })).status, 415);
    assert.equal(await jobCount(stack), 0);
  });

  it("answers 401 to the review's replay: a form post signed 30 days ago, its last body byte moved into the timestamp (issue #10, item 4)", async () => {
    const signedAt = new Date(Date.now() - 30 * 24 * 3600_000).toISOString();
    const form = 'type=employee.created&data[companyId]=12345&data[employeeId]=3042';
    const signature = bambooHrSignature(SECRET, Buffer.from(form), signedAt);
    const response = await fetch(`${stack.apiUrl}/webhooks/bamboohr`, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        'x-bamboohr-timestamp': `${form.slice(-1)}${signedAt}`,
        'x-bamboohr-signature': signature,
      },
      body: form.slice(0, -1),
    });
    assert.equal(response.status, 401);
    assert.equal(await jobCount(stack), 0);
  });

  it("answers 413 to the review's form post of 40k `[]` parameters, at once, storing nothing (issue #10, item 7)", async () => {
    const body = 'data[changedFields][]=x&'.repeat(40_000);
    const response = await post(stack, body, {
      contentType: 'application/x-www-form-urlencoded',
    });
    assert.equal(response.status, 413);
    assert.equal(
      ((await response.json()) as { error: { code: string } }).error.code,
      'ERR_BODY_TOO_LARGE',
    );
    assert.equal(await jobCount(stack), 0);
  });

  it('provisions a new hire fetched from BambooHR; the update that follows and a redelivery add nothing', async () => {
    const first = await post(stack, created('101'));
    assert.equal(first.status, 200);
    assert.deepEqual(await first.json(), { status: 'accepted', hires: 1 });
    // BambooHR's create-then-initialize: employee.updated follows every employee.created. One
    // that names the work email is stored, and does nothing for a person not waiting for one.
    const update = updated('101', ['firstName', 'workEmail']);
    assert.deepEqual(await (await post(stack, update)).json(), { status: 'accepted', hires: 1 });
    // A title change is a mover (src/providers/mover-events.ts): stored, but without
    // PROVISIONING_RULES the worker fetches nothing for it (checked below: one fetch in all).
    const other = updated('101', ['jobTitle']);
    assert.deepEqual(await (await post(stack, other)).json(), { status: 'accepted', hires: 1 });
    const name = updated('101', ['firstName']);
    assert.deepEqual(await (await post(stack, name)).json(), {
      status: 'ignored',
      type: 'employee.updated',
    });
    // A retry is signed with a new timestamp; the delivery id does not depend on it.
    const again = await post(stack, created('101'));
    assert.deepEqual(await again.json(), { status: 'duplicate', hires: 1 });

    await stack.settled(['bo.101@example.com'], ['invited']);
    await waitFor(
      async () =>
        (await stack.hires.getCompleted()).some(
          (j) =>
            (j.data as { ref?: { mover?: boolean } }).ref?.mover === true &&
            (j.returnvalue as { outcome?: string } | null)?.outcome === 'not-needed',
        )
          ? true
          : undefined,
      10_000,
      'the title change to end with nothing to do (no rules)',
    );
    assert.equal(inviteCounts(stack.sim).get('bo.101@example.com'), 1);
    const user = stack.sim.state().users.find((u) => u.email === 'bo.101@example.com');
    assert.equal(user?.firstName, 'Bo');
    assert.equal(user.lastName, 'Bamboo');
    const record = await stack.store.get(stack.store.keyOf('bo.101@example.com'));
    assert.equal(record?.source, 'bamboohr');
    assert.equal(record.hireId, '101');
    const fetches = fetchesOf('101');
    assert.equal(fetches.length, 1);
    const url = new URL(fetches[0]?.path ?? '', 'http://x');
    assert.equal(
      url.searchParams.get('fields'),
      'firstName,lastName,workEmail,department,location,jobTitle,hireDate',
    );
    assert.equal(stack.sim.state().users.filter((u) => u.email.startsWith('home.')).length, 0);
  });

  it('retries a passing BambooHR failure (503, then a reset connection) until it recovers', async () => {
    hr.script.push({ status: 503, headers: { 'retry-after': '0' } }, { status: 'reset' });
    await post(stack, created('201'));
    await stack.settled(['bo.201@example.com'], ['invited']);
    assert.equal(fetchesOf('201').length, 3);
  });

  it('fails at once, with the reason, for an employee without a work email or unknown to BambooHR', async () => {
    await post(stack, created('901'));
    await post(stack, created('404'));
    assert.match(
      await failedReason(stack, '901'),
      /^BambooHR employee 901 has no work email .*add one in BambooHR, then replay the job$/,
    );
    assert.match(
      await failedReason(stack, '404'),
      /GET \/acme\/v1\/employees\/404 answered 404: the HR system does not know this employee/,
    );
    assert.equal(stack.sim.state().users.filter((u) => u.email.startsWith('home.')).length, 0);
  });

  it('provisions a person skipped for lacking a work email once an employee.updated adds it; a later email update makes no second account', async () => {
    await post(stack, created('951'));
    assert.match(await failedReason(stack, '951'), /^BambooHR employee 951 has no work email/);

    filledIn.add('951');
    const update = await post(stack, updated('951', ['workEmail']));
    assert.deepEqual(await update.json(), { status: 'accepted', hires: 1 });
    await stack.settled(['bo.951@example.com'], ['invited']);
    assert.equal(inviteCounts(stack.sim).get('bo.951@example.com'), 1);
    const record = await stack.store.get(stack.store.keyOf('bo.951@example.com'));
    assert.equal(record?.hireId, '951');

    const fetches = fetchesOf('951').length;
    const later = await post(stack, updated('951', ['workEmail'], new Date(Date.now() + 60_000)));
    assert.deepEqual(await later.json(), { status: 'accepted', hires: 1 });
    await waitFor(
      async () =>
        (await stack.hires.getCompleted()).some(
          (j) =>
            (j.data as { ref?: { employeeId: string } }).ref?.employeeId === '951' &&
            (j.returnvalue as { outcome?: string } | null)?.outcome === 'not-needed',
        )
          ? true
          : undefined,
      10_000,
      'the later update to end with nothing to do',
    );
    assert.equal(fetchesOf('951').length, fetches, 'not even fetched again');
    assert.equal(stack.sim.state().users.filter((u) => u.email === 'bo.951@example.com').length, 1);
  });

  it('provisions the Created entries of a legacy field-based delivery once, JSON or form post', async () => {
    const legacy = JSON.stringify({
      employees: [
        { action: 'Created', id: '301', changedFields: [], fields: {} },
        { action: 'Updated', id: '302', changedFields: ['First Name'], fields: {} },
        { action: 'Created', id: '303', changedFields: [], fields: {} },
        { action: 'Updated', id: '301', changedFields: ['Work Email'], fields: {} },
      ],
    });
    assert.deepEqual(await (await post(stack, legacy)).json(), { status: 'accepted', hires: 2 });
    assert.deepEqual(await (await post(stack, legacy)).json(), { status: 'duplicate', hires: 2 });
    const form = 'employees[0][action]=Created&employees[0][id]=304';
    const formType = 'application/x-www-form-urlencoded';
    assert.equal((await post(stack, form, { contentType: formType })).status, 200);
    const event = 'type=employee.created&data[companyId]=12345&data[employeeId]=305';
    assert.equal((await post(stack, event, { contentType: formType })).status, 200);
    const emails = ['301', '303', '304', '305'].map((id) => `bo.${id}@example.com`);
    await stack.settled(emails, ['invited']);
    assert.equal(fetchesOf('302').length, 0);
    for (const email of emails) assert.equal(inviteCounts(stack.sim).get(email), 1);
  });

  it('records a deletion with why, answers 200 ignored, stores and fetches nothing', async () => {
    // A status change is a possible leaver: test/integration/provider-leavers.test.ts.
    const counts = async () =>
      Object.values(await stack.hires.getJobCounts()).reduce((a, b) => a + b, 0);
    const start = await counts();
    const before = hr.calls.length;
    const deliveries: [string, string][] = [
      [
        JSON.stringify({
          type: 'employee.deleted',
          timestamp: '2026-01-31T18:42:00+0000',
          data: { companyId: '12345', employeeId: '779' },
        }),
        'employee.deleted',
      ],
    ];
    for (const [delivery, type] of deliveries) {
      const answer = await post(stack, delivery);
      assert.equal(answer.status, 200, type);
      assert.deepEqual(await answer.json(), { status: 'ignored', type });
      const line = stack.logLines.find(
        (l) =>
          l.includes('webhook ignored') && l.includes(`"type":"${type}"`) && l.includes('"note":'),
      );
      assert.ok(line !== undefined, `${type} is recorded with why`);
    }
    assert.equal(await counts(), start, 'no offboard (or any) job');
    assert.equal(hr.calls.length, before, 'BambooHR is not called');
  });

  it('logs neither the webhook key, the API key nor a signature', () => {
    const logs = stack.logLines.join('\n');
    assert.ok(!logs.includes(SECRET));
    assert.ok(!logs.includes(API_KEY));
    assert.ok(!logs.includes(EXPECTED_AUTH.slice(6)));
    assert.ok(!/[0-9a-f]{64}/.test(logs));
  });
});

describe('POST /webhooks/bamboohr with an API key BambooHR refuses', () => {
  let stack: Stack;
  let hr: Awaited<ReturnType<typeof startHrApi>>;

  before(async () => {
    hr = await startHrApi(bambooApi);
    stack = await startStack(
      {
        BAMBOOHR_WEBHOOK_SECRET: SECRET,
        BAMBOOHR_COMPANY_DOMAIN: DOMAIN,
        BAMBOOHR_API_KEY: 'revoked-key',
        BAMBOOHR_API_URL: hr.url,
      },
      { providers: [bamboohr] },
    );
  });
  after(async () => {
    await stack.close();
    await hr.close();
  });

  it('fails the job at once, naming the settings to check, without retrying', async () => {
    await post(stack, created('501'));
    assert.match(
      await failedReason(stack, '501'),
      /GET \/acme\/v1\/employees\/501 answered 401: check BAMBOOHR_API_KEY and BAMBOOHR_COMPANY_DOMAIN/,
    );
    assert.equal(hr.calls.length, 1);
    assert.ok(!stack.logLines.join('\n').includes('revoked-key'));
  });
});
