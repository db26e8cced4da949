import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MAX_HIRES_PER_DELIVERY, parseHiresEvent, type Hire } from '../../src/domain/hire.js';
import { PayloadError, type ErrorDetail } from '../../src/errors.js';

const EMAIL_PROBLEM = 'not an address DocSpace accepts (at most 255 characters, name@domain.tld)';
const NAME_PROBLEM = 'has no letters DocSpace accepts (letters, spaces, apostrophes and hyphens)';

function person(n: number, overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    employeeId: `E-${1000 + n}`,
    firstName: `Alice`,
    lastName: 'Smith',
    email: `alice.smith${n}@example.com`,
    ...overrides,
  };
}

function hired(data: unknown): Record<string, unknown> {
  return { type: 'employee.hired', timestamp: '2026-11-26T10:00:00Z', data };
}

/** Runs `fn`, expects a PayloadError, returns it for further checks. */
function payloadErrorOf(fn: () => unknown): PayloadError {
  try {
    fn();
  } catch (err: unknown) {
    assert.ok(err instanceof PayloadError, `expected PayloadError, got ${String(err)}`);
    assert.equal(err.code, 'ERR_PAYLOAD');
    return err;
  }
  assert.fail('expected a PayloadError, nothing was thrown');
}

function hiresOf(body: unknown): readonly Hire[] {
  const event = parseHiresEvent(body);
  assert.equal(event.kind, 'hires');
  return event.hires;
}

/** The one hire of a delivery. */
function only(body: unknown): Hire {
  const hires = hiresOf(body);
  assert.equal(hires.length, 1);
  const [hire] = hires;
  assert.ok(hire !== undefined);
  return hire;
}

/** A test-title label for any value, `undefined` included. */
function label(value: unknown): string {
  return value === undefined ? 'undefined' : JSON.stringify(value);
}

describe('parseHiresEvent', () => {
  it('when data is one hire with every field, then it returns that hire', () => {
    const body = hired({
      employeeId: 'E-1001',
      firstName: 'Alice',
      lastName: 'Smith',
      email: 'alice.smith@example.com',
      department: 'Sales',
      title: 'Account Executive',
      startDate: '2026-12-01',
    });

    assert.deepEqual(parseHiresEvent(body), {
      kind: 'hires',
      type: 'employee.hired',
      hires: [
        {
          source: 'hires',
          hireId: 'E-1001',
          email: 'alice.smith@example.com',
          firstName: 'Alice',
          lastName: 'Smith',
          department: 'Sales',
          title: 'Account Executive',
          startDate: '2026-12-01',
        },
      ],
    });
  });

  it('when optional fields are absent, then the hire has no such keys and empty hireId/lastName', () => {
    const hire = only(hired({ firstName: 'Bob', email: 'bob@example.com' }));

    assert.deepEqual(hire, {
      source: 'hires',
      hireId: '',
      email: 'bob@example.com',
      firstName: 'Bob',
      lastName: '',
    });
  });

  it('when a source is given, then every hire carries it', () => {
    const event = parseHiresEvent(hired(person(1)), 'greenhouse');

    assert.equal(event.kind === 'hires' ? event.hires[0]?.source : undefined, 'greenhouse');
  });

  it('when text fields have spaces around them, then they are trimmed', () => {
    const hire = only(
      hired({ firstName: '  Alice ', lastName: ' Smith ', email: ' alice@example.com ' }),
    );

    assert.equal(hire.firstName, 'Alice');
    assert.equal(hire.lastName, 'Smith');
    assert.equal(hire.email, 'alice@example.com');
  });

  it('when data is an array, then every hire is returned in order', () => {
    const hires = hiresOf(hired([person(1), person(2), person(3)]));

    assert.deepEqual(
      hires.map((h) => h.email),
      ['alice.smith1@example.com', 'alice.smith2@example.com', 'alice.smith3@example.com'],
    );
    assert.deepEqual(
      hires.map((h) => h.hireId),
      ['E-1001', 'E-1002', 'E-1003'],
    );
  });

  it('when data holds 500 hires, then all 500 are accepted', () => {
    assert.equal(MAX_HIRES_PER_DELIVERY, 500);
    const data = Array.from({ length: 500 }, (_, i) => person(i));

    const hires = hiresOf(hired(data));

    assert.equal(hires.length, 500);
    assert.equal(hires[499]?.email, 'alice.smith499@example.com');
  });

  it('when data holds 501 hires, then it throws PayloadError naming the limit', () => {
    const data = Array.from({ length: 501 }, (_, i) => person(i));

    const err = payloadErrorOf(() => parseHiresEvent(hired(data)));

    assert.equal(err.message, '"data" holds 501 hires; at most 500');
  });

  it('when data is an empty array, then it throws PayloadError at path data', () => {
    const err = payloadErrorOf(() => parseHiresEvent(hired([])));

    assert.deepEqual(err.details, [{ path: 'data', message: 'empty array' }]);
  });

  it('when data is missing for a hire event, then it throws PayloadError at path data', () => {
    const err = payloadErrorOf(() =>
      parseHiresEvent({ type: 'employee.hired', timestamp: '2026-11-26T10:00:00Z' }),
    );

    assert.deepEqual(err.details, [{ path: 'data', message: 'must be an object' }]);
  });

  for (const body of [null, 'employee.hired', 42, true, [hired(person(1))], undefined]) {
    it(`when the body is ${label(body)}, then it throws PayloadError`, () => {
      const err = payloadErrorOf(() => parseHiresEvent(body));

      assert.equal(err.message, 'the body must be a JSON object');
    });
  }

  for (const type of [undefined, '', 7, null]) {
    it(`when type is ${label(type)}, then it throws PayloadError at path type`, () => {
      const err = payloadErrorOf(() => parseHiresEvent({ type, data: person(1) }));

      assert.deepEqual(err.details, [{ path: 'type', message: 'required' }]);
    });
  }

  it('when type is an event the payload does not define, then it is ignored without looking at data', () => {
    const body = { type: 'employee.promoted', data: [{ email: 'not an email' }, 42] };

    assert.deepEqual(parseHiresEvent(body), { kind: 'ignored', type: 'employee.promoted' });
  });

  it('when type is employee.updated, then data is read as for a hire', () => {
    assert.deepEqual(parseHiresEvent({ type: 'employee.updated', data: person(1) }), {
      kind: 'updates',
      type: 'employee.updated',
      hires: [
        {
          source: 'hires',
          hireId: 'E-1001',
          email: 'alice.smith1@example.com',
          firstName: 'Alice',
          lastName: 'Smith',
        },
      ],
    });
    const err = payloadErrorOf(() =>
      parseHiresEvent({ type: 'employee.updated', data: [person(1, { firstName: null })] }),
    );
    assert.deepEqual(err.details, [{ path: 'data[0].firstName', message: 'required' }]);
  });

  it('when type is employee.terminated, then it gives each leaver with the termination date', () => {
    const body = {
      type: 'employee.terminated',
      data: [
        { employeeId: 'E-1', email: ' leaver@example.com ', terminationDate: '2026-12-31' },
        { employeeId: 2, email: 'other@example.com' },
      ],
    };

    assert.deepEqual(parseHiresEvent(body), {
      kind: 'terminations',
      type: 'employee.terminated',
      leavers: [
        {
          source: 'hires',
          hireId: 'E-1',
          email: 'leaver@example.com',
          terminationDate: '2026-12-31',
        },
        { source: 'hires', hireId: '2', email: 'other@example.com' },
      ],
    });
  });

  it('when a termination has a bad email or date, then every problem is listed', () => {
    const err = payloadErrorOf(() =>
      parseHiresEvent({
        type: 'employee.terminated',
        data: { email: 'a@b', terminationDate: '31.12.2026' },
      }),
    );

    assert.deepEqual(err.details, [
      { path: 'data.email', message: EMAIL_PROBLEM },
      { path: 'data.terminationDate', message: 'must be a date as YYYY-MM-DD' },
    ]);
  });

  it('when type is employee.termination_cancelled, then it names the people', () => {
    const body = {
      type: 'employee.termination_cancelled',
      data: { employeeId: 'E-1', email: 'stays@example.com' },
    };

    assert.deepEqual(parseHiresEvent(body), {
      kind: 'cancellations',
      type: 'employee.termination_cancelled',
      people: [{ source: 'hires', hireId: 'E-1', email: 'stays@example.com' }],
    });
    const err = payloadErrorOf(() =>
      parseHiresEvent({ type: 'employee.termination_cancelled', data: { employeeId: 'E-1' } }),
    );
    assert.deepEqual(err.details, [{ path: 'data.email', message: 'required' }]);
    assert.equal(err.message, '"data.email" required');
  });

  it('when type differs only in case, then it is ignored (types are exact)', () => {
    assert.deepEqual(parseHiresEvent({ type: 'Employee.Hired', data: person(1) }), {
      kind: 'ignored',
      type: 'Employee.Hired',
    });
  });

  it('when email and firstName are missing, then both are reported as required', () => {
    const err = payloadErrorOf(() => parseHiresEvent(hired({ lastName: 'Smith' })));

    assert.deepEqual(err.details, [
      { path: 'data.email', message: 'required' },
      { path: 'data.firstName', message: 'required' },
    ]);
  });

  for (const empty of [null, '']) {
    it(`when email is ${JSON.stringify(empty)}, then it is reported as required`, () => {
      const err = payloadErrorOf(() => parseHiresEvent(hired(person(1, { email: empty }))));

      assert.deepEqual(err.details, [{ path: 'data.email', message: 'required' }]);
    });
  }

  for (const email of [
    '.alice@example.com',
    'alice.@example.com',
    'al..ice@example.com',
    'a@b',
    'alice@example',
    'alice@example.c',
    'alice smith@example.com',
    'al"ice@example.com',
    '"alice@example.com',
    'alice@@example.com',
    'alice@exa_mple.com',
    '<alice>@example.com',
    'alice@example.com.',
    'alice(work)@example.com',
    'alice,bob@example.com',
    'alice@',
    '@example.com',
  ]) {
    it(`when email is ${JSON.stringify(email)}, then it is refused as DocSpace would`, () => {
      const err = payloadErrorOf(() => parseHiresEvent(hired(person(1, { email }))));

      assert.deepEqual(err.details, [{ path: 'data.email', message: EMAIL_PROBLEM }]);
    });
  }

  it('when email is spaces only, then it is refused', () => {
    const err = payloadErrorOf(() => parseHiresEvent(hired(person(1, { email: '   ' }))));

    assert.deepEqual(err.details, [{ path: 'data.email', message: EMAIL_PROBLEM }]);
  });

  it('when email is not a string, then it is reported as such', () => {
    const err = payloadErrorOf(() => parseHiresEvent(hired(person(1, { email: 12345 }))));

    assert.deepEqual(err.details, [{ path: 'data.email', message: 'must be a string' }]);
  });

  it('when lastName is empty or absent, then the hire is accepted with lastName ""', () => {
    const withEmpty = only(hired(person(1, { lastName: '' })));
    const withNull = only(hired(person(1, { lastName: null })));
    const without = only(hired({ firstName: 'Alice', email: 'alice@example.com' }));

    assert.equal(withEmpty.lastName, '');
    assert.equal(withNull.lastName, '');
    assert.equal(without.lastName, '');
  });

  it('when employeeId is a number, then it is accepted as its decimal text', () => {
    const hire = only(hired(person(1, { employeeId: 1001 })));

    assert.equal(hire.hireId, '1001');
  });

  for (const field of ['firstName', 'lastName', 'department', 'title', 'startDate']) {
    it(`when ${field} is a number, then it is reported as not a string`, () => {
      const err = payloadErrorOf(() => parseHiresEvent(hired(person(1, { [field]: 7 }))));

      assert.deepEqual(err.details, [{ path: `data.${field}`, message: 'must be a string' }]);
    });
  }

  it('when employeeId is a boolean, then it is reported as not a string', () => {
    const err = payloadErrorOf(() => parseHiresEvent(hired(person(1, { employeeId: true }))));

    assert.deepEqual(err.details, [{ path: 'data.employeeId', message: 'must be a string' }]);
  });

  it('when an optional field is blank, then the hire has no such key', () => {
    const hire = only(hired(person(1, { department: '  ', title: '', startDate: null })));

    assert.equal('department' in hire, false);
    assert.equal('title' in hire, false);
    assert.equal('startDate' in hire, false);
  });

  it('when a field has 255 characters, then it is accepted; with 256, it is refused', () => {
    const ok = only(hired(person(1, { department: 'D'.repeat(255) })));
    const err = payloadErrorOf(() =>
      parseHiresEvent(hired(person(1, { department: 'D'.repeat(256) }))),
    );

    assert.equal(ok.department, 'D'.repeat(255));
    assert.deepEqual(err.details, [{ path: 'data.department', message: 'longer than 255' }]);
  });

  it('when email is over 255 characters, then only the length is reported', () => {
    const email = `${'a'.repeat(244)}@example.com`;
    assert.equal(email.length, 256);

    const err = payloadErrorOf(() => parseHiresEvent(hired(person(1, { email }))));

    assert.deepEqual(err.details, [{ path: 'data.email', message: 'longer than 255' }]);
  });

  for (const firstName of ['123', '...', '😀😀', "'-'", '   ']) {
    it(`when firstName ${JSON.stringify(firstName)} cleans to nothing, then it is refused`, () => {
      const err = payloadErrorOf(() => parseHiresEvent(hired(person(1, { firstName }))));

      assert.deepEqual(err.details, [{ path: 'data.firstName', message: NAME_PROBLEM }]);
    });
  }

  it('when firstName has digits around letters, then it is accepted as sent (cleaned later)', () => {
    const hire = only(hired(person(1, { firstName: 'Alice2' })));

    assert.equal(hire.firstName, 'Alice2');
  });

  it('when an array entry is not an object, then its index is the path', () => {
    const err = payloadErrorOf(() => parseHiresEvent(hired([person(0), 'alice@example.com'])));

    assert.deepEqual(err.details, [{ path: 'data[1]', message: 'must be an object' }]);
  });

  it('when several hires have problems, then every problem is listed with its path', () => {
    const data = [
      person(0),
      person(1, { email: 'a@b' }),
      person(2, { firstName: undefined }),
      person(3, { email: 'alice@example', firstName: '42', title: 'T'.repeat(300) }),
      null,
      person(5),
    ];

    const err = payloadErrorOf(() => parseHiresEvent(hired(data)));

    const expected: ErrorDetail[] = [
      { path: 'data[1].email', message: EMAIL_PROBLEM },
      { path: 'data[2].firstName', message: 'required' },
      { path: 'data[3].email', message: EMAIL_PROBLEM },
      { path: 'data[3].firstName', message: NAME_PROBLEM },
      { path: 'data[3].title', message: 'longer than 255' },
      { path: 'data[4]', message: 'must be an object' },
    ];
    assert.deepEqual(err.details, expected);
    assert.equal(err.message, 'the payload has 6 problem(s)');
  });
});
