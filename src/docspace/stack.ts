import type { Config } from '../config.js';
import type { Logger } from '../logger.js';
import type { Keys } from '../queue/keys.js';
import type { RedisConnection } from '../queue/redis.js';
import { createCircuitBreaker, type CircuitBreaker } from './circuit.js';
import { createCircuitGuard } from './circuit-guard.js';
import { createDocspaceClient, type DocspaceClient, type RequestReport } from './client.js';
import { createDocspaceHttp } from './http.js';
import { createRequestBudget, type RequestBudget } from './request-budget.js';

/** A probe may take the request timeout plus this, then another request probes instead. */
export const PROBE_MARGIN_MS = 2_000;

/** How much longer than its timeout a request may hold its slot of the budget. */
export const IN_FLIGHT_MARGIN_MS = 1_000;

export interface DocspaceStackDeps {
  /** Redis for the shared budget and circuit (every worker of this `QUEUE_PREFIX` shares them). */
  readonly connection: RedisConnection;
  readonly keys: Keys;
  readonly logger: Pick<Logger, 'info' | 'warn'>;
  /** Counts requests and circuit openings (src/metrics.ts). */
  readonly metrics?:
    { circuitOpened(): void; docspaceRequest(report: RequestReport): void } | undefined;
  /** Observes every finished request (tests, benchmarks), beside the metrics. */
  readonly onRequest?: ((report: RequestReport) => void) | undefined;
}

/** The DocSpace request path of one worker process, and the shared parts the queues need. */
export interface DocspaceStack {
  readonly client: DocspaceClient;
  /** The shared budget: a 429 pauses it for every worker. */
  readonly budget: RequestBudget;
  /** The shared circuit's state; undefined when `DOCSPACE_CIRCUIT_THRESHOLD` is 0. */
  readonly breaker: CircuitBreaker | undefined;
}

/**
 * The whole DocSpace request path from the settings: the portal's HTTP client, the request budget
 * every worker shares (`DOCSPACE_MAX_RPS`, `DOCSPACE_CONCURRENCY`), the shared circuit (unless
 * `DOCSPACE_CIRCUIT_THRESHOLD` is 0) and the client that sends each request through them in that
 * order: budget and circuit (one script), portal.
 */
export function createDocspaceStack(
  docspace: Config['docspace'],
  deps: DocspaceStackDeps,
): DocspaceStack {
  const { connection, keys, logger, metrics } = deps;
  const circuit =
    docspace.circuit.threshold > 0
      ? { ...docspace.circuit, probeLeaseMs: docspace.timeoutMs + PROBE_MARGIN_MS }
      : undefined;
  const budget = createRequestBudget({
    redis: connection,
    keys,
    maxRps: docspace.maxRps,
    concurrency: docspace.concurrency,
    inFlightMs: docspace.timeoutMs + IN_FLIGHT_MARGIN_MS,
    // The budget admits through the circuit in the script that takes the slot.
    circuit,
  });
  const breaker = circuit && createCircuitBreaker({ redis: connection, keys, settings: circuit });
  const observers = [
    deps.onRequest,
    metrics &&
      ((report: RequestReport) => {
        metrics.docspaceRequest(report);
      }),
  ].filter((observer) => observer !== undefined);
  const client = createDocspaceClient({
    http: createDocspaceHttp({
      baseURL: docspace.url,
      apiKey: docspace.apiKey,
      timeoutMs: docspace.timeoutMs,
    }),
    budget,
    circuit: breaker && createCircuitGuard({ breaker, logger, metrics }),
    onRequest:
      observers.length === 0
        ? undefined
        : (report) => {
            for (const observer of observers) observer(report);
          },
  });
  return { client, budget, breaker };
}
