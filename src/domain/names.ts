/**
 * DocSpace's name rule (`core:username:regex` = `^[\p{L}\p{M}' \-]+$`, DocSpace-buildtools
 * config/appsettings.json) and its 64-character database columns. HR systems send names with
 * digits, dots, commas, parentheses and emoji; DocSpace answers 400 "Incorrect firstname or lastname"
 * to all of them, so names are cleaned here rather than failed.
 */
export const NAME_MAX_LENGTH = 64;

const VALID_NAME = /^[\p{L}\p{M}' -]+$/u;
const TYPOGRAPHIC_APOSTROPHES = /[\u2018\u2019\u02BC\u0060\u00B4]/gu;
const DASHES = /[\u2010-\u2015\u2212_]/gu;
const SEPARATORS = /[.,;:/\\()[\]{}"&+|]/gu;
const DISALLOWED = /[^\p{L}\p{M}' -]/gu;

/** True when DocSpace takes `name` unchanged. */
export function isValidName(name: string): boolean {
  return codePoints(name) <= NAME_MAX_LENGTH && VALID_NAME.test(name);
}

/**
 * Makes `raw` acceptable to DocSpace: NFC-normalizes, maps typographic apostrophes and dashes to
 * their ASCII forms, turns separators (dots, commas, brackets…) into spaces, drops every other
 * character the rule refuses (digits, emoji, symbols), collapses spaces, trims stray hyphens and
 * apostrophes at the ends, and cuts to 64 characters without splitting a combining sequence.
 * Returns '' when nothing usable is left.
 *
 * @example cleanName('Jean-Luc (J.L.) Picard 3rd') === 'Jean-Luc J L Picard rd'
 */
export function cleanName(raw: string): string {
  let name = raw
    .normalize('NFC')
    .replace(TYPOGRAPHIC_APOSTROPHES, "'")
    .replace(DASHES, '-')
    .replace(SEPARATORS, ' ')
    .replace(/\s+/gu, ' ')
    .replace(DISALLOWED, '')
    .replace(/ {2,}/gu, ' ')
    .replace(/^[\s'-]+|[\s'-]+$/gu, '');
  if (codePoints(name) > NAME_MAX_LENGTH) {
    name = truncateGraphemes(name, NAME_MAX_LENGTH).replace(/[\s'-]+$/u, '');
  }
  return name;
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
