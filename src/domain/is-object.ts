/**
 * Whether `value` is a JSON object (not null, not an array): the one check every reader of
 * untrusted JSON (webhook bodies, HR and DocSpace answers) narrows with before it reads a field.
 */
export function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
