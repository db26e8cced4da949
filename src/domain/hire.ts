import { z } from 'zod';
import { PayloadError } from '../errors.js';
import { EMAIL_MAX_LENGTH, isValidEmail } from './email.js';
import { hasUsableName } from './names.js';
import { problemsOf } from './problems.js';

/** One new hire, the same whatever system sent it. */
export interface Hire {
  /** Who sent it: `hires` for Standard Webhooks, later the HR provider's name. */
  readonly source: string;
  /** The sender's id for the person (employee id); may be empty when the sender has none. */
  readonly hireId: string;
  readonly email: string;
  readonly firstName: string;
  readonly lastName: string;
  readonly department?: string;
  /** Office or site; matched by the rules file (docs/rules.md). */
  readonly location?: string;
  readonly title?: string;
  readonly startDate?: string;
}

/** A person named by an event about their account (a leaver, a cancelled termination). */
export interface PersonRef {
  readonly source: string;
  /** The sender's id for the person; may be empty when the sender has none. */
  readonly hireId: string;
  readonly email: string;
}

/** A leaver: `employee.terminated`. */
export interface Leaver extends PersonRef {
  /** The day employment ends (`YYYY-MM-DD`); absent: today. */
  readonly terminationDate?: string;
}

/**
 * What an HR system's API shows about a person's employment, read for a leaver event that only
 * named them and again just before their disable (docs/design.md, rule 12;
 * src/domain/hr-termination.ts decides from it whether a termination stands).
 */
export interface EmploymentReading {
  readonly source: string;
  /** The HR system's id for the person (the one its webhooks name). */
  readonly hireId: string;
  readonly email: string;
  /** The termination date the HR system shows (`YYYY-MM-DD`); absent: none. */
  readonly terminationDate?: string;
  /** The (latest) start or hire date: a termination before it belongs to an earlier employment. */
  readonly startDate?: string;
  /**
   * Whether the HR system still shows the person employed, for systems whose flag means that
   * (BambooHR's `status`); absent where no such flag is read.
   */
  readonly active?: boolean;
}

/**
 * What a webhook delivery asks for. Only `hires` is acted on today; movers, leavers and cancelled
 * terminations are checked (a malformed one is refused like any payload) and then answered as
 * ignored until the service handles them.
 */
export type ParsedEvent =
  | { readonly kind: 'hires'; readonly type: 'employee.hired'; readonly hires: readonly Hire[] }
  | { readonly kind: 'updates'; readonly type: 'employee.updated'; readonly hires: readonly Hire[] }
  | {
      readonly kind: 'terminations';
      readonly type: 'employee.terminated';
      readonly leavers: readonly Leaver[];
    }
  | {
      readonly kind: 'cancellations';
      readonly type: 'employee.termination_cancelled';
      readonly people: readonly PersonRef[];
    }
  | { readonly kind: 'ignored'; readonly type: string };

export const MAX_HIRES_PER_DELIVERY = 500;
const MAX_FIELD_LENGTH = 255;

const NOT_TEXT = 'must be a string';
const TOO_LONG = { error: `longer than ${MAX_FIELD_LENGTH}`, abort: true } as const;

/** Required text: absent, null and "" are "required"; trimmed, then at most 255 characters. */
const requiredText = z
  .string({ error: (issue) => (issue.input == null ? 'required' : NOT_TEXT) })
  .refine((value) => value !== '', { error: 'required', abort: true })
  .trim()
  .max(MAX_FIELD_LENGTH, TOO_LONG);

/** Optional text: absent, null and "" (or spaces only) mean "not given". */
const optionalText = z.string({ error: NOT_TEXT }).trim().max(MAX_FIELD_LENGTH, TOO_LONG).nullish();

const email = requiredText
  .refine(isValidEmail, {
    error: `not an address DocSpace accepts (at most ${EMAIL_MAX_LENGTH} characters, name@domain.tld)`,
  })
  .meta({ format: 'email', description: "DocSpace's strict address rule applies" });

const employeeId = z
  .union([z.string().trim().max(MAX_FIELD_LENGTH, TOO_LONG), z.number()], { error: NOT_TEXT })
  .nullish()
  .meta({
    description: "The HR system's id for the person; a number is taken as its decimal text",
  });

/** One person in `employee.hired` and `employee.updated` (the person as they are now). */
export const HireDataSchema = z
  .object(
    {
      email,
      firstName: requiredText.refine(hasUsableName, {
        error: 'has no letters DocSpace accepts (letters, spaces, apostrophes and hyphens)',
      }),
      lastName: optionalText.meta({ description: 'May be empty' }),
      employeeId,
      department: optionalText,
      location: optionalText.meta({ description: 'Office or site, for the rules file' }),
      title: optionalText,
      startDate: optionalText.meta({ description: 'The first day, e.g. 2026-12-01' }),
    },
    { error: 'must be an object' },
  )
  .meta({ id: 'Hire', description: 'Other fields are ignored.' });
export type HireData = z.input<typeof HireDataSchema>;

export const LeaverDataSchema = z
  .object(
    {
      email,
      employeeId,
      terminationDate: z.iso
        .date({ error: 'must be a date as YYYY-MM-DD' })
        .nullish()
        .meta({ description: 'The day employment ends (in HR_TIMEZONE); absent: today' }),
    },
    { error: 'must be an object' },
  )
  .meta({ id: 'Leaver' });
export type LeaverData = z.input<typeof LeaverDataSchema>;

export const PersonRefDataSchema = z
  .object({ email, employeeId }, { error: 'must be an object' })
  .meta({ id: 'PersonRef' });

/** `data`: one item, or an array of 1 to 500. */
function oneOrMany<T extends z.ZodType>(item: T) {
  return z.union(
    [
      item,
      z
        .array(item)
        .min(1, { error: 'empty array' })
        .max(MAX_HIRES_PER_DELIVERY, {
          error: (issue) =>
            `holds ${Array.isArray(issue.input) ? issue.input.length : '?'} hires; at most ${MAX_HIRES_PER_DELIVERY}`,
        }),
    ],
    { error: 'must be an object' },
  );
}

/** Not checked: the signed `webhook-timestamp` header is what is checked for freshness. */
const timestamp = z
  .unknown()
  .optional()
  .meta({ type: 'string', format: 'date-time', description: 'When the HR system sent it' });

const eventOf = <T extends string, D extends z.ZodType>(type: T, data: D) =>
  z.object({ type: z.literal(type), timestamp, data: oneOrMany(data) });

/**
 * The generic payload of `POST /webhooks/hires` (`{type, timestamp, data}`), one schema per event
 * type. Other types are answered 200 `ignored` without a look at `data`.
 */
export const HiresEventSchema = z
  .discriminatedUnion('type', [
    eventOf('employee.hired', HireDataSchema),
    eventOf('employee.updated', HireDataSchema),
    eventOf('employee.terminated', LeaverDataSchema),
    eventOf('employee.termination_cancelled', PersonRefDataSchema),
  ])
  .meta({
    id: 'HiresEvent',
    description: 'Other event types are answered 200 `ignored` and enqueue nothing.',
  });
export type HiresEvent = z.input<typeof HiresEventSchema>;

/**
 * Each event type's schema, the union's own options: `parseHiresEvent` has read the type already,
 * so it runs the one schema (the issues the union would give, which only delegates to it) rather
 * than the union's lookup again (docs/performance.md#intake-levers).
 */
const EVENT_SCHEMAS: ReadonlyMap<string, (typeof HiresEventSchema.options)[number]> = new Map(
  HiresEventSchema.options.map((schema) => [schema.shape.type.value, schema]),
);

/** What every delivery must be, whatever its type: an object with a `type`. */
const EventHead = z.object(
  { type: z.string({ error: 'required' }).min(1, { error: 'required' }) },
  { error: 'the body must be a JSON object' },
);

/**
 * Validates the generic payload (`{type, timestamp, data}`; `data` one item or an array of up to
 * 500). Collects every problem and throws one {@link PayloadError} listing them, so the sender's
 * developer can fix the whole body at once.
 */
export function parseHiresEvent(body: unknown, source = 'hires'): ParsedEvent {
  const type = typeOf(body);
  const schema = EVENT_SCHEMAS.get(type);
  if (schema === undefined) return { kind: 'ignored', type };
  const parsed = schema.safeParse(body);
  if (!parsed.success) throw payloadError(parsed.error);
  const event = parsed.data;
  switch (event.type) {
    case 'employee.hired':
      return { kind: 'hires', type: event.type, hires: listOf(event.data, toHire, source) };
    case 'employee.updated':
      return { kind: 'updates', type: event.type, hires: listOf(event.data, toHire, source) };
    case 'employee.terminated':
      return {
        kind: 'terminations',
        type: event.type,
        leavers: listOf(event.data, toLeaver, source),
      };
    case 'employee.termination_cancelled':
      return { kind: 'cancellations', type: event.type, people: listOf(event.data, toRef, source) };
  }
}

/**
 * The event's `type`. An object whose `type` is text that is not empty passes {@link EventHead}
 * as it is, so only other bodies run it, for its problems.
 */
function typeOf(body: unknown): string {
  if (typeof body === 'object' && body !== null && !Array.isArray(body)) {
    const { type } = body as { type?: unknown };
    if (typeof type === 'string' && type !== '') return type;
  }
  const head = EventHead.safeParse(body);
  if (!head.success) throw payloadError(head.error);
  return head.data.type;
}

function payloadError(error: z.ZodError): PayloadError {
  const problems = problemsOf(error.issues);
  const [first] = problems;
  const message =
    problems.length !== 1 || first === undefined
      ? `the payload has ${problems.length} problem(s)`
      : first.path === ''
        ? first.message
        : `"${first.path}" ${first.message}`;
  return new PayloadError(message, problems);
}

function listOf<D, T>(data: D | readonly D[], map: (item: D, source: string) => T, source: string) {
  return (Array.isArray(data) ? (data as readonly D[]) : [data as D]).map((item) =>
    map(item, source),
  );
}

// The three below build each object with its keys in one order (no spreads of optional parts): a
// batch of 500 hires then costs a few microseconds more than the schema itself (bench/validate.ts).

function hireIdOf(employeeId: string | number | null | undefined): string {
  return employeeId == null ? '' : String(employeeId);
}

function toRef(data: z.output<typeof PersonRefDataSchema>, source: string): PersonRef {
  return { source, hireId: hireIdOf(data.employeeId), email: data.email };
}

function toLeaver(data: z.output<typeof LeaverDataSchema>, source: string): Leaver {
  const leaver: { -readonly [K in keyof Leaver]: Leaver[K] } = {
    source,
    hireId: hireIdOf(data.employeeId),
    email: data.email,
  };
  if (data.terminationDate != null) leaver.terminationDate = data.terminationDate;
  return leaver;
}

function toHire(data: z.output<typeof HireDataSchema>, source: string): Hire {
  const hire: { -readonly [K in keyof Hire]: Hire[K] } = {
    source,
    hireId: hireIdOf(data.employeeId),
    email: data.email,
    firstName: data.firstName,
    lastName: data.lastName ?? '',
  };
  if (given(data.department)) hire.department = data.department;
  if (given(data.location)) hire.location = data.location;
  if (given(data.title)) hire.title = data.title;
  if (given(data.startDate)) hire.startDate = data.startDate;
  return hire;
}

function given(value: string | null | undefined): value is string {
  return value != null && value !== '';
}
