import { randomUUID } from 'node:crypto';
import type { Queue } from 'bullmq';
import { errorMessage } from '../src/docspace/classify.js';
import type { Logger } from '../src/logger.js';
import type { Metrics } from '../src/metrics.js';
import type { CircuitBreaker, CircuitState, Verdict } from '../src/queue/circuit-breaker.js';
import type { RequestGate } from '../src/queue/rate-gate.js';
import { CircuitOpenError, UpstreamError } from '../src/errors.js';
import { isPassingStatus } from '../src/retry-table.js';

/** The shortest hold of the queues (BullMQ needs a positive rate-limit time). */
export const MIN_CIRCUIT_WAIT_MS = 100;

/** What the job processors need of the circuit: its state after a failure, and a queue hold. */
export interface CircuitHold {
  /** The circuit now; `waitMs` is how long a job should stay away (0 when closed). */
  read(): Promise<{ readonly state: CircuitState; readonly waitMs: number }>;
  /** Holds every queue of this service for `ms` (BullMQ's manual rate limit). */
  hold(ms: number): Promise<void>;
}

/**
 * A hold for `queues`, reading `breaker` (or always closed, when there is none). The hold is set,
 * not extended: BullMQ keeps its own job-start counter in the same key, whose time to live says
 * nothing about a hold, and a circuit's waits all end at the same instant anyway.
 */
export function createCircuitHold(
  breaker: Pick<CircuitBreaker, 'read'> | undefined,
  queues: readonly Pick<Queue, 'rateLimit'>[],
): CircuitHold {
  return {
    read: () => breaker?.read() ?? Promise.resolve({ state: 'closed', waitMs: 0 }),
    async hold(ms) {
      const wait = Math.max(MIN_CIRCUIT_WAIT_MS, Math.ceil(ms));
      await Promise.all(queues.map((queue) => queue.rateLimit(wait)));
    },
  };
}

export interface CircuitGateDeps {
  readonly breaker: CircuitBreaker;
  readonly logger: Pick<Logger, 'info' | 'warn'>;
  readonly metrics?: Pick<Metrics, 'circuitOpened'>;
}

/** How a request went, as the breaker sees it. */
type Judgement = 'answered' | 'failed' | 'limited' | 'unsent' | 'undecided';

/**
 * Puts the shared circuit breaker in front of every DocSpace request, once the rate gate has given
 * it a slot: a closed circuit lets it go; an open one refuses it at once
 * ({@link CircuitOpenError}); after a wait exactly one request, across all workers, probes. What
 * counts:
 *
 * - passing failures (no answer, timeouts, resets, 408, 425, 5xx) count towards opening;
 * - any other answer (2xx, lasting 4xx) resets the count, and closes the circuit when it answers
 *   the probe; so does a 429 for a probe; otherwise a 429 is left out (its own `Retry-After` pause
 *   handles it);
 * - a 500 to a create that carries DocSpace's own error is left out too: servers up to v3.0 answer
 *   a duplicate email that way, and whether it was one is told by the lookup that follows (it
 *   counts), never by the text, which is in the API key owner's language (DESIGN rule 10).
 *
 * Each transition is logged once, by the worker that made it: `docspace circuit open` (with the
 * wait), `docspace circuit half-open`, `docspace circuit closed`. Results and errors pass through
 * unchanged; the processors ask {@link CircuitHold.read} after a passing failure.
 */
export function guardWithCircuit(gate: RequestGate, deps: CircuitGateDeps): RequestGate {
  const { breaker, logger } = deps;

  const report = async (ticket: string, outcome: 'answered' | 'failed' | 'unsent') => {
    try {
      announce(await breaker.report(ticket, outcome));
    } catch (err: unknown) {
      // The request's own result matters more than the bookkeeping: keep it, and say so.
      logger.warn('docspace circuit: outcome not recorded', {
        error: err instanceof Error ? err.message : String(err),
      });
    }
  };

  const announce = (verdict: Verdict): void => {
    if (verdict.change === 'opened' || verdict.change === 'reopened') {
      deps.metrics?.circuitOpened();
      logger.warn('docspace circuit open', {
        circuit: 'open',
        waitMs: verdict.waitMs,
        failures: verdict.failures,
        after: verdict.change === 'opened' ? 'consecutive failures' : 'failed probe',
      });
    } else if (verdict.change === 'closed') {
      logger.info('docspace circuit closed', { circuit: 'closed', outageMs: verdict.outageMs });
    }
  };

  return {
    pause: (ms) => gate.pause(ms),
    run: (request) =>
      gate.run(async () => {
        const ticket = randomUUID();
        const admission = await breaker.admit(ticket);
        if (admission.kind === 'refused') {
          const wait = Math.max(MIN_CIRCUIT_WAIT_MS, Math.ceil(admission.waitMs));
          throw new CircuitOpenError(admission.state, wait);
        }
        if (admission.kind === 'probe' && admission.halfOpened) {
          logger.info('docspace circuit half-open', { circuit: 'half-open' });
        }
        const probe = admission.kind === 'probe';
        // Closed with nothing counted: an answer changes nothing, so it costs no round trip.
        const counted = admission.kind === 'go' && admission.failures > 0;
        let judged: Judgement = 'unsent';
        try {
          const result = await request();
          judged = judgeAnswer(result);
          return result;
        } catch (err: unknown) {
          judged = judgeError(err);
          throw err;
        } finally {
          if (judged === 'failed') await report(ticket, 'failed');
          else if (probe) {
            const unsettled = judged === 'unsent' || judged === 'undecided';
            await report(ticket, unsettled ? 'unsent' : 'answered');
          } else if (judged === 'answered' && counted) await report(ticket, 'answered');
        }
      }),
  };
}

/** A thrown request: a passing failure (no answer) counts; anything else was never sent. */
function judgeError(err: unknown): Judgement {
  if (!(err instanceof UpstreamError) || err.kind !== 'passing') return 'unsent';
  return err.rateLimited ? 'limited' : 'failed';
}

/** An answer (an axios response: `status`, `data`, `config`). */
function judgeAnswer(result: unknown): Judgement {
  if (typeof result !== 'object' || result === null || !('status' in result)) return 'answered';
  const { status } = result;
  if (typeof status !== 'number' || !isPassingStatus(status)) return 'answered';
  if (status === 429) return 'limited';
  const data = 'data' in result ? result.data : undefined;
  return status === 500 && isCreate(result) && errorMessage(data) !== undefined
    ? 'undecided'
    : 'failed';
}

/** Whether an axios response answers `POST /api/2.0/people`. */
function isCreate(result: object): boolean {
  const config: unknown = 'config' in result ? result.config : undefined;
  if (typeof config !== 'object' || config === null) return false;
  const { method, url } = config as { method?: unknown; url?: unknown };
  return (
    typeof method === 'string' &&
    method.toUpperCase() === 'POST' &&
    typeof url === 'string' &&
    /^\/?api\/2\.0\/people\/?$/i.test(url)
  );
}
