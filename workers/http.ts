import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { bearerToken, createTokenCheck, METRICS_UNAUTHORIZED } from '../src/domain/token.js';
import type { ErrorCode } from '../src/errors.js';
import { createHealth } from '../src/http/health.js';
import type { Logger } from '../src/logger.js';
import type { Metrics } from '../src/metrics.js';

export interface WorkerHttpDeps {
  /** 0 picks a free port (tests); the caller decides whether to start the server at all. */
  readonly port: number;
  /** Default: every interface, so Prometheus and container health checks can reach it. */
  readonly host?: string;
  readonly metrics: Pick<Metrics, 'text' | 'contentType'>;
  /** `METRICS_TOKEN`: when set, `/metrics` answers only `Authorization: Bearer <token>`. */
  readonly metricsToken?: string | undefined;
  /** Resolves when Redis answers a PING. */
  readonly ping: () => Promise<unknown>;
  readonly logger: Pick<Logger, 'info' | 'error'>;
  /** Whether the process is shutting down; `/readyz` then answers 503. */
  readonly stopping?: () => boolean;
  /** Longest `/readyz` waits for the PING (default 1 s). */
  readonly readyTimeoutMs?: number;
}

export interface WorkerHttp {
  readonly port: number;
  readonly close: () => Promise<void>;
}

/**
 * The small HTTP side of a worker-only process, which has no API server: `GET /healthz` (200 while
 * the process runs), `GET /readyz` (200 when Redis answers a PING within the timeout, else 503),
 * both from src/http/health.ts as the API answers them, and `GET /metrics` (Prometheus text).
 * Plain node:http: three fixed routes need no framework.
 */
export async function startWorkerHttp(deps: WorkerHttpDeps): Promise<WorkerHttp> {
  const health = createHealth({
    ping: deps.ping,
    stopping: deps.stopping,
    timeoutMs: deps.readyTimeoutMs,
  });
  const metricsAllowed =
    deps.metricsToken === undefined ? () => true : createTokenCheck(deps.metricsToken);
  const routes: Readonly<
    Record<string, (res: ServerResponse, req: IncomingMessage) => Promise<void>>
  > = {
    '/healthz': (res) => {
      const { status, body } = health.live();
      json(res, status, body);
      return Promise.resolve();
    },
    '/readyz': async (res) => {
      const { status, body } = await health.ready();
      json(res, status, body);
    },
    '/metrics': async (res, req) => {
      if (!metricsAllowed(bearerToken(req.headers.authorization))) {
        res.setHeader('WWW-Authenticate', 'Bearer');
        error(res, 401, 'ERR_UNAUTHORIZED', METRICS_UNAUTHORIZED);
        return;
      }
      const text = await deps.metrics.text();
      res.writeHead(200, { 'Content-Type': deps.metrics.contentType, 'Cache-Control': 'no-store' });
      res.end(text);
    },
  };

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const path = new URL(req.url ?? '/', 'http://localhost').pathname;
    const route = Object.hasOwn(routes, path) ? routes[path] : undefined;
    // As the API's express app does: GET (and HEAD) only, anything else is an unknown route.
    if (route === undefined || (req.method !== 'GET' && req.method !== 'HEAD')) {
      error(res, 404, 'ERR_NOT_FOUND', `no route for ${req.method ?? 'GET'} ${path}`);
      return;
    }
    await route(res, req);
  };

  const server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      deps.logger.error('worker http request failed', {
        path: req.url,
        error: err instanceof Error ? err.message : String(err),
      });
      if (!res.headersSent) error(res, 500, 'ERR_INTERNAL', 'internal error');
      else res.destroy();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(deps.port, deps.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address();
  const port = typeof address === 'object' && address !== null ? address.port : deps.port;
  deps.logger.info('worker http listening', { port, paths: Object.keys(routes) });

  return {
    port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => {
          resolve();
        });
        // Prometheus keeps its connection alive between scrapes; nothing here is worth waiting for.
        server.closeAllConnections();
      }),
  };
}

function json(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'Content-Type': 'application/json; charset=utf-8' });
  res.end(JSON.stringify(body));
}

/** The error body of README.md#http: `{"error":{"code","message","details"}}`. */
function error(res: ServerResponse, status: number, code: ErrorCode, message: string): void {
  json(res, status, { error: { code, message, details: [] } });
}
