import { z } from 'zod';

/**
 * The kinds of setting the service reads from the environment, as zod schemas: `loadConfig`
 * (src/config.ts), the Redis topology (src/redis-settings.ts) and the HR systems
 * (src/providers/settings.ts) build their one schema from these. Each takes a string or
 * `undefined` (unset; {@link readEnv} has already trimmed values and dropped blank ones) and
 * words its problem as it will be shown at start (`- NAME: problem`). A value is echoed only where
 * it is not a secret.
 */

/** A whole number in a range, `fallback` when unset. */
export function wholeNumber(fallback: number, min: number, max: number) {
  const message = (issue: { readonly input?: unknown }) =>
    `must be a whole number from ${min} to ${max}, got "${String(issue.input)}"`;
  return z
    .string()
    .regex(/^\d+$/, { error: message })
    .transform(Number)
    .pipe(z.number().min(min, { error: message }).max(max, { error: message }))
    .default(fallback);
}

/** A whole number in a range, `undefined` when unset. */
export function optionalWholeNumber(min: number, max: number) {
  const message = (issue: { readonly input?: unknown }) =>
    `must be a whole number from ${min} to ${max}, got "${String(issue.input)}"`;
  return z
    .string()
    .regex(/^\d+$/, { error: message })
    .transform(Number)
    .pipe(z.number().min(min, { error: message }).max(max, { error: message }))
    .optional();
}

/** One of `values`, `fallback` when unset. */
export function oneOf<const T extends readonly [string, ...string[]]>(
  values: T,
  fallback: T[number],
) {
  return z
    .enum(values, {
      error: (issue) => `must be one of ${values.join(', ')}, got "${String(issue.input)}"`,
    })
    .default(fallback);
}

/**
 * A URL with one of `protocols`, trailing slashes removed. Shown without its password when wrong.
 * `required` words the problem when it is unset; without it, unset is `undefined`.
 */
export function url(protocols: readonly string[], required?: string) {
  const base = z.string({
    error: (issue) => (issue.input === undefined && required !== undefined ? required : undefined),
  });
  return base
    .refine((raw) => hasProtocol(raw, protocols), {
      error: (issue) =>
        `must be a ${protocols.join(' or ')} URL, got "${redactUrl(String(issue.input))}"`,
    })
    .transform((raw) => raw.replace(/\/+$/, ''));
}

/** A secret that must be long enough to be unguessable; never echoed. */
export function longSecret(message = 'must be at least 16 characters') {
  return z.string().min(16, { error: message }).optional();
}

/** The environment as the schemas read it: `names` only, trimmed, blank values left out. */
export function readEnv(
  env: NodeJS.ProcessEnv,
  names: Iterable<string>,
): Record<string, string | undefined> {
  const values: Record<string, string | undefined> = {};
  for (const name of names) {
    const value = env[name]?.trim();
    values[name] = value === '' ? undefined : value;
  }
  return values;
}

function hasProtocol(raw: string, protocols: readonly string[]): boolean {
  try {
    return protocols.includes(new URL(raw).protocol);
  } catch {
    return false;
  }
}

/** Hides a password in a URL before it is shown in an error. */
function redactUrl(raw: string): string {
  // Everything up to the last "@": passwords may themselves hold "@" or "/".
  return raw.includes('@') ? raw.replace(/\/\/.*@/s, '//***@') : raw;
}
