/**
 * HR dates (`YYYY-MM-DD`, a day in `HR_TIMEZONE`) as instants, with the platform's own time-zone
 * data (Intl): a start date begins at 00:00 of that day in the zone, a termination date ends at
 * 00:00 of the next day (docs/design.md, rules 12 and 14). Days are calendar days: across a
 * daylight-saving change a "day" is 23 or 25 hours long.
 */

export const DAY_PATTERN = /^(\d{4})-(\d{2})-(\d{2})$/;

/** Whether `zone` is an IANA time zone this runtime knows (e.g. `Europe/Berlin`, `UTC`). */
export function isTimeZone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

/** The calendar day (`YYYY-MM-DD`) it is in `zone` at `at` (ms since the epoch). */
export function dayIn(zone: string, at: number): string {
  const parts = partsIn(zone, at);
  return `${pad(parts.year, 4)}-${pad(parts.month, 2)}-${pad(parts.day, 2)}`;
}

/**
 * The day an HR system's date names: `YYYY-MM-DD`, or the date part of an ISO date-time
 * (`2026-12-01T00:00:00Z` is read as 1 December, the day HR meant). Undefined when it is no date.
 */
export function hrDay(value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  const day = value.trim().slice(0, 10);
  const match = DAY_PATTERN.exec(day);
  if (match === null) return undefined;
  const [y, m, d] = [Number(match[1]), Number(match[2]), Number(match[3])];
  const check = new Date(Date.UTC(y, m - 1, d));
  return check.getUTCFullYear() === y && check.getUTCMonth() === m - 1 && check.getUTCDate() === d
    ? day
    : undefined;
}

/** `day` moved by `days` calendar days. */
export function addDays(day: string, days: number): string {
  const [y, m, d] = splitDay(day);
  const moved = new Date(Date.UTC(y, m - 1, d + days));
  return `${pad(moved.getUTCFullYear(), 4)}-${pad(moved.getUTCMonth() + 1, 2)}-${pad(moved.getUTCDate(), 2)}`;
}

/**
 * The instant `day` begins in `zone`: its 00:00, or where a zone skips midnight (a DST change at
 * 00:00), the first instant of that day.
 */
export function startOfDay(day: string, zone: string): number {
  const [y, m, d] = splitDay(day);
  const wall = Date.UTC(y, m - 1, d);
  // Two rounds settle the offset, as it may differ between the guess and the answer (DST).
  let at = wall - offsetAt(zone, wall);
  at = wall - offsetAt(zone, at);
  // A skipped midnight lands on the previous day's evening: the day begins at the jump.
  while (dayIn(zone, at) < day) at += 15 * 60_000;
  while (dayIn(zone, at - 1) === day) at -= 15 * 60_000;
  return at;
}

/** The instant `day` has ended in `zone`: the start of the next day. */
export function endOfDay(day: string, zone: string): number {
  return startOfDay(addDays(day, 1), zone);
}

/** When a termination takes effect: the end of `terminationDate` (absent: today) in `zone`. */
export function terminationEffectiveAt(
  terminationDate: string | undefined,
  zone: string,
  now: number,
): number {
  return endOfDay(hrDay(terminationDate) ?? dayIn(zone, now), zone);
}

/**
 * When a joiner's account is made with `leadDays` set: 00:00 in `zone`, `leadDays` days before
 * `startDate`. Undefined (at once) without a lead, without a readable start date, or when that
 * instant is not after `now`.
 */
export function provisionAt(
  startDate: string | undefined,
  leadDays: number | undefined,
  zone: string,
  now: number,
): number | undefined {
  if (leadDays === undefined) return undefined;
  const day = hrDay(startDate);
  if (day === undefined) return undefined;
  const at = startOfDay(addDays(day, -leadDays), zone);
  return at > now ? at : undefined;
}

function splitDay(day: string): [number, number, number] {
  const match = DAY_PATTERN.exec(day);
  if (match === null) throw new RangeError(`not a day (YYYY-MM-DD): ${day}`);
  return [Number(match[1]), Number(match[2]), Number(match[3])];
}

const formats = new Map<string, Intl.DateTimeFormat>();

function partsIn(zone: string, at: number) {
  let format = formats.get(zone);
  if (format === undefined) {
    format = new Intl.DateTimeFormat('en-US', {
      timeZone: zone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
    formats.set(zone, format);
  }
  const value: Record<string, number> = {};
  for (const part of format.formatToParts(at)) {
    if (part.type !== 'literal') value[part.type] = Number(part.value);
  }
  return {
    year: value['year'] ?? 0,
    month: value['month'] ?? 0,
    day: value['day'] ?? 0,
    hour: value['hour'] ?? 0,
    minute: value['minute'] ?? 0,
    second: value['second'] ?? 0,
  };
}

/** How far `zone`'s wall clock is ahead of UTC at `at` (ms; whole seconds). */
function offsetAt(zone: string, at: number): number {
  const p = partsIn(zone, at);
  const wall = Date.UTC(p.year, p.month - 1, p.day, p.hour, p.minute, p.second);
  return wall - Math.floor(at / 1000) * 1000;
}

function pad(value: number, width: number): string {
  return String(value).padStart(width, '0');
}
