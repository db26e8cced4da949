import { createHash, timingSafeEqual } from 'node:crypto';

/** What a scrape without the right `METRICS_TOKEN` is told (the API's and the worker's alike). */
export const METRICS_UNAUTHORIZED =
  'missing or wrong metrics token (METRICS_TOKEN, sent as Bearer)';

/**
 * A check of an offered token against `token` (ADMIN_TOKEN, METRICS_TOKEN). Both sides are compared
 * as SHA-256 digests with `timingSafeEqual`, so neither the token nor its length leaks through
 * timing.
 */
export function createTokenCheck(token: string): (offered: string | undefined) => boolean {
  const expected = digest(token);
  return (offered) => offered !== undefined && timingSafeEqual(digest(offered), expected);
}

/** The token of an `Authorization: Bearer <token>` header (scheme in any case), else undefined. */
export function bearerToken(header: string | undefined): string | undefined {
  if (header === undefined) return undefined;
  const [scheme, value] = header.split(' ', 2);
  return value !== undefined && scheme?.toLowerCase() === 'bearer' ? value.trim() : undefined;
}

function digest(value: string): Buffer {
  return createHash('sha256').update(value).digest();
}
