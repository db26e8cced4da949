/**
 * Masking people's data where it is shown or written: the dashboard's job views and every log
 * line (src/logger.ts). Pure string work, no I/O.
 */

/**
 * Anything that can look like an email address in free text. Broader than DocSpace's rule on
 * purpose (better mask a little too much than show a person's address); bounded by the RFC 5321
 * lengths so a long string without a dot cannot make it backtrack for long.
 */
const EMAIL_IN_TEXT =
  /[^\s@"'<>()[\]{},;:\\]{1,64}@[^\s@"'<>()[\]{},;:\\]{1,253}\.[^\s@"'<>()[\]{},;:\\.]{1,63}/gu;
/** Keys whose value is an address (`email`, `workEmail`, `emails`), and keys of people's names. */
const EMAIL_KEY = /e-?mails?$/i;
const NAME_KEY = /^(first|last|given|family|middle|full|preferred|nick)[-_]?name$/i;
const MAX_DEPTH = 32;

/** `alice.smith@example.com` → `a***@e***.com`. */
export function maskEmail(email: string): string {
  const at = email.lastIndexOf('@');
  if (at === -1) return maskName(email);
  const domain = email.slice(at + 1);
  const dot = domain.lastIndexOf('.');
  return `${initial(email.slice(0, at))}***@${initial(domain)}***${dot > 0 ? domain.slice(dot) : ''}`;
}

/** `Alice` → `A***`; an empty name stays empty. */
export function maskName(name: string): string {
  const trimmed = name.trim();
  return trimmed === '' ? '' : `${initial(trimmed)}***`;
}

/** Masks every email address found in `text`. */
export function maskEmails(text: string): string {
  return text.replace(EMAIL_IN_TEXT, maskEmail);
}

/**
 * A copy of `value` with people's data masked: values under email keys and first/last-name keys,
 * and email addresses in any other string or key. Idempotent: masked data stays as it is.
 */
export function maskPii(value: unknown, key = '', depth = 0): unknown {
  if (typeof value === 'string') {
    // A value under an email key is masked even when it is no valid address (`bob@localhost`).
    if (EMAIL_KEY.test(key)) return /^\S+$/u.test(value) ? maskEmail(value) : maskEmails(value);
    return NAME_KEY.test(key) ? maskName(value) : maskEmails(value);
  }
  if (typeof value !== 'object' || value === null) return value;
  if (depth >= MAX_DEPTH) return '[too deep]';
  if (Array.isArray(value)) return value.map((item: unknown) => maskPii(item, key, depth + 1));
  return Object.fromEntries(
    Object.entries(value).map(([k, v]) => [maskEmails(k), maskPii(v, k, depth + 1)]),
  );
}

function initial(text: string): string {
  return Array.from(text)[0] ?? '';
}
