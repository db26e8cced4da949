import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { describe, it } from 'node:test';
import { PayloadError, ServiceError, SignatureError } from '../../src/errors.js';
import { toHire } from '../../src/providers/bamboohr-api.js';
import { decodeForm, MAX_FORM_PARAMETERS } from '../../src/providers/bamboohr-payload.js';
import { BAMBOOHR_DELETED } from '../../src/providers/leaver-events.js';
import {
  bamboohr,
  BAMBOOHR_MAX_AGE_MS,
  parseBambooHrTimestamp,
} from '../../src/providers/bamboohr.js';
import { HireIncompleteError } from '../../src/errors.js';
import type { WebhookRequest } from '../../src/providers/types.js';
import { growthRatio } from '../helpers/growth.js';

const KEY = '3f9c2b7a1e8d4c6f0a5b9e2d7c1f4a8b6e3d0c9f';
const NOW = new Date('2026-01-31T18:42:30Z');
const ISO = '2026-01-31T18:42:00+0000';
const adapter = bamboohr.createWebhook({ BAMBOOHR_WEBHOOK_SECRET: KEY });

// The documented examples (https://documentation.bamboohr.com/docs/event-based-webhooks and
// https://documentation.bamboohr.com/docs/field-based-webhooks).
const event = (type: string, data: object = { companyId: '12345', employeeId: '67890' }) =>
  JSON.stringify({ type, timestamp: ISO, data });
const CREATED = event('employee.created');
const UPDATED = event('employee.updated', {
  companyId: '12345',
  employeeId: '67890',
  changedFields: ['firstName'],
});

/** An event-based `employee.updated` of 67890 with these `changedFields` (none: absent). */
const updateOf = (changedFields?: string[]) =>
  event('employee.updated', {
    companyId: '12345',
    employeeId: '67890',
    ...(changedFields === undefined ? {} : { changedFields }),
  });
/** What such an update parses to when it is stored: one reference with these flags. */
const storedUpdate = (flags: { onlyIfAwaitingEmail?: true; mover?: true }) => ({
  kind: 'hires',
  type: 'employee.updated',
  deliveryId: `employee.updated:12345:67890:${ISO}`,
  items: [
    {
      kind: 'ref',
      ref: { source: 'bamboohr', employeeId: '67890', context: { companyId: '12345' }, ...flags },
    },
  ],
});

/** BambooHR's signature, computed by hand: hex(HMAC-SHA256(key, body followed by timestamp)). */
const sign = (body: string, timestamp: string, key = KEY) =>
  createHmac('sha256', key).update(`${body}${timestamp}`).digest('hex');

function request(
  body: string,
  options: {
    timestamp?: string | null;
    signature?: string | null;
    contentType?: string | null;
    now?: Date;
  } = {},
): WebhookRequest {
  const timestamp = options.timestamp === undefined ? ISO : options.timestamp;
  const signature =
    options.signature === undefined ? sign(body, timestamp ?? '') : options.signature;
  const headers: Record<string, string | null> = {
    'x-bamboohr-timestamp': timestamp,
    'x-bamboohr-signature': signature,
  };
  return {
    raw: Buffer.from(body, 'utf8'),
    header: (name) => headers[name.toLowerCase()] ?? undefined,
    contentType:
      options.contentType === undefined ? 'application/json' : (options.contentType ?? undefined),
    now: (options.now ?? NOW).getTime(),
  };
}

function errorOf<T extends Error>(type: new (...args: never[]) => T, fn: () => unknown): T {
  try {
    fn();
  } catch (err: unknown) {
    assert.ok(err instanceof type, `expected ${type.name}, got ${String(err)}`);
    return err;
  }
  assert.fail(`expected ${type.name}, nothing was thrown`);
}

describe('BambooHR verify: hex HMAC-SHA256 over the raw body followed by X-BambooHR-Timestamp', () => {
  it('accepts a good signature, in lower or upper case, with an ISO or a Unix timestamp', () => {
    adapter.verify(request(CREATED));
    adapter.verify(request(CREATED, { signature: sign(CREATED, ISO).toUpperCase() }));
    const unix = String(Math.floor(NOW.getTime() / 1000) - 20);
    adapter.verify(request(CREATED, { timestamp: unix }));
  });

  it('refuses a wrong key, a changed body, a changed timestamp, or the body alone signed', () => {
    const cases = [
      request(CREATED, { signature: sign(CREATED, ISO, 'another-key') }),
      { ...request(CREATED), raw: Buffer.from(CREATED.replace('67890', '67891')) },
      request(CREATED, { timestamp: '2026-01-31T18:42:01+0000', signature: sign(CREATED, ISO) }),
      request(CREATED, { signature: createHmac('sha256', KEY).update(CREATED).digest('hex') }),
      request(CREATED, { signature: 'not-hex' }),
      request(CREATED, { signature: sign(CREATED, ISO).slice(0, 40) }),
    ];
    for (const req of cases) {
      const err = errorOf(SignatureError, () => {
        adapter.verify(req);
      });
      assert.match(err.message, /does not match; check BAMBOOHR_WEBHOOK_SECRET/);
      assert.ok(!err.message.includes(KEY));
    }
  });

  it('refuses a delivery without either header', () => {
    assert.match(
      errorOf(SignatureError, () => {
        adapter.verify(request(CREATED, { timestamp: null }));
      }).message,
      /X-BambooHR-Timestamp header is missing/,
    );
    assert.match(
      errorOf(SignatureError, () => {
        adapter.verify(request(CREATED, { signature: null }));
      }).message,
      /X-BambooHR-Signature header is missing/,
    );
  });

  it('refuses a stale or far-future timestamp, and keeps the retry window', () => {
    const at = (ms: number) => new Date(NOW.getTime() + ms).toISOString();
    const stale = at(-BAMBOOHR_MAX_AGE_MS - 60_000);
    assert.match(
      errorOf(SignatureError, () => {
        adapter.verify(request(CREATED, { timestamp: stale }));
      }).message,
      /minutes off our clock/,
    );
    const ahead = String(Math.floor((NOW.getTime() + 10 * 60_000) / 1000));
    errorOf(SignatureError, () => {
      adapter.verify(request(CREATED, { timestamp: ahead }));
    });
    // A retry 80 minutes after a first attempt that kept its timestamp is still taken.
    adapter.verify(request(CREATED, { timestamp: at(-155 * 60_000) }));
  });

  it('refuses a timestamp that is not strictly Unix time or ISO 8601, even when signed (issue #10, item 4)', () => {
    const seconds = String(Math.floor(NOW.getTime() / 1000));
    for (const timestamp of [
      'Sat, soon-ish',
      'Sat, 31 Jan 2026 18:42:00 GMT',
      '2026-01-31T18:42:00',
      `${seconds}.5`,
      `x${seconds}`,
      `1${seconds}`,
      `}${ISO}`,
      `2${ISO}`,
      ` ${seconds}`,
    ]) {
      const err = errorOf(SignatureError, () => {
        adapter.verify(request(CREATED, { timestamp }));
      });
      assert.match(err.message, /neither Unix time .* nor ISO 8601/, timestamp);
    }
  });

  it("refuses the review's replay: a form post signed 30 days ago, its last body byte moved to the front of the timestamp (issue #10, item 4)", () => {
    const signedAt = new Date(NOW.getTime() - 30 * 24 * 3600_000).toISOString();
    const form = 'type=employee.created&data[companyId]=12345&data[employeeId]=67890';
    const signature = sign(form, signedAt);
    const original = request(form, {
      timestamp: signedAt,
      signature,
      contentType: 'application/x-www-form-urlencoded',
    });
    assert.match(
      errorOf(SignatureError, () => {
        adapter.verify(original);
      }).message,
      /minutes off our clock/,
    );
    // Same bytes under the HMAC: body minus its last byte, that byte in front of the timestamp.
    const moved = request(form.slice(0, -1), {
      timestamp: `${form.slice(-1)}${signedAt}`,
      signature,
      contentType: 'application/x-www-form-urlencoded',
    });
    errorOf(SignatureError, () => {
      adapter.verify(moved);
    });
    // Unix seconds the same way: one more digit puts the time centuries ahead.
    const unix = String(Math.floor((NOW.getTime() - 30 * 24 * 3600_000) / 1000));
    errorOf(SignatureError, () => {
      adapter.verify(
        request(form.slice(0, -1), {
          timestamp: `${form.slice(-1)}${unix}`,
          signature: sign(form, unix),
          contentType: 'application/x-www-form-urlencoded',
        }),
      );
    });
  });

  it('reads Unix seconds, Unix milliseconds and ISO with a +0000 offset', () => {
    assert.equal(parseBambooHrTimestamp('1769884920'), 1769884920_000);
    assert.equal(parseBambooHrTimestamp('1769884920123'), 1769884920123);
    assert.equal(parseBambooHrTimestamp(ISO), Date.parse('2026-01-31T18:42:00Z'));
    assert.equal(parseBambooHrTimestamp('yesterday'), undefined);
  });
});

describe('BambooHR parse', () => {
  it('turns employee.created into a reference with the company id, keyed by type, company and employee', () => {
    assert.deepEqual(adapter.parse(request(CREATED)), {
      kind: 'hires',
      type: 'employee.created',
      deliveryId: 'employee.created:12345:67890',
      items: [
        {
          kind: 'ref',
          ref: { source: 'bamboohr', employeeId: '67890', context: { companyId: '12345' } },
        },
      ],
    });
  });

  it('ignores employee.updated (the one that follows every create), employee.deleted and unknown types', () => {
    for (const [body, type] of [
      [UPDATED, 'employee.updated'],
      [event('company.integrations.updated', {}), 'company.integrations.updated'],
    ] as const) {
      assert.deepEqual(adapter.parse(request(body)), { kind: 'ignored', type });
    }
    // A deletion is not a termination (docs/hr-systems.md#bamboohr): recorded with why, no disable.
    assert.deepEqual(adapter.parse(request(event('employee.deleted'))), {
      kind: 'ignored',
      type: 'employee.deleted',
      note: BAMBOOHR_DELETED,
    });
  });

  it('turns an employment status change into a leaver reference for the worker to read, keyed by its own timestamp', () => {
    // The vendor's event-based shape (documentation.bamboohr.com/docs/event-based-webhooks) with
    // the status aliases a termination changes (docs/hr-systems.md#bamboohr).
    for (const changedFields of [['status'], ['employmentHistoryStatus', 'firstName']]) {
      const body = event('employee.updated', {
        companyId: '12345',
        employeeId: '67890',
        changedFields,
      });
      assert.deepEqual(adapter.parse(request(body)), {
        kind: 'leavers',
        type: 'employee.updated',
        deliveryId: `employee.updated:status:12345:67890:${ISO}`,
        refs: [{ source: 'bamboohr', employeeId: '67890', context: { companyId: '12345' } }],
      });
    }
    // The legacy field-based shape names fields as BambooHR labels them.
    const legacy = JSON.stringify({
      employees: [
        {
          action: 'Updated',
          id: '302',
          changedFields: ['Employment Status'],
          fields: { 'Employment Status': 'Terminated' },
          timestamp: ISO,
        },
      ],
    });
    assert.deepEqual(adapter.parse(request(legacy)), {
      kind: 'leavers',
      type: 'employee_with_fields.updated',
      deliveryId: `status:302@${ISO}`,
      refs: [{ source: 'bamboohr', employeeId: '302' }],
    });
    // A status change that also names the work email, or a department, is both: a reference
    // for a person waiting for an email (or a mover) and a leaver reference under its own key, so
    // neither is dropped.
    const leaver = {
      deliveryId: `employee.updated:status:12345:67890:${ISO}`,
      refs: [{ source: 'bamboohr', employeeId: '67890', context: { companyId: '12345' } }],
    };
    for (const changedFields of [
      ['status', 'workEmail'],
      ['status', 'department'],
    ]) {
      const parsed = adapter.parse(
        request(
          event('employee.updated', { companyId: '12345', employeeId: '67890', changedFields }),
        ),
      );
      assert.equal(parsed.kind, 'hires', changedFields.join());
      assert.equal(parsed.items.length, 1);
      assert.deepEqual(parsed.leavers, leaver, changedFields.join());
      assert.notEqual(parsed.deliveryId, leaver.deliveryId);
    }
  });

  it('keeps the status changes of a legacy body that also creates or moves people: both are stored', () => {
    const body = JSON.stringify({
      employees: [
        { action: 'Created', id: '301', changedFields: [], fields: {}, timestamp: ISO },
        { action: 'Updated', id: '302', changedFields: ['Employment Status'], timestamp: ISO },
        { action: 'Updated', id: '303', changedFields: ['Status', 'Department'], timestamp: ISO },
      ],
    });
    const parsed = adapter.parse(request(body));
    assert.equal(parsed.kind, 'hires');
    assert.deepEqual(
      parsed.items.map((item) => (item.kind === 'ref' ? item.ref.employeeId : item.kind)),
      ['301', '303'],
    );
    assert.deepEqual(parsed.leavers, {
      deliveryId: `status:302@${ISO},303@${ISO}`,
      refs: [
        { source: 'bamboohr', employeeId: '302' },
        { source: 'bamboohr', employeeId: '303' },
      ],
    });
  });

  it('turns an employee.updated that changes the work email into a reference for a person waiting for one, keyed by its own timestamp', () => {
    assert.deepEqual(
      adapter.parse(request(updateOf(['firstName', 'workEmail']))),
      storedUpdate({ onlyIfAwaitingEmail: true }),
    );
    // Naming nothing readable, it may also be a mover (src/providers/mover-events.ts).
    assert.deepEqual(
      adapter.parse(request(updateOf())),
      storedUpdate({ onlyIfAwaitingEmail: true, mover: true }),
      'no changedFields: maybe',
    );
    const legacy = JSON.stringify({
      employees: [
        { action: 'Updated', id: '302', changedFields: ['Work Email'], timestamp: ISO },
        { action: 'Updated', id: '303', changedFields: ['Last Name'] },
      ],
    });
    assert.deepEqual(adapter.parse(request(legacy)), {
      kind: 'hires',
      type: 'employee_with_fields.updated',
      deliveryId: `created:;updated:302@${ISO}`,
      items: [
        { kind: 'ref', ref: { source: 'bamboohr', employeeId: '302', onlyIfAwaitingEmail: true } },
      ],
    });
  });

  it('turns an update of the department, location or job title into a mover reference (docs/rules.md); division or a name change moves nobody', () => {
    // The vendor's aliases (https://documentation.bamboohr.com/reference/employee-updated-webhook).
    for (const fields of [['department'], ['location', 'firstName'], ['jobTitle']]) {
      assert.deepEqual(
        adapter.parse(request(updateOf(fields))),
        storedUpdate({ mover: true }),
        fields.join(),
      );
    }
    assert.deepEqual(
      adapter.parse(request(updateOf(['workEmail', 'department']))),
      storedUpdate({ onlyIfAwaitingEmail: true, mover: true }),
    );
    for (const fields of [['division'], ['firstName', 'lastName'], ['payRate']]) {
      assert.deepEqual(
        adapter.parse(request(updateOf(fields))),
        { kind: 'ignored', type: 'employee.updated' },
        fields.join(),
      );
    }
    // The legacy structure names the fields as BambooHR labels them.
    const legacy = JSON.stringify({
      employees: [
        { action: 'Updated', id: '303', changedFields: ['Job Title'], timestamp: ISO },
        { action: 'Updated', id: '304', changedFields: ['Division'], timestamp: ISO },
      ],
    });
    assert.deepEqual(adapter.parse(request(legacy)), {
      kind: 'hires',
      type: 'employee_with_fields.updated',
      deliveryId: `created:;updated:303@${ISO}`,
      items: [{ kind: 'ref', ref: { source: 'bamboohr', employeeId: '303', mover: true } }],
    });
  });

  it('reads the event-based form post', () => {
    const body = 'type=employee.created&data%5BcompanyId%5D=12345&data%5BemployeeId%5D=67890';
    const parsed = adapter.parse(
      request(body, { contentType: 'application/x-www-form-urlencoded' }),
    );
    assert.equal(parsed.kind === 'hires' && parsed.deliveryId, 'employee.created:12345:67890');
    const update =
      'type=employee.updated&data[companyId]=12345&data[employeeId]=67890&data[changedFields][0]=firstName';
    assert.deepEqual(
      adapter.parse(request(update, { contentType: 'application/x-www-form-urlencoded' })),
      { kind: 'ignored', type: 'employee.updated' },
    );
  });

  it('takes each legacy Created entry once and ignores Updated and Deleted ones', () => {
    const body = JSON.stringify({
      employees: [
        { action: 'Created', id: '301', changedFields: [], fields: {}, timestamp: ISO },
        {
          action: 'Updated',
          id: '302',
          changedFields: ['First Name'],
          fields: { 'First Name': 'B' },
        },
        { action: 'Created', id: 303, changedFields: [], fields: {} },
        { action: 'Updated', id: '301', changedFields: ['Work Email'], fields: {} },
        { action: 'Created', id: '301', changedFields: [], fields: {} },
        { action: 'Deleted', id: '304', changedFields: [], fields: {} },
      ],
    });
    assert.deepEqual(adapter.parse(request(body)), {
      kind: 'hires',
      type: 'employee_with_fields.created',
      deliveryId: 'created:301,303',
      items: [
        { kind: 'ref', ref: { source: 'bamboohr', employeeId: '301' } },
        { kind: 'ref', ref: { source: 'bamboohr', employeeId: '303' } },
      ],
    });
    const updatesOnly = JSON.stringify({
      employees: [{ action: 'Updated', id: '302', changedFields: ['First Name'], fields: {} }],
    });
    assert.deepEqual(adapter.parse(request(updatesOnly)), {
      kind: 'ignored',
      type: 'employee_with_fields.updated',
    });
  });

  it('reads the legacy form post, field names with spaces included', () => {
    const body =
      'employees[0][action]=Created&employees[0][id]=401&employees[0][fields][First Name]=Ann' +
      '&employees[1][action]=Updated&employees[1][id]=402&employees[1][changedFields][0]=Last+Name';
    const parsed = adapter.parse(
      request(body, { contentType: 'application/x-www-form-urlencoded' }),
    );
    assert.equal(parsed.kind === 'hires' && parsed.deliveryId, 'created:401');
    assert.deepEqual(decodeForm(body), {
      employees: [
        { action: 'Created', id: '401', fields: { 'First Name': 'Ann' } },
        { action: 'Updated', id: '402', changedFields: ['Last Name'] },
      ],
    });
    assert.deepEqual(decodeForm('__proto__[x]=1&a[]=1&a[]=2&b=1&b[c]=2'), {
      a: ['1', '2'],
      b: '1',
    });
  });

  it('answers 400 for a malformed body and 415 for a content type BambooHR does not send', () => {
    for (const body of [
      '{"type":',
      '[]',
      '{"data":{}}',
      event('employee.created', { companyId: '12345' }),
      event('employee.created', { employeeId: '../../admin' }),
      JSON.stringify({ employees: {} }),
      JSON.stringify({ employees: [{ action: 'Created' }] }),
      JSON.stringify({ employees: ['x'] }),
    ]) {
      errorOf(PayloadError, () => adapter.parse(request(body)));
    }
    const err = errorOf(ServiceError, () =>
      adapter.parse(request(CREATED, { contentType: 'text/plain' })),
    );
    assert.equal(err.code, 'ERR_UNSUPPORTED_MEDIA_TYPE');
    // Without a Content-Type the body decides.
    assert.equal(adapter.parse(request(CREATED, { contentType: null })).kind, 'hires');
  });
});

describe('BambooHR form posts of hostile size (issue #10, item 7)', () => {
  it('when a form post has 4× the `[]` parameters, then decoding it takes less than 10× as long', () => {
    assert.equal(MAX_FORM_PARAMETERS, 10_000);
    for (const parameter of ['a[]=1&', 'employees[0][changedFields][]=x&', 'data[x][]=&']) {
      const ratio = growthRatio((n) => parameter.repeat(n), decodeForm, MAX_FORM_PARAMETERS / 4, {
        ceiling: 10,
      });
      assert.ok(ratio < 10, `${parameter}: ${ratio.toFixed(1)}× slower for 4× the parameters`);
    }
  });

  it("when a form post has more than 10000 parameters (the review's 40k `[]` in 200 KB), then 413 before any is decoded", () => {
    const body = 'data[changedFields][]=x&'.repeat(40_000);
    const err = errorOf(ServiceError, () =>
      adapter.parse(request(body, { contentType: 'application/x-www-form-urlencoded' })),
    );
    assert.equal(err.code, 'ERR_BODY_TOO_LARGE');
    assert.match(err.message, /40000 parameters; at most 10000/);
    const limit = `type=employee.created&data[employeeId]=7&${'x[]=1&'.repeat(MAX_FORM_PARAMETERS - 2)}`;
    assert.equal(
      adapter.parse(request(limit, { contentType: 'application/x-www-form-urlencoded' })).kind,
      'hires',
      'exactly the limit is read',
    );
  });

  it('when the keys are named like Object.prototype members, then they are read as plain keys', () => {
    assert.deepEqual(decodeForm('toString[a]=1&constructor=2&hasOwnProperty[]=3&valueOf=4'), {
      toString: { a: '1' },
      hasOwnProperty: ['3'],
      valueOf: '4',
    });
  });
});

describe('BambooHR employee → hire', () => {
  it('maps the fetched fields, leaving out an unset hire date', () => {
    const employee = {
      id: '67890',
      firstName: ' Ann ',
      lastName: 'Lee',
      workEmail: 'ann.lee@example.com',
      department: 'Sales',
      jobTitle: 'Account Executive',
      hireDate: '2026-02-02',
    };
    assert.deepEqual(toHire('67890', employee), {
      source: 'bamboohr',
      hireId: '67890',
      email: 'ann.lee@example.com',
      firstName: 'Ann',
      lastName: 'Lee',
      department: 'Sales',
      title: 'Account Executive',
      startDate: '2026-02-02',
    });
    const sparse = toHire('1', {
      workEmail: 'a@example.com',
      hireDate: '0000-00-00',
      department: null,
    });
    assert.deepEqual(sparse, {
      source: 'bamboohr',
      hireId: '1',
      email: 'a@example.com',
      firstName: '',
      lastName: '',
    });
  });

  it('fails with a reason when there is no usable work email, never falling back to the home email', () => {
    const none = errorOf(HireIncompleteError, () =>
      toHire('7', { firstName: 'No', homeEmail: 'no@home.example.com', workEmail: null }),
    );
    assert.match(
      none.message,
      /^BambooHR employee 7 has no work email .*add one in BambooHR, then replay the job$/,
    );
    const bad = errorOf(HireIncompleteError, () =>
      toHire('8', { workEmail: 'jürgen@example.com' }),
    );
    assert.match(bad.message, /BambooHR employee 8 has a work email DocSpace does not accept/);
  });
});
