import fc from 'fast-check';

/**
 * fast-check generators for the intake fuzzer: payloads shaped like the generic hire webhook, with
 * the names, emails and types HR systems really send, and worse.
 */

/** Names HR systems really send, and worse: scripts, marks, joiners, emoji, controls, surrogates. */
export const ODD_NAMES = [
  'José María',
  'Zoe\u0308',
  'محمد بن سلمان',
  'ישראל',
  '李小龍',
  '김민준',
  'Ⅻ Roman',
  '𝔄𝔩𝔦𝔠𝔢',
  '👩‍💻 Ann',
  '🏳️‍🌈',
  'O’Brien',
  'Anne\u2013Marie',
  'Jean-Luc (J.L.) Picard 3rd',
  '\u200bZero\u200dWidth\u2060',
  '\u202eevil\u202c',
  '\ufeffBom',
  'Nul\u0000Byte',
  'Tab\tNew\nLine',
  '\ud800lone',
  'lone\udc00',
  'A'.repeat(300),
  'É'.repeat(64) + 'x',
  'e\u0301'.repeat(40),
  '...',
  '123',
  ' ',
  '',
  "'-'",
];

export const name = fc.oneof(
  fc.constantFrom(...ODD_NAMES),
  fc.string({ unit: 'grapheme', maxLength: 70 }),
  fc.string({ unit: 'binary', maxLength: 70 }),
  fc.array(fc.constantFrom(...ODD_NAMES), { maxLength: 3 }).map((parts) => parts.join(' ')),
);

let uniq = 0;
/** A fresh local part, so accepted hires are new people (collisions are covered on purpose below). */
export const fresh = () => `fz${String(++uniq)}x${Date.now().toString(36)}`;

export const email = fc.oneof(
  { weight: 4, arbitrary: fc.constant(null).map(() => `${fresh()}@example.com`) },
  { weight: 2, arbitrary: fc.emailAddress() },
  {
    weight: 2,
    arbitrary: fc
      .constantFrom(
        (l: string) => `${l.toUpperCase()}@EXAMPLE.COM`,
        (l: string) => `  ${l}@example.com  `,
        (l: string) => `"${l} quoted"@example.com`,
        (l: string) => `"${l}"x"@example.com`,
        (l: string) => `"${l}\\"@example.com`,
        (l: string) => `${l}@[127.0.0.1]`,
        (l: string) => `${l}é@example.com`,
        (l: string) => `${l}@bücher.de`,
        (l: string) => `${l}@xn--bcher-kva.de`,
        (l: string) => `${l}.@example.com`,
        (l: string) => `${l}..x@example.com`,
        (l: string) => `${l}+tag@example.com`,
        (l: string) => `${l}#!$%&'*/=?^_\`{|}~-@example.com`,
        (l: string) => `${l}@example`,
        (l: string) => `${l}@-example.com`,
        (l: string) => `${l}@example.c`,
        (l: string) => `${l}@${'a'.repeat(250)}.com`,
        (l: string) => `${l}\u0000@example.com`,
        (l: string) => `${l}@example.com\n`,
        (l: string) => `<${l}@example.com>`,
        (l: string) => `Name <${l}@example.com>`,
      )
      .map((shape) => shape(fresh())),
  },
  { weight: 1, arbitrary: fc.string({ maxLength: 40 }) },
);

export const anyValue = fc.oneof(
  fc.constant(null),
  fc.boolean(),
  fc.integer(),
  fc.double(),
  fc.string({ maxLength: 20 }),
  fc.array(fc.integer(), { maxLength: 3 }),
  fc.object({ maxDepth: 2 }),
);

export const hire = fc.record(
  {
    email: fc.oneof({ weight: 9, arbitrary: email }, { weight: 1, arbitrary: anyValue }),
    firstName: fc.oneof({ weight: 9, arbitrary: name }, { weight: 1, arbitrary: anyValue }),
    lastName: fc.oneof({ weight: 8, arbitrary: name }, { weight: 2, arbitrary: anyValue }),
    employeeId: fc.oneof(fc.string({ maxLength: 30 }), fc.integer(), anyValue),
    department: fc.oneof(fc.string({ unit: 'grapheme', maxLength: 300 }), anyValue),
    title: fc.string({ unit: 'grapheme', maxLength: 40 }),
    startDate: fc.oneof(
      fc.date({ noInvalidDate: true }).map((d) => d.toISOString()),
      anyValue,
    ),
    extra: anyValue,
  },
  { requiredKeys: ['email', 'firstName'] },
);

/** A hire that is valid but for its names: most of these are accepted, odd unicode and all. */
export const plausibleHire = fc.record({
  employeeId: fc.string({ maxLength: 12 }),
  firstName: name,
  lastName: name,
  email: fc
    .constantFrom(
      (l: string) => `${l}@example.com`,
      (l: string) => `${l.toUpperCase()}@Example.COM`,
      (l: string) => ` ${l}@example.com\t`,
    )
    .map((shape) => shape(fresh())),
});

export const payload = fc.record(
  {
    type: fc.oneof(
      { weight: 8, arbitrary: fc.constant('employee.hired') },
      { weight: 1, arbitrary: fc.constantFrom('employee.updated', 'Employee.Hired', '') },
      { weight: 1, arbitrary: anyValue },
    ),
    timestamp: fc.oneof(
      fc.date({ noInvalidDate: true }).map((d) => d.toISOString()),
      anyValue,
    ),
    data: fc.oneof(
      { weight: 3, arbitrary: hire },
      { weight: 3, arbitrary: fc.array(hire, { maxLength: 6 }) },
      { weight: 3, arbitrary: plausibleHire },
      { weight: 3, arbitrary: fc.array(plausibleHire, { minLength: 1, maxLength: 5 }) },
      { weight: 1, arbitrary: anyValue },
    ),
  },
  { requiredKeys: [] },
);

/** Header values node:http can send (visible ASCII), with some structure and a lot of noise. */
export const headerText = fc.string({
  unit: fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c)),
  maxLength: 300,
});
