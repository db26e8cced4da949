import { UpstreamError } from '../src/errors.js';

/** No retry waits longer than an hour, whatever the attempt number. */
export const MAX_BACKOFF_MS = 60 * 60 * 1000;

/**
 * BullMQ's `backoffStrategy` for the `docspace` backoff type: exponential from `baseMs`, with "equal
 * jitter" (half fixed, half random) so that workers that failed together do not retry together, and
 * never sooner than DocSpace's `Retry-After`.
 */
export function createBackoffStrategy(baseMs: number, random: () => number = Math.random) {
  return (attemptsMade: number, _type?: string, err?: Error): number => {
    const exponential = Math.min(MAX_BACKOFF_MS, baseMs * 2 ** Math.max(0, attemptsMade - 1));
    const jittered = Math.round(exponential / 2 + (random() * exponential) / 2);
    const retryAfter = err instanceof UpstreamError ? (err.retryAfterMs ?? 0) : 0;
    return Math.max(jittered, retryAfter);
  };
}
