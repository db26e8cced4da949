import type { IncomingMessage, ServerResponse } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import type { ParsedBody } from './binding.js';
import { emptyBodyErrors, parseJsonBody } from './binding.js';
import { emptyResponse, httpError, validationProblem } from './envelope.js';
import type { FaultInjector } from './faults.js';
import { writeResponse } from './http-io.js';
import type { RouteMatch } from './router.js';
import type { SimStore } from './store.js';
import type { ApiRequest, SimCall, SimResponse } from './types.js';

/** The narrow logger the simulator accepts. */
export interface SimLogger {
  info(msg: string, meta?: object): void;
}

/** What the API dispatcher needs. */
export interface DispatchDeps {
  readonly store: SimStore;
  readonly faults: FaultInjector;
  readonly match: (method: string, path: string) => RouteMatch | undefined;
  readonly isAuthorized: (authorization: string | undefined) => boolean;
  /** Aborted on close, so delayed requests stop waiting. */
  readonly signal: AbortSignal;
  readonly logger?: SimLogger;
}

/** One API request to serve. */
export interface Exchange {
  readonly req: IncomingMessage;
  readonly res: ServerResponse;
  readonly method: string;
  readonly url: URL;
  readonly rawBody: string;
}

/**
 * Serves one API request: logs the call, applies latency and faults, then the API itself.
 * Faults come before authentication: they model the network and the platform in front of it.
 */
export function createApiDispatcher(deps: DispatchDeps): (exchange: Exchange) => Promise<void> {
  const { store, faults } = deps;

  function serve(
    ex: Exchange,
    match: RouteMatch | undefined,
    parsed: ParsedBody | undefined,
  ): SimResponse {
    const path = ex.url.pathname;
    const apiRequest: ApiRequest = {
      method: ex.method,
      path,
      query: ex.url.searchParams,
      params: match?.params ?? {},
      body: parsed?.ok ? parsed.value : undefined,
      url: `${origin(ex.req)}${ex.req.url ?? path}`,
      origin: origin(ex.req),
    };
    // ASP.NET's challenge: 401 with an empty body, no envelope (common/ASC.Api.Core/Core/BaseStartup.cs).
    const isApi = path.toLowerCase().startsWith('/api/');
    if (isApi && !deps.isAuthorized(ex.req.headers.authorization)) return emptyResponse(401);
    if (!match) return httpError(404, 'Not Found');
    if (parsed) {
      if (!parsed.ok) return validationProblem(apiRequest, parsed.errors);
      if (parsed.value === undefined) return validationProblem(apiRequest, emptyBodyErrors());
    }
    return match.route.handle(apiRequest);
  }

  function finish(call: SimCall, status: number | 'reset', fault?: SimCall['fault']): void {
    call.status = status;
    if (fault === undefined) {
      call.outcome = typeof status === 'number' && status < 400 ? 'ok' : 'error';
    } else {
      call.outcome = 'fault';
      call.fault = fault;
    }
    deps.logger?.info('docspace-sim call', {
      seq: call.seq,
      method: call.method,
      path: call.path,
      status: call.status,
      outcome: call.outcome,
      ...(call.fault === undefined ? {} : { fault: call.fault }),
    });
  }

  return async (ex) => {
    const match = deps.match(ex.method, ex.url.pathname);
    const parsed = match?.route.body ? parseJsonBody(ex.rawBody) : undefined;
    const subject =
      match?.route.subject?.(parsed?.ok ? parsed.value : undefined, ex.url.searchParams) ?? {};
    const call = store.recordCall({ method: ex.method, path: ex.url.pathname, ...subject });
    const decision = faults.decide(ex.method, ex.url.pathname);

    const delay = faults.latencyMs();
    if (delay > 0) {
      try {
        await sleep(delay, undefined, { signal: deps.signal });
      } catch {
        return; // closing: the socket is being destroyed anyway
      }
    }
    switch (decision?.action) {
      case 'reset':
        finish(call, 'reset', decision.cause);
        ex.req.socket.resetAndDestroy();
        return;
      case 'timeout':
        finish(call, 0, decision.cause);
        return; // never answered; close() destroys the socket
      case 'respond':
        finish(call, decision.response.status, decision.cause);
        writeResponse(ex.res, decision.response);
        return;
      case 'reset-after-commit':
      case 'hang-after-commit': {
        const response = serve(ex, match, parsed);
        call.committed = response.status < 400;
        const resets = decision.action === 'reset-after-commit';
        finish(call, resets ? 'reset' : 0, decision.cause);
        if (resets) ex.req.socket.resetAndDestroy();
        return;
      }
      case undefined: {
        const response = serve(ex, match, parsed);
        if (response.status < 400) call.committed = true;
        finish(call, response.status);
        writeResponse(ex.res, response);
        return;
      }
    }
  };
}

function origin(req: IncomingMessage): string {
  return `http://${req.headers.host ?? 'localhost'}`;
}
