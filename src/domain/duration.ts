import { PayloadError } from '../errors.js';

const UNIT_MS = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;
type Unit = keyof typeof UNIT_MS;

/** The longest duration accepted: failed jobs are not kept for longer than a year in practice. */
const MAX_MS = 366 * UNIT_MS.d;

/**
 * Parses an operator's duration (`90s`, `30m`, `2h`, `7d`) into milliseconds. Only a whole positive
 * number and one unit: "replay what failed in the last 2h" needs no more, and a typo such as `2hr`
 * or `1.5h` is refused rather than guessed, because the value decides which jobs are replayed.
 * @throws PayloadError naming `path` (the query parameter or flag) when `text` is not a duration.
 */
export function parseDuration(text: string, path = 'since'): number {
  const match = /^(\d{1,9})([smhd])$/i.exec(text.trim());
  const amount = Number(match?.[1]);
  const unit = match?.[2]?.toLowerCase() as Unit | undefined;
  const ms = unit === undefined ? NaN : amount * UNIT_MS[unit];
  if (!Number.isFinite(ms) || ms <= 0 || ms > MAX_MS) {
    const message = `must be a whole number of s, m, h or d (e.g. 90s, 30m, 2h, 7d), at most 366d; got "${text}"`;
    throw new PayloadError(`invalid duration for ${path}`, [{ path, message }]);
  }
  return ms;
}
