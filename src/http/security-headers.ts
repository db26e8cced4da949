import type { RequestHandler } from 'express';
import helmet from 'helmet';

/**
 * Content-Security-Policy of the JSON answers of the admin API and `/openapi.json`: they are data,
 * never a page, so nothing may load, run or frame them. (The dashboard has its own policy.)
 */
export const JSON_API_CSP: Readonly<Record<string, readonly string[]>> = {
  'default-src': ["'none'"],
  'base-uri': ["'none'"],
  'form-action': ["'none'"],
  'frame-ancestors': ["'none'"],
};

/**
 * Safe headers on the admin JSON API and `/openapi.json`: helmet's set (nosniff, no referrer,
 * same-origin opener and resource policies, HSTS) with a deny-all CSP and `X-Frame-Options: DENY`,
 * and `Cache-Control: no-store`, since admin answers carry people's records and job data that
 * neither a browser nor a proxy should keep.
 */
export function jsonApiSecurityHeaders(): RequestHandler {
  const headers = helmet({
    contentSecurityPolicy: { useDefaults: false, directives: JSON_API_CSP },
    xFrameOptions: { action: 'deny' },
  });
  return (req, res, next) => {
    res.setHeader('Cache-Control', 'no-store');
    headers(req, res, next);
  };
}
