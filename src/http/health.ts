import express, { type Router } from 'express';
import { withTimeout } from '../timeout.js';

export interface HealthDeps {
  /** Resolves when Redis answers a PING; rejects otherwise. */
  readonly ping: () => Promise<unknown>;
  /** Whether the process is shutting down (then `/readyz` says so, and load balancers move on). */
  readonly stopping?: (() => boolean) | undefined;
  /** Longest `/readyz` waits for the PING (default 1 s). */
  readonly timeoutMs?: number | undefined;
}

/** An answer of `/healthz` or `/readyz`: its status and JSON body. */
export interface HealthAnswer {
  readonly status: 200 | 503;
  readonly body: Readonly<Record<string, string>>;
}

/** The health checks every process answers, whatever serves them. */
export interface Health {
  /** `GET /healthz`: 200 while the process runs. */
  live(): HealthAnswer;
  /** `GET /readyz`: 200 when Redis answers a PING within the timeout, 503 otherwise or stopping. */
  ready(): Promise<HealthAnswer>;
}

/**
 * `/healthz` and `/readyz` in one place, for the API (express, {@link createHealthRoutes}) and for
 * a worker-only process (plain node:http, workers/http.ts): the same checks and the same bodies.
 */
export function createHealth(deps: HealthDeps): Health {
  const timeoutMs = deps.timeoutMs ?? 1_000;
  return {
    live: () => ({ status: 200, body: { status: 'ok' } }),
    async ready() {
      if (deps.stopping?.() === true) return { status: 503, body: { status: 'stopping' } };
      try {
        await withTimeout(deps.ping(), timeoutMs);
        return { status: 200, body: { status: 'ready', redis: 'ok' } };
      } catch {
        return { status: 503, body: { status: 'unavailable', redis: 'unreachable' } };
      }
    },
  };
}

/** `GET /healthz` and `GET /readyz` for the API's express app. */
export function createHealthRoutes(deps: HealthDeps): Router {
  const router = express.Router();
  const health = createHealth(deps);
  router.get('/healthz', (_req, res) => {
    const { status, body } = health.live();
    res.status(status).json(body);
  });
  router.get('/readyz', async (_req, res) => {
    const { status, body } = await health.ready();
    res.status(status).json(body);
  });
  return router;
}
