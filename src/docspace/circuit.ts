import type { Keys } from '../queue/keys.js';
import type { RedisConnection } from '../queue/redis.js';
import { defineScript, REDIS_CLOCK_LUA } from '../queue/scripts.js';

/*
 * The shared circuit breaker's state in Redis: one hash, `<prefix>:state:docspace:circuit`, that
 * every worker reads and changes through the scripts below (one round trip each, Redis' clock)
 * and the request budget's ACQUIRE (src/docspace/request-budget.ts), which admits a request in
 * the script that takes its slot.
 * No hash means closed without failures. Fields: `state` (open or half-open; absent: closed),
 * `failures` (consecutive passing failures), `until` (open: end of the wait; half-open: end of the
 * probe's lease), `openings` (since it last closed: sets the wait), `wait`, `probe` (the request
 * that probes), `since` (when it first opened).
 */

/**
 * Lua that decides a request's admission, shared by ADMIT below and the request budget's ACQUIRE
 * (src/docspace/request-budget.ts), which admits in the same script as it takes a slot. Given
 * `now`, the circuit's key, the longest wait of a refused request in half-open and whether
 * there is a circuit at all (Lua expressions; none: always go, nothing read), it sets
 * `admitCode` and `admitN`: 0 go (closed; n: the failures counted so far); 1 probe, and this
 * call makes it half-open; 2 probe, taking over a probe whose lease ran out (or that was never
 * sent); 3 refused while open (n: what is left of the wait); 4 refused while a
 * probe is out. It only reads (one HMGET): a probe is taken by {@link circuitProbeLua}.
 */
export function circuitAdmissionLua(key: string, halfOpenWait: string, enabled = 'true'): string {
  return `
local admitState, admitFailures, admitUntil
if ${enabled} then
  admitState, admitFailures, admitUntil =
    unpack(redis.call('HMGET', ${key}, 'state', 'failures', 'until'))
end
local admitCode, admitN = 0, tonumber(admitFailures or '0')
if admitState then
  local untilMs = tonumber(admitUntil or '0')
  admitN = 0
  if now < untilMs then
    if admitState == 'open' then
      admitCode, admitN = 3, untilMs - now
    else
      admitCode, admitN = 4, math.min(untilMs - now, tonumber(${halfOpenWait}))
    end
  elseif admitState == 'open' then
    admitCode = 1
  else
    admitCode = 2
  end
end
`;
}

/**
 * Lua that takes the probe when {@link circuitAdmissionLua} said so (codes 1 and 2): half-open,
 * this request's ticket, until its lease ends.
 */
export function circuitProbeLua(key: string, ticket: string, lease: string): string {
  return `
if admitCode == 1 or admitCode == 2 then
  redis.call('HSET', ${key}, 'state', 'half-open', 'probe', ${ticket}, 'until', now + tonumber(${lease}))
  redis.call('PEXPIRE', ${key}, tonumber(${lease}) + 3600000)
end
`;
}

// KEYS: circuit. ARGV: ticket, probe lease ms, longest wait of a refused request in half-open.
// Returns {code, n} as circuitAdmissionLua sets them.
const ADMIT = `${REDIS_CLOCK_LUA}
${circuitAdmissionLua('KEYS[1]', 'ARGV[3]')}
${circuitProbeLua('KEYS[1]', 'ARGV[1]', 'ARGV[2]')}
return {admitCode, admitN}
`;

// KEYS: circuit. ARGV: ticket, outcome (answered|failed|unsent), threshold, first wait ms,
// longest wait ms, ttl of a failure count. Returns {code, ms, failures, outage ms}: 0 closed, no
// change; 1 still open (ms: what is left of the wait); 2 opened; 3 reopened after the probe
// failed; 4 closed by the probe; 5 still half-open (ms: how long to stay away, at most a first
// wait).
const REPORT = `${REDIS_CLOCK_LUA}
local outcome = ARGV[2]
local state = redis.call('HGET', KEYS[1], 'state')
local function open(openings, failures, since)
  local wait = math.min(tonumber(ARGV[4]) * 2 ^ (openings - 1), tonumber(ARGV[5]))
  redis.call('HSET', KEYS[1], 'state', 'open', 'until', now + wait, 'wait', wait,
    'openings', openings, 'since', since)
  redis.call('HDEL', KEYS[1], 'probe')
  redis.call('PEXPIRE', KEYS[1], wait + 3600000)
  return wait
end
if not state then
  if outcome == 'answered' then
    redis.call('DEL', KEYS[1])
    return {0, 0, 0, 0}
  end
  if outcome ~= 'failed' then return {0, 0, 0, 0} end
  local failures = redis.call('HINCRBY', KEYS[1], 'failures', 1)
  if failures < tonumber(ARGV[3]) then
    redis.call('PEXPIRE', KEYS[1], tonumber(ARGV[6]))
    return {0, 0, failures, 0}
  end
  return {2, open(1, failures, now), failures, 0}
end
local failures = tonumber(redis.call('HGET', KEYS[1], 'failures') or '0')
local untilMs = tonumber(redis.call('HGET', KEYS[1], 'until') or '0')
if state ~= 'half-open' then return {1, math.max(0, untilMs - now), failures, 0} end
if redis.call('HGET', KEYS[1], 'probe') ~= ARGV[1] then
  -- Sent before the circuit opened, or a probe whose lease ran out: only the probe decides.
  return {5, math.max(0, math.min(untilMs - now, tonumber(ARGV[4]))), failures, 0}
end
local since = tonumber(redis.call('HGET', KEYS[1], 'since') or tostring(now))
if outcome == 'answered' then
  redis.call('DEL', KEYS[1])
  return {4, 0, 0, now - since}
end
if outcome == 'unsent' then
  -- The probe never reached DocSpace: the next request probes instead.
  redis.call('HSET', KEYS[1], 'until', now)
  redis.call('HDEL', KEYS[1], 'probe')
  return {5, 0, failures, 0}
end
local openings = tonumber(redis.call('HGET', KEYS[1], 'openings') or '0') + 1
return {3, open(openings, failures, since), failures, 0}
`;

// KEYS: circuit. ARGV: longest stay-away while half-open. Returns {state, ms to stay away}; an
// open circuit whose wait is over reads as half-open (the next request probes).
const READ = `${REDIS_CLOCK_LUA}
local state = redis.call('HGET', KEYS[1], 'state')
if not state then return {'closed', 0} end
local left = math.max(0, tonumber(redis.call('HGET', KEYS[1], 'until') or '0') - now)
if state == 'open' and left > 0 then return {'open', left} end
return {'half-open', math.min(left, tonumber(ARGV[1]))}
`;

export const CIRCUIT_STATES = ['closed', 'open', 'half-open'] as const;
export type CircuitState = (typeof CIRCUIT_STATES)[number];

/** Whether a request may go to DocSpace now. */
export type Admission =
  /** Closed; `failures`: consecutive passing failures so far (0: an answer needs no report). */
  | { readonly kind: 'go'; readonly failures: number }
  /** This request is the one trial after a wait; `halfOpened`: this call ended the wait. */
  | { readonly kind: 'probe'; readonly halfOpened: boolean }
  | { readonly kind: 'refused'; readonly state: 'open' | 'half-open'; readonly waitMs: number };

/** How a request ended, for the breaker: an answer, a passing failure, or never sent. */
export type RequestOutcome = 'answered' | 'failed' | 'unsent';

/** The circuit after a reported outcome, and whether that report changed it. */
export interface Verdict {
  readonly state: CircuitState;
  /** What is left of the wait while open (0 when closed). */
  readonly waitMs: number;
  readonly change: 'opened' | 'reopened' | 'closed' | undefined;
  readonly failures: number;
  /** When the probe closed it: how long since it first opened. */
  readonly outageMs: number;
}

export interface CircuitSettings {
  /** Consecutive passing failures that open the circuit. */
  readonly threshold: number;
  /** First wait; doubled at every reopening. */
  readonly waitMs: number;
  readonly maxWaitMs: number;
  /** Longest a probe may take (the request timeout and a margin); then another request probes. */
  readonly probeLeaseMs: number;
}

export interface CircuitBreaker {
  admit(ticket: string): Promise<Admission>;
  report(ticket: string, outcome: RequestOutcome): Promise<Verdict>;
  /** The state now, and how long a job should stay away (0 when closed). */
  read(): Promise<{ state: CircuitState; waitMs: number }>;
}

/**
 * The shortest wait the circuit asks of a refused request, and the shortest hold of the queues
 * (BullMQ needs a positive rate-limit time).
 */
export const MIN_CIRCUIT_WAIT_MS = 100;

/** A failure count with no new failure for this long starts again from zero. */
export const FAILURE_MEMORY_MS = 60 * 60 * 1000;

/**
 * The circuit breaker every worker shares (docs/reliability.md): closed, it counts consecutive
 * passing failures; at `threshold` it opens for `waitMs`, doubling at each reopening up to
 * `maxWaitMs`; after a wait one request probes (half-open) while the others are refused; the
 * probe's answer closes it, its failure reopens it. Only the probe's outcome moves an open
 * circuit: answers to requests sent before it opened are ignored. Each call is one script on
 * Redis' own clock.
 */
export function createCircuitBreaker(options: {
  readonly redis: RedisConnection;
  readonly keys: Keys;
  readonly settings: CircuitSettings;
}): CircuitBreaker {
  const { redis, settings } = options;
  const key = options.keys.docspaceCircuit;
  const admit = defineScript(redis, 'onboardingCircuitAdmit', 1, ADMIT);
  const report = defineScript(redis, 'onboardingCircuitReport', 1, REPORT);
  const read = defineScript(redis, 'onboardingCircuitRead', 1, READ);

  return {
    async admit(ticket) {
      const [code = 0, n = 0] = numbers(
        await admit.run([key], [ticket, settings.probeLeaseMs, settings.waitMs]),
      );
      return admissionOf(code, n);
    },
    async report(ticket, outcome) {
      const [code = 0, ms = 0, failures = 0, outageMs = 0] = numbers(
        await report.run(
          [key],
          [
            ticket,
            outcome,
            settings.threshold,
            settings.waitMs,
            settings.maxWaitMs,
            FAILURE_MEMORY_MS,
          ],
        ),
      );
      const change = CHANGES[code];
      const state: CircuitState =
        code === 0 || code === 4 ? 'closed' : code === 5 ? 'half-open' : 'open';
      return { state, waitMs: ms, change, failures, outageMs };
    },
    async read() {
      const raw = (await read.run([key], [settings.waitMs])) as [unknown, unknown];
      const state = CIRCUIT_STATES.find((s) => s === raw[0]) ?? 'closed';
      return { state, waitMs: Number(raw[1]) };
    },
  };
}

/** An admission from the codes {@link circuitAdmissionLua} sets. */
export function admissionOf(code: number, n: number): Admission {
  switch (code) {
    case 0:
      return { kind: 'go', failures: n };
    case 1:
    case 2:
      return { kind: 'probe', halfOpened: code === 1 };
    default:
      return { kind: 'refused', state: code === 3 ? 'open' : 'half-open', waitMs: n };
  }
}

/** REPORT's codes that changed the circuit. */
const CHANGES: Readonly<Partial<Record<number, Verdict['change']>>> = {
  2: 'opened',
  3: 'reopened',
  4: 'closed',
};

function numbers(raw: unknown): number[] {
  return Array.isArray(raw) ? raw.map((value) => Number(value)) : [];
}
