import { randomUUID } from 'node:crypto';
import pLimit from 'p-limit';
import type { Keys } from '../queue/keys.js';
import type { RedisConnection } from '../queue/redis.js';
import { defineScript } from '../queue/scripts.js';

// KEYS: request log (ZSET), pause-until key. ARGV: max requests, window ms, member, in-flight ms,
// prune threshold. Returns 0 when the request may go now (and logs it), else how many ms to wait.
// Redis' own clock is the only clock, so workers on machines with different clocks still share one
// window. A request in flight is logged at "now + in-flight ms" (it counts until RELEASE re-logs it
// at the time it ended); a finished one counts for a window after it ended.
// Entries older than the window are removed only once the log holds the threshold (at most the
// cap): the log then holds at least the entries that count, so a count below the cap before
// removing is below it after, and the answer is the same as removing on every call, with one
// command fewer on most (docs/performance.md, "Worker levers").
const ACQUIRE = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local pausedUntil = tonumber(redis.call('GET', KEYS[2]) or '0')
if pausedUntil > now then return pausedUntil - now end
local window = tonumber(ARGV[2])
local inFlight = tonumber(ARGV[4])
local count = redis.call('ZCARD', KEYS[1])
if count >= tonumber(ARGV[5]) then
  redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - window)
  count = redis.call('ZCARD', KEYS[1])
end
if count < tonumber(ARGV[1]) then
  redis.call('ZADD', KEYS[1], now + inFlight, ARGV[3])
  redis.call('PEXPIRE', KEYS[1], inFlight + window * 2)
  return 0
end
local oldest = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
local ended = tonumber(oldest[2])
-- Every slot is held by a request still in flight: none frees sooner than a window from now.
if ended > now then return window end
return math.max(1, ended + window - now)
`;

// KEYS: request log. ARGV: member. The request ended now: it counts for one more window from here.
const RELEASE = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
return redis.call('ZADD', KEYS[1], 'XX', now, ARGV[1])
`;

// KEYS: pause-until key. ARGV: ms. Extends the pause, never shortens it.
const PAUSE = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
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

/** Runs DocSpace requests within the shared limits. */
export interface RequestBudget {
  run<T>(request: () => Promise<T>): Promise<T>;
  /** Holds every worker's requests for `ms` (after a 429). */
  pause(ms: number): Promise<void>;
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
  readonly sleep?: (ms: number) => Promise<void>;
}

/**
 * The shared DocSpace budget: at most `maxRps` requests in any sliding second across every worker
 * (a request log in Redis, checked and written by one script), at most `concurrency` in flight per
 * process, and a shared pause that a 429 sets for everyone.
 */
export function createRequestBudget(options: RequestBudgetOptions): RequestBudget {
  const { redis, keys } = options;
  const acquire = defineScript(redis, 'onboardingRateAcquireV2', 2, ACQUIRE);
  const release = defineScript(redis, 'onboardingRateRelease', 1, RELEASE);
  const pause = defineScript(redis, 'onboardingRatePause', 1, PAUSE);
  const limit = pLimit(options.concurrency);
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const inFlightMs = Math.max(options.inFlightMs ?? DEFAULT_IN_FLIGHT_MS, WINDOW_MS);
  const pruneAt = Math.min(options.maxRps, PRUNE_AT);

  /** Waits for a slot; returns the request's entry in the log. */
  const waitForSlot = async (): Promise<string> => {
    for (;;) {
      const member = randomUUID();
      const wait = Number(
        await acquire.run(
          [keys.docspaceRate, keys.docspacePause],
          [options.maxRps, WINDOW_MS, member, inFlightMs, pruneAt],
        ),
      );
      if (wait <= 0) return member;
      // A little jitter so that waiting workers do not all retry in the same millisecond.
      await sleep(wait + Math.floor(Math.random() * 5));
    }
  };

  return {
    run: (request) =>
      limit(async () => {
        const member = await waitForSlot();
        try {
          return await request();
        } finally {
          // Not awaited: the answer is not held up by the bookkeeping. If it never lands (Redis
          // away), the slot frees when its in-flight time runs out.
          release.run([keys.docspaceRate], [member]).catch(() => undefined);
        }
      }),
    async pause(ms) {
      if (ms > 0) await pause.run([keys.docspacePause], [Math.ceil(ms)]);
    },
  };
}
