import { randomUUID } from 'node:crypto';
import pLimit from 'p-limit';
import type { Keys } from '../queue/keys.js';
import type { RedisConnection } from '../queue/redis.js';
import { defineScript, REDIS_CLOCK_LUA } from '../queue/scripts.js';
import { admissionOf, circuitAdmissionLua, circuitProbeLua, type Admission } from './circuit.js';

// Lua: releases of requests that ended, from ARGV[first] on as (member, ms since it ended)
// pairs, as ZADD's (score, member) in `releases`. Each is re-logged at when it ended, Redis' `now`
// less those ms (a duration the worker measured, never its clock), and counts for one more window
// from there. `releaseAll()` writes them in one ZADD; XX: an entry already removed stays removed.
const releasesLua = (first: number) => `
local releases = {}
for i = ${first}, #ARGV, 2 do
  releases[#releases + 1] = now - tonumber(ARGV[i + 1])
  releases[#releases + 1] = ARGV[i]
end
local function releaseAll()
  if #releases > 0 then redis.call('ZADD', KEYS[1], 'XX', unpack(releases)) end
end
`;

// KEYS: request log (ZSET), pause-until key, circuit (hash). ARGV: max requests, window ms,
// member, in-flight ms, prune threshold, circuit (1: admit through it, 0: none), probe lease ms,
// longest wait of a refused request in half-open, then the releases (member, ms ago) that ride
// along (releasesLua). Returns {wait, admission code, n}: wait > 0, the ms to wait before asking
// again (nothing taken); else the circuit's admission (src/docspace/circuit.ts,
// circuitAdmissionLua), and unless it refused, the request is logged and may go now (and a probe
// is taken). A refusal takes no slot and does not wait for one: the request never goes.
// Redis' own clock is the only clock, so workers on machines with different clocks still share one
// window. A request in flight is logged at "now + in-flight ms" (it counts until its release
// re-logs it at the time it ended); a finished one counts for a window after it ended.
// Entries older than the window are removed only once the log holds the threshold (at most the
// cap): the log then holds at least the entries that count, so a count below the cap before
// removing is below it after, and the answer is the same as removing on every call, with one
// command fewer on most (docs/performance.md, "Worker levers").
const ACQUIRE = `${REDIS_CLOCK_LUA}
${releasesLua(9)}
${circuitAdmissionLua('KEYS[3]', 'ARGV[8]', "ARGV[6] == '1'")}
if admitCode >= 3 then
  releaseAll()
  return {0, admitCode, admitN}
end
local pausedUntil = tonumber(redis.call('GET', KEYS[2]) or '0')
if pausedUntil > now then
  releaseAll()
  return {pausedUntil - now, 0, 0}
end
local window = tonumber(ARGV[2])
local inFlight = tonumber(ARGV[4])
local count = redis.call('ZCARD', KEYS[1])
if count >= tonumber(ARGV[5]) then
  redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - window)
  count = redis.call('ZCARD', KEYS[1])
end
if count < tonumber(ARGV[1]) then
  -- The releases ride in the new entry's ZADD, without XX: a released entry missing from the log
  -- (its in-flight time ran out and it was removed, or Redis forgot the log) comes back for the
  -- window after it ended, which only counts a request DocSpace did see.
  releases[#releases + 1] = now + inFlight
  releases[#releases + 1] = ARGV[3]
  redis.call('ZADD', KEYS[1], unpack(releases))
  redis.call('PEXPIRE', KEYS[1], inFlight + window * 2)
${circuitProbeLua('KEYS[3]', 'ARGV[3]', 'ARGV[7]')}
  return {0, admitCode, admitN}
end
releaseAll()
local oldest = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
local ended = tonumber(oldest[2])
-- Every slot is held by a request still in flight: none frees sooner than a window from now.
if ended > now then return {window, 0, 0} end
return {math.max(1, ended + window - now), 0, 0}
`;

// KEYS: request log. ARGV: the releases (member, ms ago), as in ACQUIRE. For the releases no
// ACQUIRE took along.
const RELEASE = `${REDIS_CLOCK_LUA}
${releasesLua(1)}
releaseAll()
return 0
`;

// KEYS: pause-until key. ARGV: ms. Extends the pause, never shortens it.
const PAUSE = `${REDIS_CLOCK_LUA}
local target = now + tonumber(ARGV[1])
local current = tonumber(redis.call('GET', KEYS[1]) or '0')
if target > current then redis.call('SET', KEYS[1], target, 'PX', tonumber(ARGV[1])) end
return target - now
`;

/**
 * DocSpace counts a request when it arrives, some time after we let it go (event loop, a new
 * connection's TCP and TLS handshakes) and before its answer; those delays differ between
 * requests, so counting at admission alone lets a late first burst and an on-time second one
 * land within one second at DocSpace (the fault suite saw up to 20 where 10 were allowed). A
 * request therefore holds its slot from admission until one window after its answer: whenever it
 * arrived, every request that arrived within a second of it was counted, and DocSpace never sees
 * more than `maxRps` in any second. The price: each slot is also held for the request's latency,
 * so with slow answers the rate stays below `maxRps`.
 */
export const WINDOW_MS = 1_000;

/**
 * The request log is cleared of entries older than the window once it holds this many (or the
 * cap, when lower): it stays small without a removal on every request.
 */
export const PRUNE_AT = 1_000;

/** How long a request may count as in flight before its slot frees anyway (a worker that died). */
export const DEFAULT_IN_FLIGHT_MS = 20_000;

/**
 * What the budget gives a request along with its slot: its ticket (its entry in the log) and,
 * when the budget admits through the circuit ({@link RequestBudgetOptions.circuit}), the
 * circuit's admission, taken in the same script (a refusal holds no slot).
 */
export interface Admitted {
  readonly ticket: string;
  readonly admission: Admission | undefined;
}

/** Runs DocSpace requests within the shared limits. */
export interface RequestBudget {
  run<T>(request: (admitted: Admitted) => Promise<T>): Promise<T>;
  /** Holds every worker's requests for `ms` (after a 429). */
  pause(ms: number): Promise<void>;
}

/** The shared circuit the budget admits through (src/docspace/circuit.ts). */
export interface BudgetCircuit {
  /** Longest a probe may take; then another request probes. */
  readonly probeLeaseMs: number;
  /** The circuit's first wait: the longest a refused request waits while a probe is out. */
  readonly waitMs: number;
}

export interface RequestBudgetOptions {
  readonly redis: RedisConnection;
  readonly keys: Keys;
  /** Requests per second across all workers (`DOCSPACE_MAX_RPS`). */
  readonly maxRps: number;
  /** Requests in flight in this process (`DOCSPACE_CONCURRENCY`). */
  readonly concurrency: number;
  /**
   * Longest a request may be in flight (at least `DOCSPACE_TIMEOUT_MS`); a request whose worker
   * died holds its slot this long. Default {@link DEFAULT_IN_FLIGHT_MS}.
   */
  readonly inFlightMs?: number;
  /**
   * The shared circuit, admitted through in the script that takes the slot (one round trip for
   * both); none: requests carry no admission.
   */
  readonly circuit?: BudgetCircuit | undefined;
  readonly sleep?: (ms: number) => Promise<void>;
}

/**
 * The shared DocSpace budget: at most `maxRps` requests in any sliding second across every worker
 * (a request log in Redis, checked and written by one script), at most `concurrency` in flight per
 * process, and a shared pause that a 429 sets for everyone. With a circuit, the same script admits
 * the request through it.
 *
 * A finished request's release rides in the next ACQUIRE this process sends in the same turn of
 * the event loop (a request waiting for its turn here starts as soon as one ends), else it is
 * sent on its own right after; either way it is logged as ended when it did (Redis' clock, less
 * the milliseconds since, measured here).
 */
export function createRequestBudget(options: RequestBudgetOptions): RequestBudget {
  const { redis, keys } = options;
  const acquire = defineScript(redis, 'onboardingRateAcquireV3', 3, ACQUIRE);
  const release = defineScript(redis, 'onboardingRateReleaseV2', 1, RELEASE);
  const pause = defineScript(redis, 'onboardingRatePause', 1, PAUSE);
  const limit = pLimit(options.concurrency);
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const inFlightMs = Math.max(options.inFlightMs ?? DEFAULT_IN_FLIGHT_MS, WINDOW_MS);
  const pruneAt = Math.min(options.maxRps, PRUNE_AT);
  const { circuit } = options;
  const circuitArgs = circuit ? [1, circuit.probeLeaseMs, circuit.waitMs] : [0, 0, 0];

  /** Requests ended and not yet released: ticket → when it ended (`performance.now()`). */
  let ended = new Map<string, number>();
  let flushing = false;
  /** Takes every pending release, as ACQUIRE's and RELEASE's (member, ms ago) arguments. */
  const takeReleases = (): { taken: Map<string, number>; args: (string | number)[] } => {
    const taken = ended;
    ended = new Map();
    const at = performance.now();
    // Rounded down: a release never ends a request earlier than it did.
    const args = [...taken].flatMap(([ticket, endedAt]) => [ticket, Math.floor(at - endedAt)]);
    return { taken, args };
  };
  /** Puts releases back whose script failed, for the next try. */
  const restore = (taken: Map<string, number>): void => {
    for (const [ticket, endedAt] of taken) ended.set(ticket, endedAt);
    scheduleFlush();
  };
  const flush = (): void => {
    flushing = false;
    if (ended.size === 0) return;
    // Not awaited by anyone: if it never lands (Redis away), the slot frees when its in-flight
    // time runs out.
    release.run([keys.docspaceRate], takeReleases().args).catch(() => undefined);
  };
  const scheduleFlush = (): void => {
    if (flushing) return;
    flushing = true;
    setImmediate(flush);
  };

  /** Waits for a slot (or the circuit's refusal); returns the request's ticket and admission. */
  const waitForSlot = async (): Promise<Admitted> => {
    for (;;) {
      const ticket = randomUUID();
      const { taken, args } = takeReleases();
      let raw: unknown;
      try {
        raw = await acquire.run(
          [keys.docspaceRate, keys.docspacePause, keys.docspaceCircuit],
          [options.maxRps, WINDOW_MS, ticket, inFlightMs, pruneAt, ...circuitArgs, ...args],
        );
      } catch (err: unknown) {
        restore(taken);
        throw err;
      }
      const [wait = 0, code = 0, n = 0] = Array.isArray(raw) ? raw.map(Number) : [];
      if (wait <= 0) return { ticket, admission: circuit && admissionOf(code, n) };
      // A little jitter so that waiting workers do not all retry in the same millisecond.
      await sleep(wait + Math.floor(Math.random() * 5));
    }
  };

  return {
    run: (request) =>
      limit(async () => {
        const admitted = await waitForSlot();
        // Refused by the circuit: no slot was taken, so there is none to release.
        if (admitted.admission?.kind === 'refused') return await request(admitted);
        try {
          return await request(admitted);
        } finally {
          // Not awaited: the answer is not held up by the bookkeeping.
          ended.set(admitted.ticket, performance.now());
          scheduleFlush();
        }
      }),
    async pause(ms) {
      if (ms > 0) await pause.run([keys.docspacePause], [Math.ceil(ms)]);
    },
  };
}
