import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { describe, it } from 'node:test';
import { UnrecoverableError, type Job } from 'bullmq';
import { ConfigError, PayloadError, SignatureError } from '../../src/errors.js';
import { HireIncompleteError, HrApiError } from '../../src/errors.js';
import { toHire } from '../../src/providers/hibob-api.js';
import {
  createHibobWebhook,
  HIBOB_DEFAULT_FETCH_DELAY_MS,
  hibob,
} from '../../src/providers/hibob.js';
import type { ProviderEvent, WebhookRequest } from '../../src/providers/types.js';
import type { ProvisionJobData } from '../../src/queue/contract.js';
import { createLogger } from '../../src/logger.js';
import { resolveHire } from '../../workers/resolve-hire.js';

const SECRET = 'bob-webhook-secret';
const SETTINGS = {
  HIBOB_WEBHOOK_SECRET: SECRET,
  HIBOB_PROVISION_ON: 'created',
  HIBOB_FETCH_DELAY_MS: '20000',
};

/** A v2 event shaped like Bob's documented example (changelog: table.entry.created payload). */
function event(type: string, data: object = { employeeId: '3332883884017713238' }): string {
  return JSON.stringify({
    companyId: 636192,
    type,
    triggeredBy: '3332883884017713001',
    triggeredAt: '2025-01-08T13:06:26.915906',
    version: 'v2',
    data,
  });
}

function sign(body: string, encoding: 'base64' | 'hex' = 'base64', secret = SECRET): string {
  return createHmac('sha512', secret).update(body).digest(encoding);
}

function request(body: string, signature?: string): WebhookRequest {
  const headers: Record<string, string> =
    signature === undefined ? {} : { 'bob-signature': signature };
  return {
    raw: Buffer.from(body),
    header: (name) => headers[name.toLowerCase()],
    contentType: 'application/json',
    now: Date.now(),
  };
}

/** The event as hires, failing the test when it is anything else. */
function hires(parsed: ProviderEvent): Extract<ProviderEvent, { kind: 'hires' }> {
  assert.equal(parsed.kind, 'hires');
  return parsed;
}

function parse(body: string, settings: Record<string, string> = SETTINGS): ProviderEvent {
  return createHibobWebhook(settings).parse(request(body, sign(body)));
}

describe('hibob webhook: Bob-Signature (HMAC-SHA512 of the raw body)', () => {
  const adapter = createHibobWebhook(SETTINGS);
  const body = event('employee.created');

  it('accepts the Base64 signature Bob documents, padded or not', () => {
    adapter.verify(request(body, sign(body)));
    adapter.verify(request(body, sign(body).replace(/=+$/, '')));
  });

  it('accepts a hex signature, lower or upper case', () => {
    adapter.verify(request(body, sign(body, 'hex')));
    adapter.verify(request(body, sign(body, 'hex').toUpperCase()));
  });

  it('rejects another secret, a changed body, a missing or malformed header', () => {
    const cases: [string, string | undefined][] = [
      [body, sign(body, 'base64', 'another-secret')],
      [body.replace('636192', '636193'), sign(body)],
      [body, undefined],
      [body, 'not a signature!'],
      [body, sign(body).slice(0, 40)],
      [body, createHmac('sha256', SECRET).update(body).digest('hex')],
    ];
    for (const [raw, signature] of cases) {
      assert.throws(() => {
        adapter.verify(request(raw, signature));
      }, SignatureError);
    }
  });

  it("lets an unsigned body through only when it is exactly Bob's ping; a wrongly signed ping is refused", () => {
    adapter.verify(request('Ping test', sign('Ping test')));
    for (const ping of ['Ping test', '"Ping test"', '{"text":"Ping test"}', ' Ping test\n']) {
      adapter.verify(request(ping));
    }
    for (const body of [
      'Ping test!',
      '{"text":"Ping test","type":"employee.created","data":{"employeeId":"1"}}',
      JSON.stringify({ type: 'employee.created', data: { employeeId: '1' } }),
    ]) {
      assert.throws(() => {
        adapter.verify(request(body));
      }, SignatureError);
    }
    assert.throws(() => {
      adapter.verify(request('Ping test', 'v1,not-a-signature'));
    }, SignatureError);
  });
});

describe('hibob webhook: parse', () => {
  it('turns employee.created into a reference to fetch after the read-after-write lag', () => {
    assert.deepEqual(parse(event('employee.created')), {
      kind: 'hires',
      type: 'employee.created',
      deliveryId: 'employee.created:636192:3332883884017713238',
      items: [
        {
          kind: 'ref',
          ref: {
            source: 'hibob',
            employeeId: '3332883884017713238',
            context: { companyId: '636192' },
          },
        },
      ],
      delayMs: 20_000,
    });
  });

  it('gives the same delivery id to a redelivery, whatever its timestamp', () => {
    const first = hires(parse(event('employee.created')));
    const again = hires(parse(event('employee.created').replace('13:06:26', '14:06:26')));
    assert.equal(first.deliveryId, again.deliveryId);
  });

  it('provisions on the event HIBOB_PROVISION_ON names and ignores the other', () => {
    assert.deepEqual(parse(event('employee.joined')), { kind: 'ignored', type: 'employee.joined' });
    const joined = { ...SETTINGS, HIBOB_PROVISION_ON: 'joined' };
    assert.deepEqual(parse(event('employee.created'), joined), {
      kind: 'ignored',
      type: 'employee.created',
    });
    assert.equal(
      hires(parse(event('employee.joined'), joined)).deliveryId,
      'employee.joined:636192:3332883884017713238',
    );
  });

  it('ignores other events, even without an employee', () => {
    for (const type of ['employee.updated', 'table.entry.created', 'task.done']) {
      assert.deepEqual(parse(event(type, {})), { kind: 'ignored', type });
    }
  });

  it('turns a change of work department, site or title into a mover reference read after the lag (src/providers/mover-events.ts)', () => {
    const id = '3332883884017713238';
    const mover = {
      kind: 'ref',
      ref: { source: 'hibob', employeeId: id, context: { companyId: '636192' }, mover: true },
    };
    // employee.updated names the changed field IDs in `fieldUpdates`
    // (https://apidocs.hibob.com/reference/post_webhook_employee-updated).
    for (const fieldUpdates of [
      ['work.department'],
      ['root.firstName', 'work.site'],
      [{ fieldId: 'work.title' }],
    ]) {
      const parsed = hires(parse(event('employee.updated', { employeeId: id, fieldUpdates })));
      assert.deepEqual(parsed.items, [mover], JSON.stringify(fieldUpdates));
      assert.equal(parsed.delayMs, 20_000, 'Bob read-after-write lag');
      assert.equal(parsed.deliveryId, `employee.updated:636192:${id}:2025-01-08T13:06:26.915906::`);
    }
    for (const fieldUpdates of [['root.firstName'], ['work.reportsTo'], []]) {
      assert.deepEqual(parse(event('employee.updated', { employeeId: id, fieldUpdates })), {
        kind: 'ignored',
        type: 'employee.updated',
      });
    }
    // A work-table entry (https://apidocs.hibob.com/reference/post_webhook_table-entry-updated).
    const today = new Date().toISOString().slice(0, 10);
    const entry = hires(
      parse(
        event('table.entry.created', { employeeId: id, tableId: 'work', effectiveDate: today }),
      ),
    );
    assert.deepEqual(entry.items, [mover]);
    assert.equal(entry.delayMs, 20_000, 'in effect today: read after the lag');
    // Dated ahead: read once the date has begun everywhere (12:00 UTC), plus the lag.
    const ahead = new Date(Date.now() + 3 * 86_400_000).toISOString().slice(0, 10);
    const later = hires(
      parse(
        event('table.entry.updated', { employeeId: id, tableId: 'work', effectiveDate: ahead }),
      ),
    );
    const due = Date.parse(`${ahead}T12:00:00Z`) + 20_000;
    assert.ok(Math.abs(Date.now() + (later.delayMs ?? 0) - due) < 60_000, 'waits until the date');
    assert.notEqual(later.deliveryId, entry.deliveryId);
    assert.deepEqual(
      parse(
        event('table.entry.created', {
          employeeId: id,
          tableId: 'lifecycle',
          effectiveDate: today,
        }),
      ),
      { kind: 'ignored', type: 'table.entry.created' },
    );
  });

  it('turns employee.left into a leaver reference for the worker to read, after the read-after-write lag', () => {
    // Bob's v2 lifecycle payload: ids only (apidocs.hibob.com/reference/post_webhook_employee-left).
    assert.deepEqual(parse(event('employee.left')), {
      kind: 'leavers',
      type: 'employee.left',
      deliveryId: 'employee.left:636192:3332883884017713238:2025-01-08T13:06:26.915906',
      refs: [
        {
          source: 'hibob',
          employeeId: '3332883884017713238',
          context: { companyId: '636192' },
        },
      ],
      delayMs: HIBOB_DEFAULT_FETCH_DELAY_MS,
    });
  });

  it('records the ambiguous leaver events with why and never turns them into a disable (docs/hr-systems.md#hibob-bob)', () => {
    const notes = new Map<string, RegExp>([
      ['employee.inactivated', /ambiguous.*never a disable/],
      ['employee.access.revoked.immediately', /termination date is unchanged/],
      ['employee.deleted', /not a termination/],
    ]);
    for (const [type, note] of notes) {
      const parsed = parse(event(type));
      assert.equal(parsed.kind, 'ignored', type);
      assert.equal(parsed.type, type);
      assert.match(parsed.note ?? '', note, type);
    }
  });

  it('answers the ping in each form Bob sends it', () => {
    for (const body of ['Ping test', '"Ping test"', '{"text":"Ping test"}', ' Ping test\n']) {
      assert.deepEqual(parse(body), { kind: 'ping' }, body);
    }
  });

  it('takes HIBOB_FETCH_DELAY_MS, 0 meaning no delay, and refuses a non-number at startup', () => {
    const fast = parse(event('employee.created'), { ...SETTINGS, HIBOB_FETCH_DELAY_MS: '250' });
    assert.equal(hires(fast).delayMs, 250);
    const none = parse(event('employee.created'), { ...SETTINGS, HIBOB_FETCH_DELAY_MS: '0' });
    assert.equal('delayMs' in hires(none), false);
    for (const raw of ['20s', '-5', '1.5']) {
      assert.throws(
        () => createHibobWebhook({ ...SETTINGS, HIBOB_FETCH_DELAY_MS: raw }),
        ConfigError,
      );
    }
  });

  it('reads a legacy v1 payload (employee.id) and a numeric id', () => {
    const v1 = JSON.stringify({ type: 'employee.created', employee: { id: '42' } });
    assert.equal(hires(parse(v1)).deliveryId, 'employee.created:-:42');
    const numeric = parse(event('employee.created', { employeeId: 77 }));
    assert.equal(hires(numeric).deliveryId, 'employee.created:636192:77');
  });

  it('refuses malformed bodies with a PayloadError', () => {
    for (const body of [
      'not json',
      '[]',
      '{}',
      '{"type":""}',
      event('employee.created', {}),
      event('employee.created', { employeeId: '' }),
      event('employee.created', { employeeId: { id: 1 } }),
    ]) {
      assert.throws(() => parse(body), PayloadError, body);
    }
  });

  it('refuses an employee or company id that is not a safe id, before anything is stored (issue #10, item 6)', () => {
    for (const employeeId of ['..', '../..', '.', '%2e%2e', 'a/b', 'a?b', 'a#b', 'é1', 'a b']) {
      assert.throws(
        () => parse(event('employee.created', { employeeId })),
        (e: unknown) => e instanceof PayloadError && e.details[0]?.path === 'data.employeeId',
        employeeId,
      );
    }
    const legacy = JSON.stringify({ type: 'employee.created', employee: { id: '..' } });
    assert.throws(() => parse(legacy), PayloadError);
    const company = JSON.stringify({
      companyId: '../x',
      type: 'employee.created',
      data: { employeeId: '42' },
    });
    assert.throws(() => parse(company), PayloadError);
    assert.equal(hires(parse(event('employee.created', { employeeId: 'A-1_b' }))).kind, 'hires');
  });

  it('declares its settings for loadConfig', () => {
    assert.equal(hibob.enabledBy, 'HIBOB_WEBHOOK_SECRET');
    const required = hibob.settings.filter((s) => s.requiredForWorker === true).map((s) => s.env);
    assert.deepEqual(required, ['HIBOB_SERVICE_USER_ID', 'HIBOB_SERVICE_USER_TOKEN']);
    const defaults = Object.fromEntries(hibob.settings.map((s) => [s.env, s.default]));
    assert.equal(defaults['HIBOB_API_URL'], 'https://api.hibob.com');
    assert.equal(defaults['HIBOB_PROVISION_ON'], 'created');
    assert.equal(defaults['HIBOB_FETCH_DELAY_MS'], '20000');
  });
});

describe('hibob fetcher: mapping Bob employee fields', () => {
  /** POST /v1/people/{id} with humanReadable APPEND, as the People read API contract shows it. */
  const employee = {
    id: '3332883884017713238',
    email: 'noa.levi@example.com',
    firstName: 'Noa',
    surname: 'Levi',
    work: { department: '209192163', title: '197033223', startDate: '2026-03-01' },
    '/root/id': { value: '3332883884017713238' },
    '/root/email': { value: 'noa.levi@example.com' },
    '/root/firstName': { value: 'Noa' },
    '/root/surname': { value: 'Levi' },
    '/work/department': { value: '209192163' },
    '/work/title': { value: '197033223' },
    '/work/startDate': { value: '2026-03-01' },
    humanReadable: {
      email: 'noa.levi@example.com',
      work: { department: 'Account Receivables', title: 'Accountant', startDate: '01/03/2026' },
    },
  };

  it('maps email, names, ISO start date, and department and title by name', () => {
    assert.deepEqual(toHire('3332883884017713238', employee), {
      source: 'hibob',
      hireId: '3332883884017713238',
      email: 'noa.levi@example.com',
      firstName: 'Noa',
      lastName: 'Levi',
      department: 'Account Receivables',
      title: 'Accountant',
      startDate: '2026-03-01',
    });
  });

  it('reads either shape alone: slash keys only, or nested objects only', () => {
    const slashOnly = {
      '/root/email': { value: 'a@example.com' },
      '/root/firstName': { value: 'Ann' },
    };
    assert.deepEqual(toHire('1', slashOnly), {
      source: 'hibob',
      hireId: '1',
      email: 'a@example.com',
      firstName: 'Ann',
      lastName: '',
    });
    const nestedOnly = { email: ' b@example.com ', surname: 'Bee', work: { title: 'Chef' } };
    assert.deepEqual(toHire('2', nestedOnly), {
      source: 'hibob',
      hireId: '2',
      email: 'b@example.com',
      firstName: '',
      lastName: 'Bee',
      title: 'Chef',
    });
  });

  it("retries an email still null after the webhook (Bob's read-after-write lag): a passing failure, not a lasting one", () => {
    assert.throws(
      () => toHire('55', { firstName: 'No', '/root/email': { value: null } }),
      (err: unknown) =>
        err instanceof HrApiError &&
        err.kind === 'passing' &&
        err.message.startsWith('Bob has no work email for employee 55 yet; retrying'),
    );
  });

  it('fails with a clear reason when the work email is not usable', () => {
    assert.throws(
      () => toHire('56', { email: 'not-an-email' }),
      (err: unknown) =>
        err instanceof HireIncompleteError &&
        err.message.includes('Bob employee 56 has a work email DocSpace does not accept') &&
        !err.message.includes('not-an-email'),
    );
  });
});

describe('the worker refuses a stored reference whose id is not a safe id (issue #10, item 6)', () => {
  it('fails the job at once, without calling the HR API, for ids written before the webhook rule', async () => {
    const fetched: string[] = [];
    const job = {
      id: 'hire-test-0',
      data: { ref: { source: 'hibob', employeeId: '..' }, deliveryId: 'd', receivedAt: 0 },
      updateData: () => Promise.resolve(),
    } as unknown as Job<ProvisionJobData>;
    await assert.rejects(
      resolveHire(job, {
        fetchers: {
          hibob: {
            fetch: (ref) => {
              fetched.push(ref.employeeId);
              return Promise.reject(new Error('never called'));
            },
          },
        },
        store: {
          received: () => Promise.reject(new Error('nothing is stored')),
          awaitEmail: () => Promise.reject(new Error('nothing is stored')),
          isAwaitingEmail: () => Promise.reject(new Error('nothing is stored')),
          stopAwaitingEmail: () => Promise.reject(new Error('nothing is stored')),
        },
        locks: {
          acquire: () => Promise.reject(new Error('no lock is taken')),
          release: () => Promise.reject(new Error('no lock is taken')),
        },
        refLockKey: (source, employeeId) => `${source}:${employeeId}`,
        lockTtlMs: 1_000,
        logger: createLogger({ level: 'error', service: 'test', silent: true }),
      }),
      (err: unknown) => err instanceof UnrecoverableError && err.message.includes('is not an id'),
    );
    assert.deepEqual(fetched, []);
  });
});
