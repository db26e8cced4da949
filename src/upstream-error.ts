import { ServiceError, type ErrorCode } from './errors.js';

/**
 * A call to another system (DocSpace, an HR system's API) that did not succeed. `passing` failures
 * (no answer, timeouts, resets, 408, 425, 429, 5xx) are retried with backoff; `lasting` ones (other
 * 4xx, an answer that does not parse) fail the job at once, with a message that says what to fix.
 */
export class UpstreamError extends ServiceError {
  override name = 'UpstreamError';
  readonly kind: 'passing' | 'lasting';
  readonly status: number | undefined;
  /** From `Retry-After`, when the other side sent one. */
  readonly retryAfterMs: number | undefined;
  /** The request, e.g. `POST /api/2.0/people`, never with query values or bodies. */
  readonly endpoint: string;
  /**
   * The other side's own error text, as it sent it: DocSpace writes it in the API key owner's
   * language. Shown to people; no decision may depend on its wording (DESIGN rule 10), only on
   * data in it (an email address it names).
   */
  readonly upstreamMessage: string | undefined;

  constructor(
    code: ErrorCode,
    init: {
      kind: 'passing' | 'lasting';
      endpoint: string;
      message: string;
      status?: number | undefined;
      retryAfterMs?: number | undefined;
      upstreamMessage?: string | undefined;
      cause?: unknown;
    },
  ) {
    super(code, init.message, { cause: init.cause });
    this.kind = init.kind;
    this.endpoint = init.endpoint;
    this.status = init.status;
    this.retryAfterMs = init.retryAfterMs;
    this.upstreamMessage = init.upstreamMessage;
  }

  /** A 429: the other side asks everyone to slow down. */
  get rateLimited(): boolean {
    return this.status === 429;
  }
}

/** Statuses worth retrying: the server may answer differently later (DESIGN rule 5). */
export function isPassingStatus(status: number): boolean {
  return status === 408 || status === 425 || status === 429 || (status >= 500 && status <= 599);
}

/** Network failures that mean "no answer": retried. */
export const PASSING_CODES: ReadonlySet<string> = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'ECONNABORTED',
  'ETIMEDOUT',
  'EPIPE',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENETDOWN',
  'ERR_SOCKET_CONNECTION_TIMEOUT',
  'ERR_NETWORK',
]);

/** The network error code of a failed request (`ECONNRESET`…), if it has one. */
export function networkCode(err: unknown): string | undefined {
  if (typeof err !== 'object' || err === null || !('code' in err)) return undefined;
  return typeof err.code === 'string' ? err.code : undefined;
}

/** `Retry-After` in seconds or as an HTTP date (RFC 9110 §10.2.3), in milliseconds. */
export function parseRetryAfter(
  value: string | undefined,
  now: () => number = Date.now,
): number | undefined {
  if (value === undefined || value.trim() === '') return undefined;
  if (/^\d+$/.test(value.trim())) return Number(value.trim()) * 1000;
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now());
}
