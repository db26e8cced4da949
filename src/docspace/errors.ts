import { ServiceError } from '../errors.js';

/**
 * A DocSpace call that did not succeed. `passing` failures (no answer, timeouts, resets, 408, 425,
 * 429, 5xx) are retried with backoff; `lasting` ones (other 4xx, an answer that does not parse) fail
 * the job at once, with a message that says what to fix.
 */
export class DocspaceError extends ServiceError {
  override name = 'DocspaceError' as const;
  readonly kind: 'passing' | 'lasting';
  readonly status: number | undefined;
  /** From `Retry-After`, when DocSpace sent one. */
  readonly retryAfterMs: number | undefined;
  /** The request, e.g. `POST /api/2.0/people`, never with query values or bodies. */
  readonly endpoint: string;

  constructor(init: {
    kind: 'passing' | 'lasting';
    endpoint: string;
    message: string;
    status?: number | undefined;
    retryAfterMs?: number | undefined;
    cause?: unknown;
  }) {
    super(init.kind === 'passing' ? 'ERR_DOCSPACE_PASSING' : 'ERR_DOCSPACE_LASTING', init.message, {
      cause: init.cause,
    });
    this.kind = init.kind;
    this.endpoint = init.endpoint;
    this.status = init.status;
    this.retryAfterMs = init.retryAfterMs;
  }

  /** A 429: every worker should slow down, not only the one that saw it. */
  get rateLimited(): boolean {
    return this.status === 429;
  }
}
