import { RateLimitError, type Job, type Queue } from 'bullmq';
import type { RequestBudget } from '../src/docspace/request-budget.js';
import { CircuitOpenError, type UpstreamError } from '../src/errors.js';
import type { Logger } from '../src/logger.js';
import type { CircuitHold } from './circuit-hold.js';

/** A 429 without `Retry-After` holds requests this long. */
export const DEFAULT_RETRY_AFTER_MS = 1_000;

/**
 * After this many starts, 429s and the circuit breaker's waits use attempts like other passing
 * failures (no endless loop).
 */
export const MAX_RATE_LIMITED_STARTS = 200;

/** How a job waits after a passing failure. */
export type JobWait =
  /** DocSpace answered 429: every worker holds its requests and this queue for `ms`. */
  | { readonly kind: 'rate-limited'; readonly ms: number }
  /** The shared circuit is open (or a probe is out): every queue waits `ms`. */
  | { readonly kind: 'circuit'; readonly state: 'open' | 'half-open'; readonly ms: number }
  /** Retried with backoff, using an attempt. */
  | { readonly kind: 'backoff' };

export const BACKOFF: JobWait = { kind: 'backoff' };

/** The retry and circuit wait policy both job processors follow. */
export interface JobWaits {
  /**
   * How a job waits after `err`, a passing failure: a 429 and an open circuit put it back without
   * using an attempt; anything else is retried with backoff unless the circuit is open by now.
   */
  plan(err: UpstreamError): Promise<JobWait>;
  /**
   * Carries out `wait`: holds the queues and returns the RateLimitError that puts the job back to
   * waiting, or undefined when the job is to be retried with backoff (also after
   * {@link MAX_RATE_LIMITED_STARTS} starts: no endless loop).
   */
  apply(job: Pick<Job, 'attemptsStarted'>, wait: JobWait): Promise<Error | undefined>;
}

export interface JobWaitsDeps {
  /** The shared circuit, and the hold of every queue while it is open. */
  readonly circuit: CircuitHold;
  /** The shared DocSpace budget: a 429 pauses it for every worker. */
  readonly budget: Pick<RequestBudget, 'pause'>;
  /** The processor's own queue, held with the budget on a 429. */
  readonly queue: Pick<Queue, 'name' | 'rateLimit'>;
  readonly logger: Pick<Logger, 'warn'>;
}

/** The wait policy for the jobs of `queue`. */
export function createJobWaits(deps: JobWaitsDeps): JobWaits {
  const rateLimited = async (ms: number): Promise<void> => {
    deps.logger.warn('DocSpace rate limit: every worker holds its requests', {
      queue: deps.queue.name,
      pauseMs: ms,
    });
    await deps.budget.pause(ms);
    await deps.queue.rateLimit(ms);
  };

  return {
    async plan(err) {
      if (err instanceof CircuitOpenError) {
        return { kind: 'circuit', state: err.state, ms: err.waitMs };
      }
      if (err.rateLimited) {
        return { kind: 'rate-limited', ms: err.retryAfterMs ?? DEFAULT_RETRY_AFTER_MS };
      }
      const circuit = await deps.circuit.read();
      return circuit.state === 'closed'
        ? BACKOFF
        : { kind: 'circuit', state: circuit.state, ms: circuit.waitMs };
    },
    async apply(job, wait) {
      if (wait.kind === 'backoff' || job.attemptsStarted >= MAX_RATE_LIMITED_STARTS) {
        return undefined;
      }
      if (wait.kind === 'rate-limited') await rateLimited(wait.ms);
      else await deps.circuit.hold(wait.ms);
      return new RateLimitError();
    },
  };
}

/** What a log line says of a wait for the circuit (nothing for other waits). */
export function circuitFields(wait: JobWait): { circuit?: string; waitMs?: number } {
  return wait.kind === 'circuit' ? { circuit: wait.state, waitMs: wait.ms } : {};
}
