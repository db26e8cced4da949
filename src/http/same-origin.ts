import type { RequestHandler } from 'express';
import type { Logger } from '../logger.js';
import { sendError } from './errors.js';
import { routeOf } from './route-of.js';

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * Refuses changes (non-GET) sent from another site, the check Go 1.25's `CrossOriginProtection`
 * makes: `Sec-Fetch-Site` must be `same-origin` (or `none`: typed by the user); browsers without it
 * send `Origin`, whose host must be ours. Requests with neither come from tools such as curl or the
 * replay command line, which cannot ride on a browser's stored Basic credentials. Tokens
 * (csrf-csrf) would add nothing over this for pages that have no cookies and no forms.
 *
 * Every state-changing `/admin` route is behind it: the dashboard, whose browser holds Basic
 * credentials, and the admin API, so a route that ever takes those credentials stays safe too.
 * Changes let through are logged with the route pattern (never the path, which may hold an email).
 *
 * @param area names the guarded part in logs and answers (`dashboard`, `admin API`).
 */
export function sameOriginChanges(
  logger: Pick<Logger, 'info' | 'warn'>,
  area: string,
): RequestHandler {
  return (req, res, next) => {
    if (SAFE_METHODS.has(req.method)) {
      next();
      return;
    }
    const site = req.get('sec-fetch-site');
    const origin = req.get('origin');
    const allowed =
      site !== undefined
        ? site === 'same-origin' || site === 'none'
        : origin === undefined || hostOf(origin) === req.get('host');
    if (!allowed) {
      logger.warn(`${area} change refused: cross-site`, {
        method: req.method,
        ...(site === undefined ? {} : { secFetchSite: site }),
      });
      sendError(res, 403, 'ERR_FORBIDDEN', `cross-site request refused (${area})`);
      return;
    }
    res.on('finish', () => {
      logger.info(`${area} change`, {
        method: req.method,
        route: routeOf(req),
        status: res.statusCode,
      });
    });
    next();
  };
}

function hostOf(origin: string): string | undefined {
  try {
    return new URL(origin).host;
  } catch {
    return undefined;
  }
}
