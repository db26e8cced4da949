import type { Queue } from 'bullmq';
import {
  MIN_CIRCUIT_WAIT_MS,
  type CircuitBreaker,
  type CircuitState,
} from '../src/docspace/circuit.js';

/** What the job processors need of the circuit: its state after a failure, and a queue hold. */
export interface CircuitHold {
  /** The circuit now; `waitMs` is how long a job should stay away (0 when closed). */
  read(): Promise<{ readonly state: CircuitState; readonly waitMs: number }>;
  /** Holds every queue of this service for `ms` (BullMQ's manual rate limit). */
  hold(ms: number): Promise<void>;
}

/**
 * A hold for `queues`, reading `breaker` (or always closed, when there is none): while the shared
 * DocSpace circuit is open, jobs go back to waiting and every queue waits with them. The hold is
 * set, not extended: BullMQ keeps its own job-start counter in the same key, whose time to live
 * says nothing about a hold, and a circuit's waits all end at the same instant anyway.
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
