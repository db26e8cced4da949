import { employeeTypeFromName } from './constants.js';
import type { ModelErrors } from './envelope.js';

/**
 * ASP.NET Core model binding as DocSpace's `[ApiController]`s do it with System.Text.Json:
 * property names match case-insensitively, wrong JSON types are binding errors keyed `$.name`,
 * and any binding error also reports the missing `inDto` (ASP.NET Core's model validation of MemberRequestDto and InviteUsersRequestDto).
 */

/** A JSON object as parsed. */
export type JsonObject = Readonly<Record<string, unknown>>;

/** A parsed body, or why it is not JSON. */
export type ParsedBody = { ok: true; value: unknown } | { ok: false; errors: ModelErrors };

const DTO_REQUIRED = { inDto: ['The inDto field is required.'] };

/** Parses a request body; an empty body parses to `undefined`. */
export function parseJsonBody(raw: string): ParsedBody {
  const text = raw.trim();
  if (text === '') return { ok: true, value: undefined };
  try {
    return { ok: true, value: JSON.parse(text) as unknown };
  } catch {
    const first = text[0] ?? '';
    const message = /^[[{"\-0-9tfn]/.test(first)
      ? 'The input does not contain any JSON tokens or is not valid JSON. Path: $ | LineNumber: 0 | BytePositionInLine: 0.'
      : `'${first}' is an invalid start of a value. Path: $ | LineNumber: 0 | BytePositionInLine: 0.`;
    return { ok: false, errors: { $: [message], ...DTO_REQUIRED } };
  }
}

/** The errors for a `[FromBody]` parameter with no body at all. */
export function emptyBodyErrors(): ModelErrors {
  return { '': ['A non-empty request body is required.'], ...DTO_REQUIRED };
}

/** True for a JSON object (not an array, not null). */
export function isJsonObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Reads a property by case-insensitive name; `undefined` when absent. */
export function prop(obj: JsonObject, name: string): unknown {
  const wanted = name.toLowerCase();
  const key = Object.keys(obj).find((k) => k.toLowerCase() === wanted);
  return key === undefined ? undefined : obj[key];
}

/** Collects binding and validation errors for one request. */
export interface Binder {
  readonly errors: ModelErrors;
  readonly add: (key: string, message: string) => void;
  readonly bindingFailed: () => boolean;
}

/** Creates an empty error collection. */
export function createBinder(): Binder {
  const errors: ModelErrors = {};
  let binding = false;
  return {
    errors,
    add: (key, message) => {
      if (key.startsWith('$')) binding = true;
      (errors[key] ??= []).push(message);
    },
    bindingFailed: () => binding,
  };
}

/** Adds `inDto` when binding failed, as ASP.NET does; returns whether there are errors. */
export function finish(binder: Binder): boolean {
  if (binder.bindingFailed()) Object.assign(binder.errors, DTO_REQUIRED);
  return Object.keys(binder.errors).length > 0;
}

/** Binds a `string?` member: a JSON string or null, anything else is a binding error. */
export function bindString(binder: Binder, value: unknown, path: string): string | null {
  if (value === undefined || value === null) return null;
  if (typeof value === 'string') return value;
  binder.add(path, `The JSON value could not be converted to System.String. Path: ${path}.`);
  return null;
}

/** Binds `EmployeeType`: an integer or a name; absent means 0 (`All`). */
export function bindEmployeeType(binder: Binder, value: unknown, path: string): number {
  if (value === undefined) return 0;
  if (typeof value === 'number' && Number.isInteger(value)) return value;
  if (typeof value === 'string') {
    const byName = employeeTypeFromName(value);
    if (byName !== undefined) return byName;
    if (/^\s*-?\d+\s*$/.test(value)) return Number.parseInt(value, 10);
  }
  binder.add(
    path,
    `The JSON value could not be converted to ASC.Core.Users.EmployeeType. Path: ${path}.`,
  );
  return 0;
}

const GUID = /^[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}$/i;

/** Binds `IEnumerable<Guid>`: null when absent; ids come back lower-case with dashes. */
export function bindGuidList(binder: Binder, value: unknown, path: string): string[] | null {
  if (value === undefined || value === null) return null;
  if (!Array.isArray(value)) {
    binder.add(path, `The JSON value could not be converted to System.Guid[]. Path: ${path}.`);
    return null;
  }
  const ids: string[] = [];
  value.forEach((item: unknown, i) => {
    const text = typeof item === 'string' ? item.trim().replace(/^\{|\}$/g, '') : '';
    if (!GUID.test(text)) {
      const at = `${path}[${i}]`;
      binder.add(at, `The JSON value could not be converted to System.Guid. Path: ${at}.`);
      return;
    }
    const hex = text.replace(/-/g, '').toLowerCase();
    ids.push(
      `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`,
    );
  });
  return ids;
}

/**
 * .NET's `[EmailAddress]`: null passes; otherwise exactly one `@`, neither first nor last,
 * and no line breaks. Much laxer than the strict regex `POST /people/invite` applies later.
 */
export function passesEmailAttribute(value: string | null): boolean {
  if (value === null) return true;
  if (/[\r\n]/.test(value)) return false;
  const at = value.indexOf('@');
  return at > 0 && at !== value.length - 1 && at === value.lastIndexOf('@');
}

/** `[StringLength(255)]` message. */
export function stringLengthMessage(member: string): string {
  return `The field ${member} must be a string with a maximum length of 255.`;
}

/** `[EmailAddress]` message. */
export function emailAttributeMessage(member: string): string {
  return `The ${member} field is not a valid e-mail address.`;
}

/** Binds a non-nullable `bool`: absent means false, null or a non-boolean is a binding error. */
export function bindBool(binder: Binder, value: unknown, path: string): boolean {
  if (value === undefined) return false;
  if (typeof value === 'boolean') return value;
  binder.add(path, `The JSON value could not be converted to System.Boolean. Path: ${path}.`);
  return false;
}
