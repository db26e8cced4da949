import type { RequestHandler } from 'express';
import { rateLimit, type AugmentedRequest } from 'express-rate-limit';
import type { Logger } from '../logger.js';
import { sendError } from './errors.js';
import { noteWebhookRejection } from './metrics-route.js';

/** The limit counts deliveries in fixed windows of a minute. */
export const WEBHOOK_RATE_WINDOW_MS = 60_000;

export interface WebhookRateLimitOptions {
  /** Deliveries a minute from one address (`WEBHOOK_RATE_LIMIT_PER_MINUTE`); 0: no limit. */
  readonly perMinute: number;
  readonly logger: Pick<Logger, 'warn' | 'error'>;
}

/**
 * A per-address limit on the webhook routes, checked before anything is read or verified: a
 * flood from one address (a broken sender retrying in a loop, or someone guessing signatures)
 * costs a counter lookup, not a body read and an HMAC.
 *
 * - Keyed by `req.ip`: the connecting address, or with `TRUST_PROXY` set the address the trusted
 *   proxies report (express' `trust proxy`); IPv6 clients count per /56 (express-rate-limit's
 *   default).
 * - Counted in memory, per API process: N processes behind a load balancer allow up to N times
 *   the limit in all. That is enough to stop a flood; an exact shared count would need a Redis
 *   store (another dependency, and a Redis call on every delivery).
 * - Refusals are answered `503` with the JSON error body and `Retry-After` (seconds until the
 *   window ends), plus the IETF `RateLimit`/`RateLimit-Policy` headers. Never `429` (docs/design.md, rule 11):
 *   BambooHR and Personio never deliver again after a 4xx, so a 429 would lose the hire; a 503 is
 *   retried by every sender. Off unless `WEBHOOK_RATE_LIMIT_PER_MINUTE` is set.
 *
 * One line is logged per address and window when it first goes over the limit, not per refusal.
 */
export function createWebhookRateLimit(options: WebhookRateLimitOptions): RequestHandler {
  const { perMinute, logger } = options;
  if (perMinute <= 0) {
    return (_req, _res, next) => {
      next();
    };
  }
  return rateLimit({
    windowMs: WEBHOOK_RATE_WINDOW_MS,
    limit: perMinute,
    standardHeaders: 'draft-8',
    legacyHeaders: false,
    handler: (req, res) => {
      if ((req as AugmentedRequest)['rateLimit']?.used === perMinute + 1) {
        logger.warn('webhook rate limit reached', {
          client: req.ip,
          path: req.path,
          limitPerMinute: perMinute,
        });
      }
      noteWebhookRejection(res, 'rate_limited');
      sendError(
        res,
        503,
        'ERR_RATE_LIMITED',
        `more than ${perMinute} webhook deliveries a minute from this address; deliver again after Retry-After`,
      );
    },
    // express-rate-limit's own checks (such as an X-Forwarded-For header while TRUST_PROXY is 0)
    // report once each, through the service's logger.
    logger: {
      warn: (err: unknown) => {
        logger.warn('webhook rate limit: configuration warning', { error: describe(err) });
      },
      error: (err: unknown) => {
        logger.error('webhook rate limit: configuration problem', { error: describe(err) });
      },
    },
  });
}

function describe(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
