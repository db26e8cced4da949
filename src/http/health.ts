import express, { type Router } from 'express';
import { withTimeout } from '../timeout.js';

export interface HealthDeps {
  /** Resolves when Redis answers a PING; rejects otherwise. */
  readonly ping: () => Promise<unknown>;
  /** Whether the process is shutting down (then `/readyz` says so, and load balancers move on). */
  readonly stopping: () => boolean;
  readonly timeoutMs?: number;
}

/** `GET /healthz` (the process runs) and `GET /readyz` (Redis answers within a short timeout). */
export function createHealthRoutes(deps: HealthDeps): Router {
  const router = express.Router();
  const timeoutMs = deps.timeoutMs ?? 1_000;
  router.get('/healthz', (_req, res) => {
    res.status(200).json({ status: 'ok' });
  });
  router.get('/readyz', async (_req, res) => {
    if (deps.stopping()) {
      res.status(503).json({ status: 'stopping' });
      return;
    }
    try {
      await withTimeout(deps.ping(), timeoutMs);
      res.status(200).json({ status: 'ready', redis: 'ok' });
    } catch {
      res.status(503).json({ status: 'unavailable', redis: 'unreachable' });
    }
  });
  return router;
}
