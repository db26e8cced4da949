import type { Hire } from '../domain/hire.js';
import { defineScript } from './scripts.js';
import { emailKey, type Keys } from './keys.js';
import type { RedisConnection } from './redis.js';

/** Where a person stands. `created` means created by us and waiting for (or in) an invite batch. */
export const HIRE_STATES = [
  'received',
  'created',
  'existed',
  'invited',
  'failed',
  /** A joiner waiting for their start date (rule 14): a delayed job makes them later. */
  'scheduled',
  /** A scheduled joiner terminated before their account was made: nothing is created. */
  'withdrawn',
  /** The account was disabled by this service (rule 12); a hire event reactivates it. */
  'offboarded',
] as const;

export type HireState = (typeof HIRE_STATES)[number];

export interface HireRecord {
  readonly email: string;
  readonly hireId: string;
  readonly source: string;
  readonly state: HireState;
  readonly userId?: string;
  readonly receivedAt?: number;
  readonly firstAttemptAt?: number;
  readonly createdAt?: number;
  readonly existedAt?: number;
  readonly invitedAt?: number;
  readonly failedAt?: number;
  readonly lastError?: string;
  readonly lastJobId?: string;
  /** The type DocSpace gave the account, when it told (EmployeeFullDto flags). */
  readonly userType?: string;
  /**
   * DocSpace made a User although `requestedType` (RoomAdmin, DocSpaceAdmin) was asked: the
   * plan's paid seats were used up. The admin buys seats, then changes the type in DocSpace.
   */
  readonly downgraded?: boolean;
  readonly requestedType?: string;
  /** A scheduled joiner: when the account is to be made (rule 14), and the job that will. */
  readonly scheduledFor?: number;
  readonly scheduleJobId?: string;
  /**
   * The newest hire or update event accepted for this person (rule 14: the newest event decides
   * the start date): when the intake accepted it (ms, the job's `receivedAt`) and its job.
   */
  readonly latestAt?: number;
  readonly latestJobId?: string;
  /**
   * When the newest termination for this person was accepted (ms), and the newest cancellation of
   * one: events accepted before a termination that no cancellation followed make no one (rule 14)
   * and cancel no disable (rule 12).
   */
  readonly terminatedAt?: number;
  readonly cancelledAt?: number;
  /**
   * The HR system and employee whose termination withdrew a scheduled joiner (`source:employeeId`):
   * a later read of that record showing no termination puts the joiner back (rule 14).
   */
  readonly withdrawnBy?: string;
  readonly offboardedAt?: number;
  /** A hire event reactivated the account this service had disabled (rule 12). */
  readonly reactivatedAt?: number;
}

/**
 * Who the person is, written again with `created` and `existed`: a worker can take a job up before
 * the intake has written the `received` record (the jobs are stored first, docs/design.md, rule 8), and the
 * record must still name its email, or the invite batch would name nobody.
 */
export type PersonIdentity = Pick<Hire, 'email' | 'hireId' | 'source'>;

/** A job's lease on a person (src/queue/locks.ts): its key and its owner, the job id. */
export interface Lease {
  readonly key: string;
  readonly owner: string;
}

/** What DocSpace said about the account it made, recorded with `created`. */
export interface CreatedFacts {
  readonly userType?: string | undefined;
  /** The paid type asked for when DocSpace made a User instead. */
  readonly downgradedFrom?: string | undefined;
}

export interface TimelineEntry {
  readonly at: number;
  readonly event: string;
  readonly jobId?: string;
  readonly detail?: string;
}

/** Records live 90 days after their last change; a later delivery simply starts a new one. */
export const HIRE_RECORD_TTL_SECONDS = 90 * 24 * 3600;
const TIMELINE_LENGTH = 50;
/**
 * A change within this long of the last one keeps the record's lifetime as that one set it (a record
 * lives 90 days after its last change, give or take this).
 */
const TTL_SLACK_SECONDS = 3_600;
/**
 * The hash field holding when (ms, the caller's clock) the record's lifetime and its timeline's
 * were last set (every script that renews them renews both): written in the same HSET as the change that sets it,
 * so deciding whether to renew costs no TTL read. A record without it (written by an older version) counts as not fresh: renewed once.
 * Every script that EXPIREs the hash writes it; anything else that EXPIREs leaves it older than
 * the key's lifetime, never newer (at worst one renewal too many).
 */
const LIFETIME_FIELD = 'lifetimeSetAt';
// Lua: whether a lifetime set at `set` (ms, may be nil) is within TTL_SLACK of `now` (ms). A stamp
// far ahead of `now` (another machine's clock gone wrong) is not trusted either.
const FRESH_FUNCTION = `
local function freshAt(set, now)
  local at, slack = tonumber(set), ${TTL_SLACK_SECONDS * 1000}
  return at ~= nil and at > tonumber(now) - slack and at <= tonumber(now) + slack
end
`;

/** How many people the people page's index keeps (the most recently changed). */
export const PEOPLE_LISTED = 10_000;

// KEYS: hire, timeline, invite buffer, owed index, people index. ARGV: ttl, timeline length, timeline entry
// (JSON), allowed states (comma-separated, '' meaning "no record yet"), the person's key, score,
// '1' to queue them for their invitation ('' not to), then field/value pairs. Applies the fields,
// the timeline entry and the buffer entry together, and only when the current state is allowed;
// returns '=<previous state>' or the refusing state. Queuing for the invitation also enters the
// owed index; leaving `created` leaves it (docs/design.md, rule 9: the reconciler reads only this index).
// Redis work per call is counted by the bench (docs/performance.md): one read for the state and the
// last error, HDEL only when there is an error to clear, LTRIM only once the timeline is too long,
// and the two EXPIREs only when the record is new or its lifetime was set over TTL_SLACK ago (a
// hire's next change comes seconds after the last). When that was is the record's LIFETIME_FIELD,
// read with the state and written (as `score`, now in ms) in the same HSET, so the check costs no
// command of its own; a timeline that RPUSH made anew gets its own EXPIRE.
const TRANSITION_FUNCTION =
  FRESH_FUNCTION +
  `
local function transition(hire, timeline, buffer, owed, people, person, score, queue, fieldsFrom)
  local read = redis.call('HMGET', hire, 'state', 'lastError', '${LIFETIME_FIELD}')
  local current = read[1] or ''
  local allowed = ',' .. ARGV[4] .. ','
  if not string.find(allowed, ',' .. current .. ',', 1, true) then return current end
  local ttl = tonumber(ARGV[1])
  local fresh = current ~= '' and freshAt(read[3], score)
  if read[2] then redis.call('HDEL', hire, 'lastError') end
  if #ARGV >= fieldsFrom then
    if fresh then
      redis.call('HSET', hire, unpack(ARGV, fieldsFrom))
    else
      redis.call('HSET', hire, '${LIFETIME_FIELD}', score, unpack(ARGV, fieldsFrom))
    end
  end
  local length = redis.call('RPUSH', timeline, ARGV[3])
  if length > tonumber(ARGV[2]) then
    redis.call('LTRIM', timeline, -tonumber(ARGV[2]), -1)
  end
  if not fresh then redis.call('EXPIRE', hire, ttl) end
  if not fresh or length == 1 then redis.call('EXPIRE', timeline, ttl) end
  if redis.call('ZADD', people, score, person) == 1 and redis.call('ZCARD', people) > ${PEOPLE_LISTED} then
    redis.call('ZREMRANGEBYRANK', people, 0, 0)
  end
  if queue == '1' then
    redis.call('ZADD', buffer, 'NX', score, person)
    redis.call('ZADD', owed, 'NX', score, person)
  elseif current == 'created' then
    redis.call('ZREM', owed, person)
  end
  return '=' .. current
end
`;

const TRANSITION =
  TRANSITION_FUNCTION +
  'return transition(KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5], ARGV[5], ARGV[6], ARGV[7], 8)';

// `created`: TRANSITION, and when applied the person's entry in the hash of accounts this service
// made (KEYS[6], ARGV[8]: the DocSpace user id) in the same script, so the record and that entry
// are written together and in one round trip. KEYS[7], ARGV[9]: a lease to release afterwards
// when it names that owner ('' for none: the job releases it itself). Fields from ARGV[10].
const CREATED =
  TRANSITION_FUNCTION +
  `
local result = transition(KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5], ARGV[5], ARGV[6], ARGV[7], 10)
if string.sub(result, 1, 1) == '=' then redis.call('HSET', KEYS[6], ARGV[5], ARGV[8]) end
if ARGV[9] ~= '' and redis.call('GET', KEYS[7]) == ARGV[9] then redis.call('DEL', KEYS[7]) end
return result
`;

// The same change for many people in one call (an invite batch): KEYS: invite buffer, owed index,
// people index, then each person's hire and timeline. ARGV: as TRANSITION's first four, score,
// '1' or '', how many people, their keys, then field/value pairs. Returns each person's result.
const TRANSITION_MANY =
  TRANSITION_FUNCTION +
  `
local n = tonumber(ARGV[7])
local results = {}
for i = 1, n do
  results[i] = transition(KEYS[2 + 2 * i], KEYS[3 + 2 * i], KEYS[1], KEYS[2], KEYS[3],
    ARGV[7 + i], ARGV[5], ARGV[6], 8 + n)
end
return results
`;

// KEYS: hire. ARGV: now, job id. Marks the first attempt at `now` unless one is marked, records
// the job; returns the mark that holds. One script instead of MULTI/HSETNX/HSET/HGET/EXEC.
const BEGIN_ATTEMPT = `
local at = redis.call('HGET', KEYS[1], 'firstAttemptAt')
if at then
  redis.call('HSET', KEYS[1], 'lastJobId', ARGV[2])
  return at
end
redis.call('HSET', KEYS[1], 'firstAttemptAt', ARGV[1], 'lastJobId', ARGV[2])
return ARGV[1]
`;

// KEYS: hire. ARGV: the mark to remove. Removes firstAttemptAt only if it still holds that value
// (a concurrent or later attempt's mark is left alone).
const FORGET_ATTEMPT = `
if redis.call('HGET', KEYS[1], 'firstAttemptAt') == ARGV[1] then
  return redis.call('HDEL', KEYS[1], 'firstAttemptAt')
end
return 0
`;

// KEYS: hire, timeline. ARGV: a time field, when the event was accepted (ms), ttl, now (ms), then
// field/value pairs to set with it. Records the newest event of a kind for the person (rules 12
// and 14), never an older over a newer (deliveries of one person may be stored and run in any
// order), whatever the state: a scheduled joiner's delayed job sees that a newer event waits.
// Renews the record's and the timeline's lifetime (and writes LIFETIME_FIELD) only when they were
// set over TTL_SLACK ago: a later transition within the hour then leaves the timeline's alone, so
// it must not be older than the record's.
const NEWEST =
  FRESH_FUNCTION +
  `
local read = redis.call('HMGET', KEYS[1], ARGV[1], '${LIFETIME_FIELD}')
if read[1] and tonumber(read[1]) > tonumber(ARGV[2]) then return 0 end
if freshAt(read[2], ARGV[4]) then
  redis.call('HSET', KEYS[1], ARGV[1], ARGV[2], unpack(ARGV, 5))
else
  redis.call('HSET', KEYS[1], ARGV[1], ARGV[2], '${LIFETIME_FIELD}', ARGV[4], unpack(ARGV, 5))
  redis.call('EXPIRE', KEYS[1], ARGV[3])
  redis.call('EXPIRE', KEYS[2], ARGV[3])
end
return 1
`;

// The intake's records of one delivery and then its marker, in one script (docs/design.md, rule 8:
// jobs, then records, then the marker's `done`; the intake stores the jobs before it runs this).
// For each person, what `received` (TRANSITION, never queuing for the invitation) and then
// `accepted` (NEWEST on `latestAt`) do, with one read of the record for both and one HSET:
// docs/performance.md#intake-levers counts 4 Redis commands fewer per delivery, 2 of them sent by the API.
// KEYS: people index, marker, then each person's hire and timeline. ARGV: ttl, timeline length,
// allowed states (comma-separated, '' meaning "no record yet"), now (ms: the people index's score),
// when the event was accepted (ms), marker value, marker ttl (s), how many people, then per person
// their key, job id, timeline entry (JSON) and field/value pairs count, then those pairs.
const RECEIVED_THEN_MARK =
  FRESH_FUNCTION +
  `
local ttl = tonumber(ARGV[1])
local allowed = ',' .. ARGV[3] .. ','
local at = ARGV[5]
local arg = 9
for i = 1, tonumber(ARGV[8]) do
  local hire, timeline = KEYS[1 + 2 * i], KEYS[2 + 2 * i]
  local person, job, entry, pairs = ARGV[arg], ARGV[arg + 1], ARGV[arg + 2], tonumber(ARGV[arg + 3])
  local read = redis.call('HMGET', hire, 'state', 'lastError', 'latestAt', '${LIFETIME_FIELD}')
  local current = read[1] or ''
  local move = string.find(allowed, ',' .. current .. ',', 1, true)
  local fields = {}
  if not read[3] or tonumber(read[3]) <= tonumber(at) then
    fields = { 'latestAt', at, 'latestJobId', job }
  end
  if move then
    for j = arg + 4, arg + 3 + pairs do fields[#fields + 1] = ARGV[j] end
  end
  arg = arg + 4 + pairs
  local fresh = current ~= '' and #fields > 0 and freshAt(read[4], ARGV[4])
  if #fields > 0 and not fresh then
    fields[#fields + 1] = '${LIFETIME_FIELD}'
    fields[#fields + 1] = ARGV[4]
  end
  if move and read[2] then redis.call('HDEL', hire, 'lastError') end
  if #fields > 0 then
    redis.call('HSET', hire, unpack(fields))
    if not fresh then redis.call('EXPIRE', hire, ttl) end
  end
  if move then
    local length = redis.call('RPUSH', timeline, entry)
    if length > tonumber(ARGV[2]) then
      redis.call('LTRIM', timeline, -tonumber(ARGV[2]), -1)
    end
    if not fresh or length == 1 then redis.call('EXPIRE', timeline, ttl) end
    if redis.call('ZADD', KEYS[1], ARGV[4], person) == 1 and redis.call('ZCARD', KEYS[1]) > ${PEOPLE_LISTED} then
      redis.call('ZREMRANGEBYRANK', KEYS[1], 0, 0)
    end
  end
end
redis.call('SET', KEYS[2], ARGV[6], 'EX', ARGV[7])
`;

/** The outcome of a guarded transition: applied (from which state) or refused (in which state). */
export type Transition =
  | { readonly applied: true; readonly from: string }
  | { readonly applied: false; readonly state: string };

/**
 * The per-person record (docs/design.md, rules 4 and 7 rest on it): every state change is one Lua script that
 * checks the current state first, so two jobs for one email, or a job retried after a crash, can
 * never move a person backwards (an invited person is never queued for a second invitation).
 */
export function createHireStore(deps: { redis: RedisConnection; keys: Keys; now?: () => number }) {
  const { redis, keys } = deps;
  const now = deps.now ?? Date.now;
  const transition = defineScript(redis, 'onboardingHireTransitionV3', 5, TRANSITION);
  const createdScript = defineScript(redis, 'onboardingHireCreated', 7, CREATED);
  const transitionMany = defineScript(redis, 'onboardingHireTransitionMany', -1, TRANSITION_MANY);
  const forget = defineScript(redis, 'onboardingHireForgetAttempt', 1, FORGET_ATTEMPT);
  const begin = defineScript(redis, 'onboardingHireBeginAttempt', 1, BEGIN_ATTEMPT);
  const newest = defineScript(redis, 'onboardingHireNewestEvent', 2, NEWEST);
  const receivedThenMark = defineScript(
    redis,
    'onboardingIntakeReceivedThenMark',
    -1,
    RECEIVED_THEN_MARK,
  );
  const mark = async (key: string, field: string, at: number, ...more: string[]) => {
    await newest.run(
      [keys.hire(key), keys.timeline(key)],
      [field, at, HIRE_RECORD_TTL_SECONDS, now(), ...more],
    );
  };

  const entry = (event: string, jobId?: string, detail?: string): string =>
    JSON.stringify({
      at: now(),
      event,
      ...(jobId ? { jobId } : {}),
      ...(detail ? { detail } : {}),
    });

  // What `received` allows and writes, at intake (receivedThenMark) and when a worker fetched a person.
  const receivedFrom = (onlyIfAbsent: boolean): string[] =>
    onlyIfAbsent ? [''] : ['', 'failed', 'received'];
  const receivedFields = (hire: Hire, jobId: string) => ({
    state: 'received',
    email: hire.email,
    hireId: hire.hireId,
    source: hire.source,
    receivedAt: now(),
    lastJobId: jobId,
  });

  const move = async (
    key: string,
    from: readonly string[],
    fields: Record<string, string | number>,
    timeline: string,
    bufferForInvite = false,
    ours?: { readonly userId: string; readonly lease?: Lease | undefined },
  ): Promise<Transition> => {
    const personKeys = [
      keys.hire(key),
      keys.timeline(key),
      keys.invitePending,
      keys.inviteOwed,
      keys.people,
    ];
    const args = [
      HIRE_RECORD_TTL_SECONDS,
      TIMELINE_LENGTH,
      timeline,
      from.join(','),
      key,
      now(),
      bufferForInvite ? '1' : '',
    ];
    const pairs = Object.entries(fields).flat();
    const result =
      ours === undefined
        ? await transition.run(personKeys, [...args, ...pairs])
        : await createdScript.run(
            [...personKeys, keys.ours, ours.lease?.key ?? keys.ours],
            [...args, ours.userId, ours.lease?.owner ?? '', ...pairs],
          );
    return outcome(String(result));
  };

  return {
    keyOf: emailKey,

    /**
     * Intake: a delivery named this person. Resets a failed record so a new delivery retries it;
     * with `onlyIfAbsent`, writes only a record that does not exist yet.
     */
    received: (hire: Hire, jobId: string, onlyIfAbsent = false) =>
      move(
        emailKey(hire.email),
        receivedFrom(onlyIfAbsent),
        receivedFields(hire, jobId),
        entry('received', jobId),
      ),

    /**
     * A hire or update event for this person was accepted at `at` (its job's `receivedAt`) as job
     * `jobId`: it becomes the newest, unless a newer one is recorded (rule 14).
     */
    accepted: (key: string, jobId: string, at: number) =>
      mark(key, 'latestAt', at, 'latestJobId', jobId),

    /**
     * Intake, in one script: `received` and then `accepted` at `at` for each person of a delivery
     * (with `onlyIfAbsent`, a record is written only where none exists; `accepted` applies either
     * way), and after them `marker` set to `value` for `ttlSeconds` (rule 8: records, then the
     * marker's `done`).
     */
    async receivedThenMark(
      people: readonly { readonly hire: Hire; readonly jobId: string }[],
      at: number,
      onlyIfAbsent: boolean,
      marker: { readonly key: string; readonly value: string; readonly ttlSeconds: number },
    ): Promise<void> {
      // Keys and arguments pushed one by one: spreads, `flatMap`s and `Object.entries().flat()`
      // here cost as much CPU per delivery as ioredis' whole claim command (lever 9 in
      // docs/performance.md#intake-levers).
      const scriptKeys = [keys.people, marker.key];
      const args: (string | number)[] = [
        HIRE_RECORD_TTL_SECONDS,
        TIMELINE_LENGTH,
        receivedFrom(onlyIfAbsent).join(','),
        now(),
        at,
        marker.value,
        marker.ttlSeconds,
        people.length,
      ];
      for (const { hire, jobId } of people) {
        const key = emailKey(hire.email);
        scriptKeys.push(keys.hire(key), keys.timeline(key));
        const fields: Record<string, string | number> = receivedFields(hire, jobId);
        const pairsAt = args.push(key, jobId, entry('received', jobId), 0) - 1;
        for (const field in fields) args.push(field, fields[field] ?? '');
        args[pairsAt] = args.length - pairsAt - 1;
      }
      await receivedThenMark.run(scriptKeys, args);
    },

    /** A termination for this person was accepted at `at`. */
    terminated: (key: string, at: number) => mark(key, 'terminatedAt', at),

    /** A cancellation of their termination was accepted at `at`. */
    terminationCancelled: (key: string, at: number) => mark(key, 'cancelledAt', at),

    /**
     * Before the first create call: remembers when we first tried (rule 7's comparison point) and
     * records the job. `lastJobId`: the job the record named when the caller read it (under the
     * person's lease, src/queue/person-claim.ts); given, a first attempt costs one `HSETNX` (and
     * an `HSET` of the job only when the record named another), in one round trip, instead of the
     * script's three commands (docs/performance.md, "Worker levers"). A mark already set is then
     * read with `HGET`; one taken back between the two (a concurrent attempt's `forgetAttempt`)
     * leaves it to the script, which sets and reads in one step.
     */
    async beginAttempt(
      key: string,
      jobId: string,
      seen?: { readonly lastJobId?: string | undefined },
    ): Promise<number> {
      const at = now();
      const viaScript = async (): Promise<number> => {
        const stored = await begin.run([keys.hire(key)], [at, jobId]);
        return typeof stored === 'string' ? Number(stored) : at;
      };
      if (seen === undefined) return await viaScript();
      const hire = keys.hire(key);
      const pipeline = redis.pipeline().hsetnx(hire, 'firstAttemptAt', at);
      if (seen.lastJobId !== jobId) pipeline.hset(hire, 'lastJobId', jobId);
      const answers = await pipeline.exec();
      if (answers === null) throw new Error('Redis did not answer the first-attempt mark');
      for (const [err] of answers) if (err) throw err;
      if (answers[0]?.[1] === 1) return at;
      const stored = await redis.hget(hire, 'firstAttemptAt');
      return stored === null ? await viaScript() : Number(stored);
    },

    /** Takes back the first-attempt mark `at`, when the attempt provably created nothing. */
    async forgetAttempt(key: string, at: number): Promise<void> {
      await forget.run([keys.hire(key)], [String(at)]);
    },

    /**
     * DocSpace created the user for us: recorded, queued for its invitation when `invite`, and
     * kept among the accounts this service made (`ours`, for OFFBOARDING_SCOPE=created).
     * `lease`: the job's lease on the person, released in the same script when the job has nothing
     * more to do for them (one round trip fewer).
     */
    created: (
      key: string,
      userId: string,
      jobId: string,
      invite: boolean,
      facts: CreatedFacts = {},
      person?: PersonIdentity,
      lease?: Lease,
    ) =>
      move(
        key,
        ['', 'received', 'failed', 'scheduled', 'withdrawn'],
        {
          ...identity(person),
          state: 'created',
          userId,
          createdAt: now(),
          lastJobId: jobId,
          ...(facts.userType === undefined ? {} : { userType: facts.userType }),
          ...(facts.downgradedFrom === undefined
            ? {}
            : { downgraded: 'true', requestedType: facts.downgradedFrom }),
        },
        entry(
          'created',
          jobId,
          facts.downgradedFrom === undefined
            ? userId
            : `${userId}; made a User although ${facts.downgradedFrom} was asked: no free paid seats`,
        ),
        invite,
        { userId, lease },
      ),

    /** The email already had an account: recorded, never invited. */
    /** `userId` is known only when a lookup was needed (after a lost answer). */
    existed: (key: string, userId: string | undefined, jobId: string, person?: PersonIdentity) =>
      move(
        key,
        ['', 'received', 'failed', 'scheduled', 'withdrawn'],
        {
          ...identity(person),
          state: 'existed',
          ...(userId ? { userId } : {}),
          existedAt: now(),
          lastJobId: jobId,
        },
        entry('existed', jobId, userId),
      ),

    /** The person's invitation call succeeded. */
    invited: (key: string, jobId: string) =>
      move(
        key,
        ['created', 'failed'],
        { state: 'invited', invitedAt: now(), lastJobId: jobId },
        entry('invited', jobId),
      ),

    /** The invitation call of a batch succeeded: `invited` for each person, in one script. */
    async invitedAll(personKeys: readonly string[], jobId: string): Promise<Transition[]> {
      if (personKeys.length === 0) return [];
      const results = (await transitionMany.run(
        [
          keys.invitePending,
          keys.inviteOwed,
          keys.people,
          ...personKeys.flatMap((key) => [keys.hire(key), keys.timeline(key)]),
        ],
        [
          HIRE_RECORD_TTL_SECONDS,
          TIMELINE_LENGTH,
          entry('invited', jobId),
          'created,failed',
          now(),
          '',
          personKeys.length,
          ...personKeys,
          ...Object.entries({ state: 'invited', invitedAt: now(), lastJobId: jobId }).flat(),
        ],
      )) as unknown[];
      return results.map((result) => outcome(String(result)));
    },

    /** A lasting failure: the job stops here until an operator replays it. */
    failed: (key: string, reason: string, jobId: string) =>
      move(
        key,
        ['', 'received', 'created', 'failed', 'scheduled', 'withdrawn'],
        { state: 'failed', failedAt: now(), lastJobId: jobId, lastError: reason },
        entry('failed', jobId, reason),
      ),

    /** A joiner waits for their start date (rule 14); `jobId` is the delayed job that makes them. */
    scheduled: (key: string, jobId: string, at: number, person: PersonIdentity) =>
      move(
        key,
        ['', 'received', 'failed', 'scheduled', 'withdrawn'],
        {
          ...identity(person),
          state: 'scheduled',
          scheduledFor: at,
          scheduleJobId: jobId,
          lastJobId: jobId,
        },
        entry('scheduled', jobId, new Date(at).toISOString()),
      ),

    /**
     * A joiner was terminated before their account was made: nothing is created. `at` is when the
     * termination was accepted: hire events accepted before it no longer make them. `by`: the HR
     * system and employee of that termination (`source:employeeId`), when it is known.
     */
    withdrawn: (key: string, jobId: string, reason: string, at: number, by?: string) =>
      move(
        key,
        ['received', 'failed', 'scheduled'],
        {
          state: 'withdrawn',
          terminatedAt: at,
          lastJobId: jobId,
          withdrawnBy: by ?? '',
        },
        entry('withdrawn', jobId, reason),
      ),

    /** This service disabled the account (rule 12), whatever the record said before. */
    offboarded: (key: string, userId: string, jobId: string, person: PersonIdentity) =>
      move(
        key,
        ['', ...HIRE_STATES],
        {
          ...identity(person),
          state: 'offboarded',
          userId,
          offboardedAt: now(),
          lastJobId: jobId,
        },
        entry('offboarded', jobId, userId),
      ),

    /**
     * A hire for an account this service disabled: enabled again, then queued for an invitation
     * like a created user (`invite`), never counted as `existed` (rule 12).
     */
    reactivated: (key: string, userId: string, jobId: string, invite: boolean) =>
      move(
        key,
        ['offboarded'],
        { state: 'created', userId, reactivatedAt: now(), createdAt: now(), lastJobId: jobId },
        entry('reactivated', jobId, userId),
        invite,
      ),

    /** The people the page lists: the most recently changed first, at most `limit`. */
    recent: (limit: number): Promise<string[]> => redis.zrevrange(keys.people, 0, limit - 1),

    /** Remembers an HR record skipped for lacking a work email (kept as long as records). */
    async awaitEmail(source: string, employeeId: string): Promise<void> {
      await redis.set(keys.awaitingEmail(source, employeeId), now(), 'EX', HIRE_RECORD_TTL_SECONDS);
    },

    /** Whether an HR record was skipped for lacking a work email and not provisioned since. */
    async isAwaitingEmail(source: string, employeeId: string): Promise<boolean> {
      return (await redis.exists(keys.awaitingEmail(source, employeeId))) === 1;
    },

    async stopAwaitingEmail(source: string, employeeId: string): Promise<void> {
      await redis.del(keys.awaitingEmail(source, employeeId));
    },

    /** A timeline entry only (something worth knowing that changes no state). */
    async note(key: string, event: string, detail: string, jobId: string): Promise<void> {
      await redis
        .multi()
        .rpush(keys.timeline(key), entry(event, jobId, detail))
        .ltrim(keys.timeline(key), -TIMELINE_LENGTH, -1)
        .expire(keys.timeline(key), HIRE_RECORD_TTL_SECONDS)
        .exec();
    },

    /** A passing failure: kept as the last error, the state does not change. */
    async noteError(key: string, reason: string, jobId: string): Promise<void> {
      await redis
        .multi()
        .hset(keys.hire(key), 'lastError', reason)
        .rpush(keys.timeline(key), entry('retrying', jobId, reason))
        .ltrim(keys.timeline(key), -TIMELINE_LENGTH, -1)
        .expire(keys.hire(key), HIRE_RECORD_TTL_SECONDS)
        .expire(keys.timeline(key), HIRE_RECORD_TTL_SECONDS)
        .exec();
    },

    /**
     * People owed an invitation since before `before` (ms), oldest first, at most `limit`: read
     * from the owed index, never by scanning keys.
     */
    owedSince: (before: number, limit: number): Promise<string[]> =>
      redis.zrangebyscore(keys.inviteOwed, '-inf', `(${before}`, 'LIMIT', 0, limit),

    async get(key: string): Promise<HireRecord | undefined> {
      return recordOf(await redis.hgetall(keys.hire(key)));
    },

    async timeline(key: string): Promise<TimelineEntry[]> {
      const raw = await redis.lrange(keys.timeline(key), 0, -1);
      return raw.map((line) => JSON.parse(line) as TimelineEntry);
    },
  };
}

export type HireStore = ReturnType<typeof createHireStore>;

/** A transition script's answer: '=<previous state>' when applied, else the refusing state. */
function outcome(result: string): Transition {
  return result.startsWith('=')
    ? { applied: true, from: result.slice(1) }
    : { applied: false, state: result };
}

function identity(person: PersonIdentity | undefined): Record<string, string> {
  return person === undefined
    ? {}
    : { email: person.email, hireId: person.hireId, source: person.source };
}

/** A person's record from their hash (`HGETALL`), or undefined when there is none. */
export function recordOf(raw: Record<string, string>): HireRecord | undefined {
  return raw['state'] === undefined && raw['email'] === undefined ? undefined : toRecord(raw);
}

function toRecord(raw: Record<string, string>): HireRecord {
  const num = (field: string): Record<string, number> => {
    const value = raw[field];
    return value === undefined ? {} : { [field]: Number(value) };
  };
  const str = (field: string): Record<string, string> => {
    const value = raw[field];
    return value === undefined ? {} : { [field]: value };
  };
  return {
    email: raw['email'] ?? '',
    hireId: raw['hireId'] ?? '',
    source: raw['source'] ?? '',
    state: raw['state'] ?? 'received',
    ...str('userId'),
    ...str('lastError'),
    ...str('lastJobId'),
    ...str('userType'),
    ...str('requestedType'),
    ...(raw['downgraded'] === 'true' ? { downgraded: true } : {}),
    ...num('receivedAt'),
    ...num('firstAttemptAt'),
    ...num('createdAt'),
    ...num('existedAt'),
    ...num('invitedAt'),
    ...num('failedAt'),
    ...num('scheduledFor'),
    ...(raw['scheduleJobId'] ? { scheduleJobId: raw['scheduleJobId'] } : {}),
    ...num('latestAt'),
    ...str('latestJobId'),
    ...num('terminatedAt'),
    ...num('cancelledAt'),
    ...(raw['withdrawnBy'] ? { withdrawnBy: raw['withdrawnBy'] } : {}),
    ...num('offboardedAt'),
    ...num('reactivatedAt'),
  } as HireRecord;
}
