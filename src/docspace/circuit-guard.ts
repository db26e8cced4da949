import { randomUUID } from 'node:crypto';
import { CircuitOpenError, UpstreamError } from '../errors.js';
import type { Logger } from '../logger.js';
import { isPassingStatus } from '../retry-table.js';
import {
  MIN_CIRCUIT_WAIT_MS,
  type Admission,
  type CircuitBreaker,
  type Verdict,
} from './circuit.js';
import { isRefusedCreate } from './classify.js';

export interface CircuitGuardDeps {
  readonly breaker: CircuitBreaker;
  readonly logger: Pick<Logger, 'info' | 'warn'>;
  /** Counts each opening (src/metrics.ts `circuitOpened`). */
  readonly metrics?: { circuitOpened(): void } | undefined;
}

/** How a request went, as the breaker sees it. */
type Judgement = 'answered' | 'failed' | 'limited' | 'unsent' | 'undecided';

/** A DocSpace answer, as far as the guard judges it. */
export interface Answered {
  readonly status: number;
  readonly data: unknown;
}

/** Runs one DocSpace request behind the shared circuit. */
export interface CircuitGuard {
  /**
   * Sends the request `endpoint` (e.g. `POST /api/2.0/people`) unless the circuit refuses it:
   * `admitted`, the admission the request budget took with its slot
   * (src/docspace/request-budget.ts), or when it took none, one asked of the breaker here.
   */
  run<A extends Answered>(
    endpoint: string,
    send: () => Promise<A>,
    admitted?: { readonly ticket: string; readonly admission: Admission | undefined },
  ): Promise<A>;
}

/**
 * Puts the shared circuit breaker in front of every DocSpace request, admitted by the request
 * budget in the script that takes its slot (src/docspace/request-budget.ts): a closed circuit
 * lets it go; an open one refuses it at once ({@link CircuitOpenError}, never shorter than
 * {@link MIN_CIRCUIT_WAIT_MS}); after a wait exactly one request, across all workers, probes. What counts:
 *
 * - passing failures (no answer, timeouts, resets, 408, 425, 5xx) count towards opening;
 * - any other answer (2xx, lasting 4xx) resets the count, and closes the circuit when it answers
 *   the probe; so does a 429 for a probe; otherwise a 429 is left out (its own `Retry-After` pause
 *   handles it);
 * - a create that DocSpace refused itself ({@link isRefusedCreate}: servers up to v3.0 answer a
 *   duplicate email 500 with their own error) is left out too: whether it was a duplicate is told
 *   by the lookup that follows (it counts), never by the text, which is in the API key owner's
 *   language (docs/design.md, rule 10).
 *
 * Each transition is logged once, by the worker that made it: `docspace circuit open` (with the
 * wait), `docspace circuit half-open`, `docspace circuit closed`. Results and errors pass through
 * unchanged; the processors read the circuit after a passing failure (workers/circuit-hold.ts).
 */
export function createCircuitGuard(deps: CircuitGuardDeps): CircuitGuard {
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
    async run(endpoint, send, admitted) {
      const ticket = admitted?.ticket ?? randomUUID();
      const admission = admitted?.admission ?? (await breaker.admit(ticket));
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
        const answered = await send();
        judged = judgeAnswer(endpoint, answered);
        return answered;
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
    },
  };
}

/** A thrown request: a passing failure (no answer) counts; anything else was never sent. */
function judgeError(err: unknown): Judgement {
  if (!(err instanceof UpstreamError) || err.kind !== 'passing') return 'unsent';
  return err.rateLimited ? 'limited' : 'failed';
}

/** An answer: a passing status counts, unless it is a 429 or DocSpace's own refusal of a create. */
function judgeAnswer(endpoint: string, { status, data }: Answered): Judgement {
  if (!isPassingStatus(status)) return 'answered';
  if (status === 429) return 'limited';
  return isRefusedCreate(endpoint, status, data) ? 'undecided' : 'failed';
}
