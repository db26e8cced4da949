import { HIRE_RECORD_TTL_SECONDS } from './hire-store.js';
import { emailKey, type Keys } from './keys.js';
import type { RedisConnection } from './redis.js';
import { defineScript } from './scripts.js';

/**
 * Where a leaver's disable stands (docs/design.md, rule 12): `scheduled` until the termination
 * date has ended, `held` over the hourly threshold until an admin releases it (`released`), then
 * `done` (disabled), `skipped` (out of scope, no account), `refused` (an admin, the owner, the
 * key's owner, an LDAP account) or `cancelled` (a cancelled termination, a rehire).
 */
export type OffboardingState =
  'scheduled' | 'held' | 'released' | 'done' | 'skipped' | 'refused' | 'cancelled';

export const OFFBOARDING_STATES: readonly OffboardingState[] = [
  'scheduled',
  'held',
  'released',
  'done',
  'skipped',
  'refused',
  'cancelled',
];

/** States still to act on: a cancellation or a rehire stops them. */
export const PENDING_OFFBOARDING: readonly OffboardingState[] = ['scheduled', 'held', 'released'];
const PENDING: readonly string[] = PENDING_OFFBOARDING;

export interface OffboardingRecord {
  readonly email: string;
  readonly employeeId: string;
  readonly source: string;
  /** When the termination takes effect (ms): the end of its date in HR_TIMEZONE. */
  readonly effectiveAt: number;
  readonly terminationDate?: string;
  readonly state: OffboardingState;
  readonly reason?: string;
  /** The `offboard` job this record belongs to; other jobs for the person are stale. */
  readonly jobId: string;
  readonly updatedAt: number;
}

export interface Termination {
  readonly email: string;
  readonly employeeId: string;
  readonly source: string;
  readonly effectiveAt: number;
  readonly terminationDate?: string;
}

// KEYS: record, index. ARGV: job id, now, ttl, then field/value pairs. Writes the schedule unless
// this job wrote it already (a rerun after a crash or a delay must not undo a cancellation) or the
// account is disabled already. Returns the state the record is in afterwards.
const SCHEDULE = /* lua */ `
local job = redis.call('HGET', KEYS[1], 'jobId')
local state = redis.call('HGET', KEYS[1], 'state')
if job == ARGV[1] or state == 'done' then return state end
redis.call('DEL', KEYS[1])
redis.call('HSET', KEYS[1], 'jobId', ARGV[1], 'state', 'scheduled', 'updatedAt', ARGV[2], unpack(ARGV, 4))
redis.call('EXPIRE', KEYS[1], ARGV[3])
redis.call('ZADD', KEYS[2], redis.call('HGET', KEYS[1], 'effectiveAt'), ARGV[5] or '')
return 'scheduled'
`;

// KEYS: record, index. ARGV: job id, now, ttl, effective time, termination date, index member.
// The HR system shows a later termination date than the one scheduled (read again before the
// disable): the pending record of this job moves to it and waits `scheduled` again.
const RESCHEDULE = /* lua */ `
if redis.call('HGET', KEYS[1], 'jobId') ~= ARGV[1] then return 'stale' end
local state = redis.call('HGET', KEYS[1], 'state')
if state ~= 'scheduled' and state ~= 'held' and state ~= 'released' then return state or 'gone' end
redis.call('HSET', KEYS[1], 'state', 'scheduled', 'effectiveAt', ARGV[4], 'terminationDate', ARGV[5],
  'reason', '', 'updatedAt', ARGV[2])
redis.call('EXPIRE', KEYS[1], ARGV[3])
redis.call('ZADD', KEYS[2], ARGV[4], ARGV[6])
return 'scheduled'
`;

// KEYS: record. ARGV: job id ('' for any), allowed states (comma-separated), new state, reason,
// now. Moves the record when its job and state allow; returns '=' .. previous state, or the state
// that refused.
const MOVE = /* lua */ `
local state = redis.call('HGET', KEYS[1], 'state') or ''
if ARGV[1] ~= '' and redis.call('HGET', KEYS[1], 'jobId') ~= ARGV[1] then return 'stale' end
if not string.find(',' .. ARGV[2] .. ',', ',' .. state .. ',', 1, true) then return state end
redis.call('HSET', KEYS[1], 'state', ARGV[3], 'reason', ARGV[4], 'updatedAt', ARGV[5])
return '=' .. state
`;

// KEYS: record, sent log. ARGV: job id, now, window (ms), most per window, member. Takes a place
// in the rolling window for this disable, or holds it: a released record never waits again, and
// a person already in the window (a retry after a crash) keeps their place. Returns 'go', 'held'
// or the state/staleness that stops the disable.
const TAKE_SLOT = /* lua */ `
if redis.call('HGET', KEYS[1], 'jobId') ~= ARGV[1] then return 'stale' end
local state = redis.call('HGET', KEYS[1], 'state')
if state ~= 'scheduled' and state ~= 'released' then return state or 'gone' end
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', tonumber(ARGV[2]) - tonumber(ARGV[3]))
if state == 'scheduled' and not redis.call('ZSCORE', KEYS[2], ARGV[5])
   and redis.call('ZCARD', KEYS[2]) >= tonumber(ARGV[4]) then
  redis.call('HSET', KEYS[1], 'state', 'held', 'updatedAt', ARGV[2],
    'reason', 'more than ' .. ARGV[4] .. ' disables in an hour: an admin must release it')
  return 'held'
end
redis.call('ZADD', KEYS[2], ARGV[2], ARGV[5])
redis.call('PEXPIRE', KEYS[2], ARGV[3])
return 'go'
`;

const HOUR_MS = 3_600_000;

/**
 * The leavers' records: one hash per person (what is to be disabled, when, and where it stands),
 * an index by effective time for the admin listing, and the log of disables in the last hour that
 * OFFBOARDING_MAX_PER_HOUR is checked against. Every change is one Lua script that checks the
 * owning job and the state first, so a stale or rerun job never undoes a cancellation.
 */
export function createOffboardingStore(deps: {
  redis: RedisConnection;
  keys: Keys;
  now?: () => number;
}) {
  const { redis, keys } = deps;
  const now = deps.now ?? Date.now;
  const schedule = defineScript(redis, 'onboardingOffboardSchedule', 2, SCHEDULE);
  const move = defineScript(redis, 'onboardingOffboardMove', 1, MOVE);
  const takeSlot = defineScript(redis, 'onboardingOffboardTakeSlot', 2, TAKE_SLOT);
  const reschedule = defineScript(redis, 'onboardingOffboardReschedule', 2, RESCHEDULE);
  /** Kept until 90 days after the termination takes effect. */
  const ttlOf = (effectiveAt: number) =>
    Math.max(
      HIRE_RECORD_TTL_SECONDS,
      Math.ceil((effectiveAt - now()) / 1000) + HIRE_RECORD_TTL_SECONDS,
    );

  const moveTo = async (
    key: string,
    jobId: string,
    from: readonly string[],
    to: OffboardingState,
    reason: string,
  ): Promise<boolean> =>
    String(await move.run([keys.offboarding(key)], [jobId, from.join(','), to, reason, now()])) //
      .startsWith('=');

  const get = async (key: string): Promise<OffboardingRecord | undefined> => {
    const raw = await redis.hgetall(keys.offboarding(key));
    return raw['state'] === undefined ? undefined : toRecord(raw);
  };

  return {
    keyOf: emailKey,
    get,

    /**
     * Records the termination `jobId` carries, kept until 90 days after it takes effect. Returns
     * the state the record is in afterwards (`scheduled`, or what a cancellation made it).
     */
    async schedule(termination: Termination, jobId: string): Promise<OffboardingState> {
      const key = emailKey(termination.email);
      const ttl = ttlOf(termination.effectiveAt);
      const state = await schedule.run(
        [keys.offboarding(key), keys.offboardings],
        [
          jobId,
          now(),
          ttl,
          // ARGV[4], ARGV[5]: the index member follows its name, read by the script.
          'key',
          key,
          'email',
          termination.email,
          'employeeId',
          termination.employeeId,
          'source',
          termination.source,
          'effectiveAt',
          termination.effectiveAt,
          'terminationDate',
          termination.terminationDate ?? '',
          'reason',
          '',
        ],
      );
      return String(state) as OffboardingState;
    },

    /**
     * Moves the pending disable `jobId` owns to a later termination date (`scheduled` again);
     * false when the record moved on (cancelled, done, another job's).
     */
    async reschedule(
      key: string,
      jobId: string,
      effectiveAt: number,
      terminationDate: string,
    ): Promise<boolean> {
      const state = await reschedule.run(
        [keys.offboarding(key), keys.offboardings],
        [jobId, now(), ttlOf(effectiveAt), effectiveAt, terminationDate, key],
      );
      return String(state) === 'scheduled';
    },

    /** A place in the hour's disables, or `held` (see TAKE_SLOT); anything else means stop. */
    async takeSlot(key: string, jobId: string, maxPerHour: number): Promise<string> {
      return String(
        await takeSlot.run(
          [keys.offboarding(key), keys.offboardingSent],
          [jobId, now(), HOUR_MS, maxPerHour, key],
        ),
      );
    },

    /** The disable ended (`done`, `skipped`, `refused`); false when the record moved on. */
    finish: (key: string, jobId: string, state: OffboardingState, reason: string) =>
      moveTo(key, jobId, PENDING, state, reason),

    /**
     * A cancelled termination or a rehire: a pending disable stops; false when none was. Every
     * hire asks, and almost nobody has a pending disable: one HGET first, the script (which checks
     * again) only for a pending one. `known`: the state the caller read already (null: no
     * record), which spares the HGET (a hire reads it with its lease, src/queue/person-claim.ts).
     */
    async cancel(key: string, reason: string, known?: string | null): Promise<boolean> {
      const state = known === undefined ? await redis.hget(keys.offboarding(key), 'state') : known;
      if (state === null || !PENDING.includes(state)) return false;
      return await moveTo(key, '', PENDING, 'cancelled', reason);
    },

    /**
     * Releases held disables (all, or the emails named): each becomes `released`. Returns the
     * records released, for the caller to queue their jobs again.
     */
    async release(
      emails?: readonly string[],
      personKeys?: readonly string[],
    ): Promise<OffboardingRecord[]> {
      const candidates =
        emails === undefined && personKeys === undefined
          ? (await list('held')).map((record) => emailKey(record.email))
          : [...(emails ?? []).map((email) => emailKey(email)), ...(personKeys ?? [])];
      const released: OffboardingRecord[] = [];
      for (const key of candidates) {
        if (await moveTo(key, '', ['held'], 'released', 'released by an admin')) {
          const record = await get(key);
          if (record !== undefined) released.push(record);
        }
      }
      return released;
    },

    list,

    /** The DocSpace user id this service created for the person, if it did. */
    async ours(key: string): Promise<string | undefined> {
      return (await redis.hget(keys.ours, key)) ?? undefined;
    },
  };

  /** Records in `state` (all when undefined), by effective time, at most `limit`. */
  async function list(state?: OffboardingState, limit = 1_000): Promise<OffboardingRecord[]> {
    const members = await redis.zrange(keys.offboardings, 0, -1);
    const records: OffboardingRecord[] = [];
    const stale: string[] = [];
    for (const key of members) {
      const record = await get(key);
      if (record === undefined) stale.push(key);
      else if (state === undefined || record.state === state) records.push(record);
      if (records.length >= limit) break;
    }
    if (stale.length > 0) await redis.zrem(keys.offboardings, ...stale);
    return records;
  }
}

export type OffboardingStore = ReturnType<typeof createOffboardingStore>;

function toRecord(raw: Record<string, string>): OffboardingRecord {
  const state = OFFBOARDING_STATES.find((s) => s === raw['state']) ?? 'scheduled';
  return {
    email: raw['email'] ?? '',
    employeeId: raw['employeeId'] ?? '',
    source: raw['source'] ?? '',
    effectiveAt: Number(raw['effectiveAt'] ?? 0),
    ...(raw['terminationDate'] ? { terminationDate: raw['terminationDate'] } : {}),
    state,
    ...(raw['reason'] ? { reason: raw['reason'] } : {}),
    jobId: raw['jobId'] ?? '',
    updatedAt: Number(raw['updatedAt'] ?? 0),
  };
}
