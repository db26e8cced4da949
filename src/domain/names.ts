/**
 * DocSpace's name rule (`core:username:regex` = `^[\p{L}\p{M}' \-]+$`, DocSpace-buildtools
 * config/appsettings.json) and its 64-character database columns. HR systems send names with
 * digits, dots, commas, parentheses and emoji; DocSpace answers 400 "Incorrect firstname or lastname"
 * to all of them, so names are cleaned here rather than failed.
 */
export const NAME_MAX_LENGTH = 64;

/**
 * Longest raw name cleaned, in UTF-16 code units; the rest is cut before any pattern runs. Names
 * reach the worker from HR APIs and Greenhouse payloads without a length check, and no real name
 * with its titles, digits and emoji needs more to leave 64 characters.
 */
export const NAME_INPUT_MAX_LENGTH = 1024;

/**
 * Letters and marks of the Basic Multilingual Plane only: DocSpace is .NET, whose Regex compares
 * UTF-16 code units one at a time, so a letter beyond U+FFFF (two surrogates, category Cs) never
 * matches `\p{L}` there (dotnet/runtime#36425) and `𝔄𝔩𝔦𝔠𝔢` is refused with 400.
 */
const VALID_NAME = /^[\p{L}\p{M}' -]+$/u;
const BEYOND_BMP = /[\u{10000}-\u{10FFFF}]/u;
const TYPOGRAPHIC_APOSTROPHES = /[\u2018\u2019\u02BC\u0060\u00B4]/gu;
const DASHES = /[\u2010-\u2015\u2212_]/gu;
const SEPARATORS = /[.,;:/\\()[\]{}"&+|]/gu;
const DISALLOWED = /[^\p{L}\p{M}' -]|[\u{10000}-\u{10FFFF}]/gu;

/** True when DocSpace takes `name` unchanged. */
export function isValidName(name: string): boolean {
  return codePoints(name) <= NAME_MAX_LENGTH && VALID_NAME.test(name) && !BEYOND_BMP.test(name);
}

/**
 * Makes `raw` acceptable to DocSpace: NFC-normalizes, maps typographic apostrophes and dashes to
 * their ASCII forms, turns separators (dots, commas, brackets…) into spaces, drops every other
 * character the rule refuses (digits, emoji, symbols, letters beyond U+FFFF), collapses spaces, trims stray hyphens and
 * apostrophes at the ends, and cuts to 64 characters without splitting a combining sequence.
 * Only the first {@link NAME_INPUT_MAX_LENGTH} code units are read. Returns '' when nothing usable
 * is left.
 *
 * @example cleanName('Jean-Luc (J.L.) Picard 3rd') === 'Jean-Luc J L Picard rd'
 */
export function cleanName(raw: string): string {
  let name = raw
    .slice(0, NAME_INPUT_MAX_LENGTH)
    .normalize('NFC')
    .replace(TYPOGRAPHIC_APOSTROPHES, "'")
    .replace(DASHES, '-')
    .replace(SEPARATORS, ' ')
    .replace(/\s+/gu, ' ')
    .replace(DISALLOWED, '')
    .replace(/ {2,}/gu, ' ');
  name = trimEnds(name);
  if (codePoints(name) > NAME_MAX_LENGTH) name = trimEnds(truncateGraphemes(name, NAME_MAX_LENGTH));
  return name;
}

/**
 * A name of ASCII letters, spaces, apostrophes and hyphens that starts with a letter, as most are:
 * {@link cleanName} keeps at least its first letter, so it is usable without being cleaned.
 */
const PLAIN_NAME = /^[A-Za-z][A-Za-z' -]*$/;

/**
 * True when {@link cleanName} leaves something of `raw` (what intake checks of a first name),
 * without cleaning the plain names most are (docs/performance.md#intake-levers).
 */
export function hasUsableName(raw: string): boolean {
  return PLAIN_NAME.test(raw) || cleanName(raw) !== '';
}

/** What may not start or end a name (after cleaning only these, letters and marks are left). */
const END_JUNK = new Set([' ', "'", '-']);

/**
 * Drops spaces, apostrophes and hyphens at both ends by walking in from each end: linear, where
 * `[\s'-]+$` is quadratic (a long run of them before a letter is retried from every position).
 */
function trimEnds(value: string): string {
  let start = 0;
  let end = value.length;
  while (start < end && END_JUNK.has(value.charAt(start))) start += 1;
  while (end > start && END_JUNK.has(value.charAt(end - 1))) end -= 1;
  return value.slice(start, end);
}

/** Cuts to at most `max` code points (MySQL counts characters), never inside a grapheme cluster. */
function truncateGraphemes(value: string, max: number): string {
  const segmenter = new Intl.Segmenter(undefined, { granularity: 'grapheme' });
  let out = '';
  for (const { segment } of segmenter.segment(value)) {
    if (codePoints(out) + codePoints(segment) > max) break;
    out += segment;
  }
  return out;
}

/** Length in code points, as MySQL's varchar counts characters. */
function codePoints(value: string): number {
  return Array.from(value).length;
}
