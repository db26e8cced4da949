import type { RequestHandler } from 'express';
import { ipKeyGenerator, MemoryStore, type Options } from 'express-rate-limit';
import type { Logger } from '../logger.js';
import { sendError } from './errors.js';
import { routeOf } from './route-of.js';

/** Wrong admin credentials one client address may send per window before it must wait. */
export const ADMIN_LOGIN_MAX_FAILURES = 10;
export const ADMIN_LOGIN_WINDOW_MS = 15 * 60_000;

export interface AdminLoginLimitOptions {
  readonly logger: Pick<Logger, 'warn'>;
  readonly maxFailures?: number;
  readonly windowMs?: number;
}

/**
 * In front of every `/admin` route: counts the requests from one client address whose admin
 * credentials were refused (401 with an `Authorization` header sent: a browser's first, empty
 * request for the dashboard does not count), logs each (address, route, scheme; never the
 * credentials), and once an address has {@link ADMIN_LOGIN_MAX_FAILURES} in the window answers it
 * 429 with `Retry-After` until the window ends, whatever it sends.
 *
 * - 429, not a slowed 401: admin clients are people and scripts, not webhook senders (which must
 *   never get a 4xx for our reasons), and a delay would hold a connection per guess.
 * - Only failures count, at the end of each request: a dashboard loading twenty assets at once is
 *   never limited. Counted in memory per API process, by express-rate-limit's store (one window per
 *   address, IPv6 by /56), keyed by `req.ip`, so `TRUST_PROXY` applies as for the webhooks.
 * - Guessing a 16+ character token was never practical; this keeps the logs readable and makes a
 *   guessing client visible.
 */
export function createAdminLoginLimit(options: AdminLoginLimitOptions): RequestHandler {
  const maxFailures = options.maxFailures ?? ADMIN_LOGIN_MAX_FAILURES;
  const windowMs = options.windowMs ?? ADMIN_LOGIN_WINDOW_MS;
  const store = new MemoryStore();
  // The store needs only the window of the options a rate limiter would pass it.
  store.init({ windowMs } as Options);
  return async (req, res, next) => {
    const client = req.ip ?? req.socket.remoteAddress ?? 'unknown';
    const key = ipKeyGenerator(client);
    const seen = await store.get(key);
    if (seen !== undefined && seen.totalHits >= maxFailures) {
      const waitMs = Math.max(0, (seen.resetTime?.getTime() ?? Date.now() + windowMs) - Date.now());
      res.setHeader('Retry-After', String(Math.ceil(waitMs / 1000)));
      sendError(
        res,
        429,
        'ERR_RATE_LIMITED',
        `too many wrong admin credentials from this address; try again after Retry-After`,
      );
      return;
    }
    res.once('finish', () => {
      const offered = req.get('authorization');
      if (res.statusCode !== 401 || offered === undefined) return;
      // The scheme only, and only a known one: a header without a scheme is the credential itself.
      const scheme = /^(bearer|basic)\s/i.exec(offered)?.[1]?.toLowerCase() ?? 'other';
      store
        .increment(key)
        .then(({ totalHits }) => {
          options.logger.warn('admin login failed', {
            client,
            method: req.method,
            route: routeOf(req),
            scheme,
            failures: totalHits,
            ...(totalHits >= maxFailures ? { blockedForMs: windowMs } : {}),
          });
        })
        .catch(() => undefined);
    });
    next();
  };
}
