import { PayloadError, type ErrorDetail } from '../errors.js';
import { EMAIL_MAX_LENGTH, isValidEmail } from './email.js';
import { cleanName } from './names.js';
import { isObject } from './is-object.js';

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
  readonly title?: string;
  readonly startDate?: string;
}

/** What a webhook delivery asks for: hires to provision, or an event we do not act on. */
export type ParsedEvent =
  | { readonly kind: 'hires'; readonly type: string; readonly hires: readonly Hire[] }
  | { readonly kind: 'ignored'; readonly type: string };

/** Event types of the generic payload that mean "provision this person". */
export const HIRE_EVENT_TYPES: readonly string[] = ['employee.hired'];
export const MAX_HIRES_PER_DELIVERY = 500;
const MAX_FIELD_LENGTH = 255;

/**
 * Validates the generic payload (docs/hr-systems.md#the-payload) (`{type, timestamp, data}`; `data` one hire or an
 * array of up to 500). Collects every problem and throws one {@link PayloadError} listing them, so
 * the sender's developer can fix the whole body at once.
 */
export function parseHiresEvent(body: unknown, source = 'hires'): ParsedEvent {
  if (!isObject(body)) throw new PayloadError('the body must be a JSON object');
  const type = body['type'];
  if (typeof type !== 'string' || type === '') {
    throw new PayloadError('"type" must be a non-empty string', [
      { path: 'type', message: 'required' },
    ]);
  }
  if (!HIRE_EVENT_TYPES.includes(type)) return { kind: 'ignored', type };

  const data = body['data'];
  const entries = Array.isArray(data) ? data : [data];
  if (Array.isArray(data) && data.length === 0) {
    throw new PayloadError('"data" holds no hire', [{ path: 'data', message: 'empty array' }]);
  }
  if (entries.length > MAX_HIRES_PER_DELIVERY) {
    throw new PayloadError(
      `"data" holds ${entries.length} hires; at most ${MAX_HIRES_PER_DELIVERY}`,
    );
  }
  const problems: ErrorDetail[] = [];
  const hires: Hire[] = [];
  entries.forEach((entry: unknown, index) => {
    const path = Array.isArray(data) ? `data[${index}]` : 'data';
    const hire = parseHire(entry, path, source, problems);
    if (hire !== undefined) hires.push(hire);
  });
  if (problems.length > 0) {
    throw new PayloadError(`the payload has ${problems.length} problem(s)`, problems);
  }
  return { kind: 'hires', type, hires };
}

function parseHire(
  entry: unknown,
  path: string,
  source: string,
  problems: ErrorDetail[],
): Hire | undefined {
  if (!isObject(entry)) {
    problems.push({ path, message: 'must be an object' });
    return undefined;
  }
  const before = problems.length;
  const text = (field: string, required: boolean): string | undefined => {
    const value = entry[field];
    if (value === undefined || value === null || value === '') {
      if (required) problems.push({ path: `${path}.${field}`, message: 'required' });
      return undefined;
    }
    if (typeof value !== 'string' && !(field === 'employeeId' && typeof value === 'number')) {
      problems.push({ path: `${path}.${field}`, message: 'must be a string' });
      return undefined;
    }
    const str = String(value).trim();
    if (str.length > MAX_FIELD_LENGTH) {
      problems.push({ path: `${path}.${field}`, message: `longer than ${MAX_FIELD_LENGTH}` });
      return undefined;
    }
    return str;
  };

  const email = text('email', true);
  if (email !== undefined && !isValidEmail(email)) {
    problems.push({
      path: `${path}.email`,
      message: `not an address DocSpace accepts (at most ${EMAIL_MAX_LENGTH} characters, name@domain.tld)`,
    });
  }
  const firstName = text('firstName', true);
  if (firstName !== undefined && cleanName(firstName) === '') {
    problems.push({
      path: `${path}.firstName`,
      message: 'has no letters DocSpace accepts (letters, spaces, apostrophes and hyphens)',
    });
  }
  const lastName = text('lastName', false) ?? '';
  const hireId = text('employeeId', false) ?? '';
  const department = text('department', false);
  const title = text('title', false);
  const startDate = text('startDate', false);
  if (problems.length > before || email === undefined || firstName === undefined) return undefined;

  return {
    source,
    hireId,
    email,
    firstName,
    lastName,
    ...(department === undefined ? {} : { department }),
    ...(title === undefined ? {} : { title }),
    ...(startDate === undefined ? {} : { startDate }),
  };
}
