import type { ErrorRequestHandler, RequestHandler, Response } from 'express';
import { z } from 'zod';
import { ServiceError, type ErrorCode, type ErrorDetail } from '../errors.js';
import type { Logger } from '../logger.js';
import { routeOf } from './route-of.js';

/** HTTP status of each error code; the one place the edge maps errors (house style). */
const STATUS: Partial<Record<ErrorCode, number>> = {
  ERR_SIGNATURE: 401,
  ERR_PAYLOAD: 400,
  ERR_BODY_TOO_LARGE: 413,
  ERR_UNSUPPORTED_MEDIA_TYPE: 415,
  ERR_QUEUE_UNAVAILABLE: 503,
  ERR_UNAVAILABLE: 503,
  ERR_NOT_FOUND: 404,
  ERR_UNAUTHORIZED: 401,
  ERR_FORBIDDEN: 403,
  ERR_CONFLICT: 409,
  ERR_NOT_CONFIGURED: 503,
  ERR_RATE_LIMITED: 429,
};

/**
 * body-parser's error types, as our codes. A body that did not arrive whole (the connection broke,
 * or fewer bytes came than announced) is trouble on the way, not a wrong delivery: 503, so the
 * sender delivers it again (docs/design.md, rule 11); as are body-parser's own stream errors.
 */
const BODY_PARSER: Record<string, [ErrorCode, string]> = {
  'entity.too.large': ['ERR_BODY_TOO_LARGE', 'the body is larger than 1 MiB'],
  'encoding.unsupported': ['ERR_UNSUPPORTED_MEDIA_TYPE', 'unsupported Content-Encoding'],
  'charset.unsupported': ['ERR_UNSUPPORTED_MEDIA_TYPE', 'unsupported charset; send UTF-8'],
  'request.aborted': ['ERR_UNAVAILABLE', 'the body did not arrive whole; deliver again'],
  'request.size.invalid': [
    'ERR_UNAVAILABLE',
    'the body did not match its Content-Length (cut on the way?); deliver again',
  ],
  'stream.encoding.set': ['ERR_UNAVAILABLE', 'the body could not be read; deliver again'],
  'stream.not.readable': ['ERR_UNAVAILABLE', 'the body could not be read; deliver again'],
};

/**
 * Webhook routes: whatever goes wrong on our side is answered 503 with `Retry-After`, never 500
 * (docs/design.md, rule 11: load, outages and our own trouble are 503, so every sender delivers again).
 */
const WEBHOOKS = /^\/webhooks(\/|$)/;

/** The error body of every failed request: `{"error":{"code","message","details"}}`. */
export const ErrorBody = z
  .object({
    error: z.object({
      code: z.string().regex(/^ERR_/).meta({ description: 'Stable, for machines' }),
      message: z.string().meta({ description: 'For people' }),
      details: z
        .array(z.object({ path: z.string(), message: z.string() }))
        .readonly()
        .meta({ description: 'Every problem found, where and what (empty when not about input)' }),
    }),
  })
  .meta({ id: 'Error' });

/** Writes the error body ({@link ErrorBody}). */
export function sendError(
  res: Response,
  status: number,
  code: ErrorCode,
  message: string,
  details: readonly ErrorDetail[] = [],
): void {
  // A limiter that knows when its window ends has set its own Retry-After already.
  if (status === 503 && !res.hasHeader('Retry-After')) res.setHeader('Retry-After', '5');
  res
    .status(status)
    .json({ error: { code, message, details } } satisfies z.input<typeof ErrorBody>);
}

/** The last middleware: every error becomes a JSON answer; 5xx are logged at error, 4xx at info. */
export function createErrorHandler(logger: Logger): ErrorRequestHandler {
  return (err: unknown, req, res, next) => {
    if (res.headersSent) {
      next(err);
      return;
    }
    const described = describe(err);
    const ours = described.status >= 500 && WEBHOOKS.test(req.path);
    const { code, message, details } = described;
    const status = ours ? 503 : described.status;
    // The route pattern, never the path: `/admin/hires/<email>` would put an address in the log.
    const meta = { method: req.method, route: routeOf(req), status, code };
    if (status >= 500) {
      logger.error('request failed', {
        ...meta,
        error: err instanceof Error ? err.message : String(err),
      });
    } else {
      logger.info('request rejected', { ...meta, reason: message });
    }
    sendError(res, status, code, message, details);
  };
}

/** Answers unknown routes with the JSON error body rather than Express' HTML page. */
export const notFound: RequestHandler = (req, res) => {
  sendError(res, 404, 'ERR_NOT_FOUND', `no route for ${req.method} ${req.path}`);
};

function describe(err: unknown): {
  status: number;
  code: ErrorCode;
  message: string;
  details: readonly ErrorDetail[];
} {
  if (err instanceof ServiceError) {
    return {
      status: STATUS[err.code] ?? 500,
      code: err.code,
      message: err.message,
      details: err.details,
    };
  }
  if (typeof err === 'object' && err !== null && 'type' in err && typeof err.type === 'string') {
    const mapped = BODY_PARSER[err.type];
    if (mapped !== undefined) {
      const [code, message] = mapped;
      return { status: STATUS[code] ?? 400, code, message, details: [] };
    }
  }
  // body-parser's decoding errors (a corrupt gzip, deflate or br body) carry a 4xx status, no type.
  if (
    typeof err === 'object' &&
    err !== null &&
    'status' in err &&
    typeof err.status === 'number' &&
    err.status >= 400 &&
    err.status < 500
  ) {
    return {
      status: 400,
      code: 'ERR_PAYLOAD',
      message: 'the body could not be decoded; check its Content-Encoding',
      details: [],
    };
  }
  if (isRedisUnavailable(err)) {
    return {
      status: 503,
      code: 'ERR_QUEUE_UNAVAILABLE',
      message: 'Redis is unavailable; try again later',
      details: [],
    };
  }
  return { status: 500, code: 'ERR_INTERNAL', message: 'internal error', details: [] };
}

/**
 * ioredis' ways of saying "no connection" (offline queue off, retries used up, closed), and those
 * of a failover in progress: no sentinel answers, the server just became a replica (`READONLY`),
 * a Cluster that is down or whose slots cannot be read.
 */
const REDIS_UNAVAILABLE = new RegExp(
  [
    "Stream isn't writeable",
    'Connection is closed',
    'enableOfflineQueue',
    'ECONNREFUSED',
    'Command timed out',
    'All sentinels are unreachable',
    '^READONLY ',
    '^CLUSTERDOWN ',
    'None of startup nodes is available',
    'Failed to refresh slots cache',
  ].join('|'),
);

function isRedisUnavailable(err: unknown): boolean {
  if (!(err instanceof Error)) return false;
  return err.name === 'MaxRetriesPerRequestError' || REDIS_UNAVAILABLE.test(err.message);
}
