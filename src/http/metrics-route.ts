import express, { type RequestHandler, type Response, type Router } from 'express';
import { bearerToken, createTokenCheck, METRICS_UNAUTHORIZED } from '../domain/token.js';
import type { Metrics, WebhookOutcome } from '../metrics.js';
import { sendError } from './errors.js';

/**
 * `GET /metrics`: the Prometheus text of `metrics`, with its registry's content type. Public, as
 * README.md#http has it, unless `token` (`METRICS_TOKEN`) is set: then only `Authorization: Bearer <token>`
 * is answered (Prometheus: `authorization: { credentials: … }` in the scrape config), anything
 * else 401.
 */
export function createMetricsRoute(
  metrics: Pick<Metrics, 'text' | 'contentType'>,
  token?: string,
): Router {
  const router = express.Router();
  const matches = token === undefined ? undefined : createTokenCheck(token);
  router.get('/metrics', async (req, res) => {
    if (matches !== undefined && !matches(bearerToken(req.get('authorization')))) {
      res.setHeader('WWW-Authenticate', 'Bearer');
      sendError(res, 401, 'ERR_UNAUTHORIZED', METRICS_UNAUTHORIZED);
      return;
    }
    const text = await metrics.text();
    res.setHeader('Content-Type', metrics.contentType);
    res.setHeader('Cache-Control', 'no-store');
    res.status(200).send(text);
  });
  return router;
}

const OUTCOME = 'webhookOutcome';

/** Notes how a delivery that was answered 200 ended, for {@link countWebhookOutcome}. */
export function setWebhookOutcome(
  res: Response,
  outcome: Extract<WebhookOutcome, 'accepted' | 'duplicate' | 'ignored'>,
): void {
  res.locals[OUTCOME] = outcome;
}

const REJECTION = 'webhookRejection';

/**
 * Notes why a delivery was refused where its status alone does not tell: several reasons share
 * 503 (Redis away, over the rate limit, the route not configured).
 */
export function noteWebhookRejection(
  res: Response,
  outcome: Extract<WebhookOutcome, 'rate_limited' | 'not_configured'>,
): void {
  res.locals[REJECTION] = outcome;
}

/** Rejections by HTTP status (README.md#http), whichever middleware or handler answered them. */
const REJECTIONS: Readonly<Record<number, WebhookOutcome>> = {
  400: 'bad_request',
  401: 'unauthorized',
  404: 'not_configured',
  413: 'payload_too_large',
  415: 'unsupported_media_type',
  429: 'rate_limited',
  503: 'unavailable',
};

/**
 * Counts each delivery of one webhook route once, when its answer has been sent: the handler's
 * outcome for a 200, otherwise the rejection its status stands for. Counting at `finish` sees the
 * answers of the app's error handler too (401, 400, 413, 503), with no second copy of the
 * error-to-status table. Deliveries whose client went away before the answer are not counted.
 */
export function countWebhookOutcome(
  metrics: Pick<Metrics, 'webhook'>,
  route: string,
): RequestHandler {
  return (_req, res, next) => {
    res.once('finish', () => {
      metrics.webhook(route, outcomeOf(res));
    });
    next();
  };
}

function outcomeOf(res: Response): WebhookOutcome {
  const noted: unknown = res.locals[OUTCOME];
  if (res.statusCode < 400) return typeof noted === 'string' ? (noted as WebhookOutcome) : 'error';
  const rejection: unknown = res.locals[REJECTION];
  if (typeof rejection === 'string') return rejection as WebhookOutcome;
  return REJECTIONS[res.statusCode] ?? (res.statusCode >= 500 ? 'error' : 'rejected');
}
