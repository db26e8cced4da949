import type { RequestHandler } from 'express';
import { bearerToken, createTokenCheck } from '../domain/token.js';
import { sendError } from './errors.js';

/**
 * Guards `/admin`: `Authorization: Bearer <ADMIN_TOKEN>`, and with `basic: true` (the dashboard and
 * people pages only) also Basic `admin:<ADMIN_TOKEN>`, what a browser sends once asked. The admin
 * API takes Bearer only: a browser replays cached Basic credentials on any request to the host,
 * cross-site ones included (CSRF), but never a Bearer header it was not told to send. Tokens are
 * compared as SHA-256 digests with `timingSafeEqual`, so neither the token nor its length leaks
 * through timing. When `token` is undefined every `/admin` route answers 404, as if it did not exist.
 */
export function createAdminAuth(
  token: string | undefined,
  options: { basic?: boolean } = {},
): RequestHandler {
  const matches = token === undefined ? undefined : createTokenCheck(token);
  return (req, res, next) => {
    if (matches === undefined) {
      sendError(res, 404, 'ERR_NOT_FOUND', `no route for ${req.method} ${req.path}`);
      return;
    }
    const offered = credential(req.get('authorization'), options.basic === true);
    if (matches(offered)) {
      next();
      return;
    }
    if (options.basic === true)
      res.setHeader('WWW-Authenticate', 'Basic realm="docspace-onboarding", charset="UTF-8"');
    else res.setHeader('WWW-Authenticate', 'Bearer');
    sendError(res, 401, 'ERR_UNAUTHORIZED', 'missing or wrong admin token');
  };
}

/** The token in a Bearer header, or (when allowed) the password of a Basic header of user `admin`. */
function credential(header: string | undefined, basic: boolean): string | undefined {
  const bearer = bearerToken(header);
  if (bearer !== undefined || !basic || header === undefined) return bearer;
  const [scheme, value] = header.split(' ', 2);
  if (value === undefined || scheme?.toLowerCase() !== 'basic') return undefined;
  const decoded = Buffer.from(value.trim(), 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  return colon > 0 && decoded.slice(0, colon) === 'admin' ? decoded.slice(colon + 1) : undefined;
}
