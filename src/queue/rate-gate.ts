import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import pLimit from 'p-limit';
import { defineScript } from './scripts.js';
import type { Keys } from './keys.js';

// KEYS: request log (ZSET), pause-until key. ARGV: max requests, window ms, member.
// Returns 0 when the request may go now (and logs it), else how many ms to wait. Redis' own clock
// is the only clock, so workers on machines with different clocks still share one window.
const ACQUIRE = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local pausedUntil = tonumber(redis.call('GET', KEYS[2]) or '0')
if pausedUntil > now then return pausedUntil - now end
local window = tonumber(ARGV[2])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - window)
if redis.call('ZCARD', KEYS[1]) < tonumber(ARGV[1]) then
  redis.call('ZADD', KEYS[1], now, ARGV[3])
  redis.call('PEXPIRE', KEYS[1], window * 2)
  return 0
end
local oldest = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
return math.max(1, tonumber(oldest[2]) + window - now)
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
 * The window is a little longer than a second: a request is admitted here and reaches DocSpace a few
 * milliseconds later (event loop, socket), and those delays differ between requests. The margin
 * keeps DocSpace's own view within `maxRps` in any second at the cost of about 5% of the budget.
 */
export const WINDOW_MS = 1_050;

/** Runs DocSpace requests within the shared limits. */
export interface RequestGate {
  run<T>(request: () => Promise<T>): Promise<T>;
  /** Holds every worker's requests for `ms` (after a 429). */
  pause(ms: number): Promise<void>;
}

export interface RequestGateOptions {
  readonly redis: Redis;
  readonly keys: Keys;
  /** Requests per second across all workers (`DOCSPACE_MAX_RPS`). */
  readonly maxRps: number;
  /** Requests in flight in this process (`DOCSPACE_CONCURRENCY`). */
  readonly concurrency: number;
  readonly sleep?: (ms: number) => Promise<void>;
}

/**
 * The shared DocSpace budget: at most `maxRps` requests in any sliding second across every worker
 * (a request log in Redis, checked and written by one script), at most `concurrency` in flight per
 * process, and a shared pause that a 429 sets for everyone.
 */
export function createRequestGate(options: RequestGateOptions): RequestGate {
  const { redis, keys } = options;
  const acquire = defineScript(redis, 'onboardingRateAcquire', 2, ACQUIRE);
  const pause = defineScript(redis, 'onboardingRatePause', 1, PAUSE);
  const limit = pLimit(options.concurrency);
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));

  const waitForSlot = async (): Promise<void> => {
    for (;;) {
      const wait = Number(
        await acquire.run(
          [keys.docspaceRate, keys.docspacePause],
          [options.maxRps, WINDOW_MS, randomUUID()],
        ),
      );
      if (wait <= 0) return;
      // A little jitter so that waiting workers do not all retry in the same millisecond.
      await sleep(wait + Math.floor(Math.random() * 5));
    }
  };

  return {
    run: (request) =>
      limit(async () => {
        await waitForSlot();
        return await request();
      }),
    async pause(ms) {
      if (ms > 0) await pause.run([keys.docspacePause], [Math.ceil(ms)]);
    },
  };
}
