import { emptyResponse, httpError } from './envelope.js';
import type { FaultCause, ScriptedFault, SimFaults, SimResponse } from './types.js';

/** What the fault layer wants done with a request instead of (or after) serving it. */
export type FaultDecision =
  | { readonly action: 'respond'; readonly cause: FaultCause; readonly response: SimResponse }
  | { readonly action: 'reset' | 'timeout'; readonly cause: FaultCause }
  | { readonly action: 'reset-after-commit' | 'hang-after-commit'; readonly cause: FaultCause };

/** Holds the knobs and decides, request by request, which fault (if any) applies. */
export interface FaultInjector {
  readonly get: () => SimFaults;
  readonly set: (patch: Partial<SimFaults>) => void;
  readonly reset: () => void;
  readonly decide: (method: string, path: string) => FaultDecision | undefined;
  readonly latencyMs: () => number;
}

/** The knobs with every fault off. */
export function defaultFaults(): SimFaults {
  return {
    latencyMs: 0,
    latencyJitterMs: 0,
    script: [],
    rate429: 0,
    rate5xx: 0,
    rateReset: 0,
    retryAfterSec: null,
    rateLimitPerSecond: null,
    sensitiveApiPer15Min: null,
    invitationLimit: null,
    paidSeats: null,
    down: false,
  };
}

const STATUS_TEXT: Readonly<Record<number, string>> = {
  500: 'Internal Server Error',
  502: 'Bad Gateway',
  503: 'Service Unavailable',
  504: 'Gateway Timeout',
};
const FIFTEEN_MINUTES_MS = 15 * 60 * 1000;
const RESEND_PATH = '/api/2.0/people/invite';

/**
 * Creates the fault layer. Order per request: `down`, then the scripted FIFO (deterministic),
 * then the limiters (`rateLimitPerSecond`, `sensitiveApiPer15Min`), then the random rates.
 * 429s carry no body, like RedisRateLimiting's `OnRejected` (the server's rate limiter policies: common/ASC.Api.Core/Core/BaseStartup.cs); 5xx carry the error envelope.
 */
export function createFaultInjector(deps: {
  now: () => number;
  random: () => number;
}): FaultInjector {
  let knobs = defaultFaults();
  let window: number[] = [];
  let sensitive: number[] = [];

  function tooMany(retryAfterSec: number | null, limit?: number): SimResponse {
    const headers: Record<string, string> = {};
    if (limit !== undefined) {
      headers['X-RateLimit-Limit'] = String(limit);
      headers['X-RateLimit-Remaining'] = '0';
    }
    if (retryAfterSec !== null) headers['Retry-After'] = String(retryAfterSec);
    return emptyResponse(429, headers);
  }

  function fromScript(fault: ScriptedFault): FaultDecision {
    switch (fault.kind) {
      case '429':
        return { action: 'respond', cause: '429', response: tooMany(fault.retryAfterSec ?? null) };
      case '5xx': {
        const status = fault.status ?? 503;
        const response = httpError(status, STATUS_TEXT[status] ?? 'Server Error');
        return { action: 'respond', cause: '5xx', response };
      }
      case 'reset':
      case 'timeout':
      case 'reset-after-commit':
      case 'hang-after-commit':
        return { action: fault.kind, cause: fault.kind };
    }
  }

  function matches(fault: ScriptedFault, method: string, path: string): boolean {
    const m = fault.match;
    if (m?.method !== undefined && m.method.toUpperCase() !== method) return false;
    return m?.path === undefined || path.toLowerCase().startsWith(m.path.toLowerCase());
  }

  function limiters(method: string, path: string, at: number): FaultDecision | undefined {
    const perSecond = knobs.rateLimitPerSecond;
    if (perSecond !== null) {
      window = window.filter((t) => t > at - 1000);
      if (window.length >= perSecond) {
        return { action: 'respond', cause: 'rate-limit', response: tooMany(1, perSecond) };
      }
      window.push(at);
    }
    const per15 = knobs.sensitiveApiPer15Min;
    if (per15 !== null && method === 'PUT' && path.toLowerCase() === RESEND_PATH) {
      sensitive = sensitive.filter((t) => t > at - FIFTEEN_MINUTES_MS);
      const oldest = sensitive[0];
      if (oldest !== undefined && sensitive.length >= per15) {
        const wait = Math.max(1, Math.ceil((oldest + FIFTEEN_MINUTES_MS - at) / 1000));
        return { action: 'respond', cause: 'sensitive-limit', response: tooMany(wait, per15) };
      }
      sensitive.push(at);
    }
    return undefined;
  }

  return {
    get: () => structuredClone(knobs),
    set: (patch) => {
      knobs = { ...knobs, ...structuredClone(patch) };
    },
    reset: () => {
      knobs = defaultFaults();
      window = [];
      sensitive = [];
    },
    latencyMs: () => knobs.latencyMs + deps.random() * knobs.latencyJitterMs,
    decide: (method, path) => {
      if (knobs.down) {
        const response = httpError(503, 'Service Unavailable');
        return { action: 'respond', cause: 'down', response };
      }
      const index = knobs.script.findIndex((fault) => matches(fault, method, path));
      const scripted = knobs.script[index];
      if (scripted) {
        knobs.script.splice(index, 1);
        return fromScript(scripted);
      }
      const limited = limiters(method, path, deps.now());
      if (limited) return limited;
      const roll = deps.random();
      if (roll < knobs.rateReset) return { action: 'reset', cause: 'reset' };
      if (roll < knobs.rateReset + knobs.rate429) {
        return { action: 'respond', cause: '429', response: tooMany(knobs.retryAfterSec) };
      }
      if (roll < knobs.rateReset + knobs.rate429 + knobs.rate5xx) {
        return { action: 'respond', cause: '5xx', response: httpError(503, 'Service Unavailable') };
      }
      return undefined;
    },
  };
}
