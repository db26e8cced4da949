/**
 * Every error the service raises on purpose, in one place: a {@link ServiceError} base and one leaf
 * class per kind, each with a stable `ERR_*` code, so logs, HTTP answers and job failure reasons
 * can be matched by machines as well as read by people. The HTTP status of each code is mapped at
 * the edge (src/http/errors.ts); which answers count as passing is src/retry-table.ts.
 */
export type ErrorCode =
  | 'ERR_CONFIG'
  | 'ERR_SIGNATURE'
  | 'ERR_PAYLOAD'
  | 'ERR_BODY_TOO_LARGE'
  | 'ERR_UNSUPPORTED_MEDIA_TYPE'
  | 'ERR_QUEUE_UNAVAILABLE'
  | 'ERR_UNAVAILABLE'
  | 'ERR_NOT_FOUND'
  | 'ERR_UNAUTHORIZED'
  | 'ERR_FORBIDDEN'
  | 'ERR_CONFLICT'
  | 'ERR_NOT_CONFIGURED'
  | 'ERR_RATE_LIMITED'
  | 'ERR_INTERNAL'
  | 'ERR_DOCSPACE_PASSING'
  | 'ERR_DOCSPACE_LASTING'
  | 'ERR_DOCSPACE_CIRCUIT_OPEN'
  | 'ERR_HR_API_PASSING'
  | 'ERR_HR_API_LASTING'
  | 'ERR_HIRE_INVALID';

/** One problem found in a request or a setting: where, and what is wrong. */
export interface ErrorDetail {
  readonly path: string;
  readonly message: string;
}

/** Base of the service's own errors. */
export class ServiceError extends Error {
  override name = 'ServiceError';
  readonly code: ErrorCode;
  readonly details: readonly ErrorDetail[];

  constructor(
    code: ErrorCode,
    message: string,
    options?: { cause?: unknown; details?: readonly ErrorDetail[] },
  ) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.details = options?.details ?? [];
  }
}

/** Settings that cannot work; lists every problem at once so one restart fixes them all. */
export class ConfigError extends ServiceError {
  override name = 'ConfigError' as const;

  constructor(details: readonly ErrorDetail[]) {
    super(
      'ERR_CONFIG',
      `invalid settings:\n${details.map((d) => `  - ${d.path}: ${d.message}`).join('\n')}`,
      { details },
    );
  }
}

/** A webhook whose signature is missing, wrong or stale: answered 401. */
export class SignatureError extends ServiceError {
  override name = 'SignatureError' as const;

  constructor(message: string) {
    super('ERR_SIGNATURE', message);
  }
}

/** A webhook body that is not JSON or not a valid hire payload: answered 400. */
export class PayloadError extends ServiceError {
  override name = 'PayloadError' as const;

  constructor(message: string, details: readonly ErrorDetail[] = []) {
    super('ERR_PAYLOAD', message, { details });
  }
}

/** Redis could not take the delivery: answered 503 so the sender delivers it again. */
export class QueueUnavailableError extends ServiceError {
  override name = 'QueueUnavailableError' as const;

  constructor(cause: unknown) {
    super('ERR_QUEUE_UNAVAILABLE', 'the queue (Redis) is unavailable; deliver again later', {
      cause,
    });
  }
}

/** Whether a failed call may succeed later (`passing`: retried) or not (`lasting`: fails the job). */
export type FailureKind = 'passing' | 'lasting';

/** What an {@link UpstreamError} knows about the failed call. */
export interface UpstreamFailure {
  readonly kind: FailureKind;
  /** The request, e.g. `POST /api/2.0/people`, never with query values or bodies. */
  readonly endpoint: string;
  /** Our own sentence for people (logs, job failure reasons); never parsed by code. */
  readonly message: string;
  readonly status?: number | undefined;
  readonly retryAfterMs?: number | undefined;
  readonly upstreamMessage?: string | undefined;
  readonly cause?: unknown;
}

/**
 * A call to another system (DocSpace, an HR system's API) that did not succeed. `passing` failures
 * (no answer, timeouts, resets, 408, 425, 429, 5xx) are retried with backoff; `lasting` ones (other
 * 4xx, an answer that does not parse) fail the job at once, with a message that says what to fix.
 * Code reads the fields (`kind`, `status`, `upstreamMessage`), never `message`.
 */
export class UpstreamError extends ServiceError {
  override name = 'UpstreamError';
  readonly kind: FailureKind;
  readonly status: number | undefined;
  /** From `Retry-After`, when the other side sent one. */
  readonly retryAfterMs: number | undefined;
  /** The request, e.g. `POST /api/2.0/people`, never with query values or bodies. */
  readonly endpoint: string;
  /**
   * The other side's own error text, as it sent it: DocSpace writes it in the API key owner's
   * language. Shown to people; no decision may depend on its wording (docs/design.md, rule 10), only on
   * data in it (an email address it names).
   */
  readonly upstreamMessage: string | undefined;

  constructor(code: ErrorCode, init: UpstreamFailure) {
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

/**
 * A DocSpace call that did not succeed (see {@link UpstreamError}). A 429 from DocSpace makes every
 * worker hold its DocSpace requests, not only the one that saw it.
 */
export class DocspaceError extends UpstreamError {
  override name = 'DocspaceError' as const;

  constructor(init: UpstreamFailure) {
    super(init.kind === 'passing' ? 'ERR_DOCSPACE_PASSING' : 'ERR_DOCSPACE_LASTING', init);
  }
}

/**
 * The shared DocSpace circuit is open (or a probe is out): this request was not sent. A passing
 * failure with its own code, whose `Retry-After` is what is left of the wait; its job goes back to
 * waiting without using an attempt (docs/reliability.md).
 */
export class CircuitOpenError extends UpstreamError {
  override name = 'CircuitOpenError' as const;
  readonly waitMs: number;
  readonly state: 'open' | 'half-open';

  constructor(state: 'open' | 'half-open', waitMs: number) {
    super('ERR_DOCSPACE_CIRCUIT_OPEN', {
      kind: 'passing',
      endpoint: 'DocSpace',
      retryAfterMs: waitMs,
      message: `DocSpace is unavailable: the circuit is ${state}; requests wait ${waitMs} ms, then one probes`,
    });
    this.waitMs = waitMs;
    this.state = state;
  }
}

/** A call to an HR system's API that did not succeed; classified as DocSpace calls are. */
export class HrApiError extends UpstreamError {
  override name = 'HrApiError' as const;

  constructor(init: UpstreamFailure) {
    super(init.kind === 'passing' ? 'ERR_HR_API_PASSING' : 'ERR_HR_API_LASTING', init);
  }
}

/** The HR system knows the person but not enough to provision them (no usable email…): lasting. */
export class HireIncompleteError extends ServiceError {
  override name = 'HireIncompleteError' as const;
  /** `email`: the HR record has no work email yet (an update may add one later). */
  readonly missing: 'email' | undefined;

  constructor(message: string, options: { missing?: 'email' } = {}) {
    super('ERR_HIRE_INVALID', message);
    this.missing = options.missing;
  }
}
