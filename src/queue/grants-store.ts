import type { RoomGrant } from '../domain/rule-plan.js';
import { emailKey, type Keys } from './keys.js';
import type { RedisConnection } from './redis.js';

/** What the rules want one person to have now (src/domain/rule-plan.ts), as stored. */
export interface WantedGrants {
  readonly groups: readonly string[];
  readonly rooms: readonly RoomGrant[];
}

/** One person's grants: what the rules want, and what this service gave (rule 13). */
export interface GrantRecord {
  readonly key: string;
  readonly email: string;
  readonly userId: string;
  readonly want: WantedGrants;
  /**
   * The account was created by this service just before the request: nobody can have given it
   * anything by hand yet, so its current memberships need not be read first.
   */
  readonly fresh: boolean;
  /** Group names this service added the person to. */
  readonly groups: readonly string[];
  /** Room id → the access this service shared it with. */
  readonly rooms: ReadonlyMap<number, number>;
  /** What could not be given (`group:<name>`, `room:<id>`) → why. */
  readonly failures: ReadonlyMap<string, string>;
  /**
   * Targets (`group:<name>`, `room:<id>`) a call was sent for whose answer was never recorded (a
   * worker died waiting): a membership or share found there is this service's, not an admin's.
   */
  readonly giving: ReadonlySet<string>;
}

/** The head-hash field that marks a target being given (see GrantRecord.giving). */
const GIVING = 'giving:';

export interface GrantRequest {
  readonly email: string;
  readonly userId: string;
  readonly want: WantedGrants;
  readonly fresh: boolean;
}

/**
 * What the service gave each person (groups, room shares), in its own keys beside the hire record
 * and without an expiry: a mover loses only what this service gave (docs/design.md, rule 13), so
 * this must outlive the 90-day hire records. A Redis that forgets it makes the service forget what
 * it gave: movers then keep their old groups and rooms (nothing is removed that is not known to be
 * ours), never lose something an admin gave.
 *
 * People wait for the next grants flush in a sorted set, like the invite buffer.
 */
export function createGrantsStore(deps: {
  redis: RedisConnection;
  keys: Keys;
  now?: () => number;
}) {
  const { redis, keys } = deps;
  const now = deps.now ?? Date.now;

  return {
    keyOf: emailKey,

    /**
     * Stores what the rules want for a person and queues them for the next flush (one
     * transaction: a person is never wanted-but-not-queued).
     */
    async request(key: string, request: GrantRequest): Promise<void> {
      await redis
        .multi()
        .hset(keys.grants(key), {
          email: request.email,
          userId: request.userId,
          want: JSON.stringify(request.want),
          fresh: request.fresh ? '1' : '0',
          requestedAt: now(),
        })
        .zadd(keys.grantsPending, 'NX', now(), key)
        .exec();
    },

    async get(key: string): Promise<GrantRecord | undefined> {
      const replies = await redis
        .multi()
        .hgetall(keys.grants(key))
        .smembers(keys.grantedGroups(key))
        .hgetall(keys.grantedRooms(key))
        .hgetall(keys.grantFailures(key))
        .exec();
      const [head, groups, rooms, failures] = (replies ?? []).map(([, value]) => value) as [
        Record<string, string> | undefined,
        string[] | undefined,
        Record<string, string> | undefined,
        Record<string, string> | undefined,
      ];
      if (head?.['userId'] === undefined) return undefined;
      return {
        key,
        email: head['email'] ?? '',
        userId: head['userId'],
        want: parseWant(head['want']),
        fresh: head['fresh'] === '1',
        groups: [...(groups ?? [])].sort(),
        rooms: new Map(
          Object.entries(rooms ?? {}).map(([id, access]) => [Number(id), Number(access)]),
        ),
        failures: new Map(Object.entries(failures ?? {})),
        giving: new Set(
          Object.keys(head)
            .filter((field) => field.startsWith(GIVING))
            .map((field) => field.slice(GIVING.length)),
        ),
      };
    },

    /** People waiting for a flush, oldest first. */
    pendingSize: () => redis.zcard(keys.grantsPending),
    peek: (count: number) => redis.zrange(keys.grantsPending, 0, count - 1),
    async take(taken: readonly string[]): Promise<void> {
      if (taken.length > 0) await redis.zrem(keys.grantsPending, ...taken);
    },

    /**
     * Written just before the call that gives `target` to these people, cleared by its outcome
     * (gave…, failedTo): a worker killed in between leaves the mark for the next run to find.
     */
    async giving(personKeys: readonly string[], target: string): Promise<void> {
      if (personKeys.length === 0) return;
      const tx = redis.multi();
      for (const key of personKeys) tx.hset(keys.grants(key), `${GIVING}${target}`, '1');
      await tx.exec();
    },

    async gaveGroup(key: string, group: string): Promise<void> {
      await redis
        .multi()
        .sadd(keys.grantedGroups(key), group)
        .hdel(keys.grantFailures(key), `group:${group}`)
        .hdel(keys.grants(key), `${GIVING}group:${group}`)
        .exec();
    },
    async tookGroup(key: string, group: string): Promise<void> {
      await redis
        .multi()
        .srem(keys.grantedGroups(key), group)
        .hdel(keys.grantFailures(key), `group:${group}`)
        .exec();
    },
    async gaveRoom(key: string, roomId: number, access: number): Promise<void> {
      await redis
        .multi()
        .hset(keys.grantedRooms(key), String(roomId), String(access))
        .hdel(keys.grantFailures(key), `room:${roomId}`)
        .hdel(keys.grants(key), `${GIVING}room:${roomId}`)
        .exec();
    },
    async tookRoom(key: string, roomId: number): Promise<void> {
      await redis
        .multi()
        .hdel(keys.grantedRooms(key), String(roomId))
        .hdel(keys.grantFailures(key), `room:${roomId}`)
        .exec();
    },
    /** Something wanted that was not given, and why; cleared once given. */
    async failedTo(key: string, target: string, reason: string): Promise<void> {
      await redis
        .multi()
        .hset(keys.grantFailures(key), target, reason)
        .hdel(keys.grants(key), `${GIVING}${target}`)
        .exec();
    },
    /** Wanted no more: an old failure or an unfinished give for it no longer matters. */
    async forgetFailure(key: string, target: string): Promise<void> {
      await redis
        .multi()
        .hdel(keys.grantFailures(key), target)
        .hdel(keys.grants(key), `${GIVING}${target}`)
        .exec();
    },

    /** The group id this service uses for `name`, if it knows one. */
    groupId: async (name: string): Promise<string | undefined> =>
      (await redis.hget(keys.groupIds, name)) ?? undefined,
    async rememberGroup(name: string, id: string): Promise<void> {
      await redis.hset(keys.groupIds, name, id);
    },
    async forgetGroup(name: string): Promise<void> {
      await redis.hdel(keys.groupIds, name);
    },
  };
}

export type GrantsStore = ReturnType<typeof createGrantsStore>;

function parseWant(raw: string | undefined): WantedGrants {
  if (raw === undefined) return { groups: [], rooms: [] };
  try {
    const value = JSON.parse(raw) as Partial<WantedGrants>;
    return { groups: value.groups ?? [], rooms: value.rooms ?? [] };
  } catch {
    return { groups: [], rooms: [] };
  }
}
