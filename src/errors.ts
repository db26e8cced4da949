/**
 * Every error the service raises on purpose carries a stable `ERR_*` code, so logs, HTTP answers and
 * job failure reasons can be matched by machines as well as read by people.
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
