import { UnrecoverableError, type Job } from 'bullmq';
import type { DocspaceClient } from '../src/docspace/client.js';
import { ROOM_ACCESS } from '../src/domain/rules.js';
import { CircuitOpenError, DocspaceError } from '../src/errors.js';
import type { Logger } from '../src/logger.js';
import { GRANTS_FULL_JOB, type InviteFlushJobData } from '../src/queue/contract.js';
import type { GrantRecord, GrantsStore } from '../src/queue/grants-store.js';
import type { HireStore } from '../src/queue/hire-store.js';
import type { GroupIds } from './group-ids.js';
import { circuitFields, type JobWaits } from './job-waits.js';

export type GrantsJob = Pick<
  Job<InviteFlushJobData>,
  'id' | 'name' | 'data' | 'opts' | 'attemptsMade' | 'attemptsStarted' | 'updateData'
>;

export interface GrantsDeps {
  readonly store: Omit<GrantsStore, 'request'>;
  readonly hires: Pick<HireStore, 'note'>;
  readonly docspace: Pick<
    DocspaceClient,
    'groupMembers' | 'addGroupMembers' | 'removeGroupMembers' | 'shareRoom' | 'roomShares'
  >;
  readonly groupIds: GroupIds;
  /** At most this many people per flush batch, so per group or room call. */
  readonly batchSize: number;
  readonly waits: JobWaits;
  readonly logger: Logger;
}

export interface GrantsResult {
  readonly people: number;
  readonly failed: number;
}

const NONE = 0;
const ACCESS_NAMES = new Map<number, string>(
  Object.entries(ROOM_ACCESS).map(([name, value]) => [value, name]),
);

/**
 * The grants flush (docs/design.md, rule 13; docs/rules.md): gives a batch of people the groups
 * and rooms their rules want, and takes back what only earlier rules gave, with one call per group
 * and per room for the whole batch (`PUT …/members`, `PUT …/share` take many users at once).
 *
 * - Like the invite flush, the batch is written to the job's data before it leaves the queue of
 *   waiting people, so a killed worker's job resumes the same batch. Every step is idempotent:
 *   adding a member twice or sharing with the same access changes nothing, and what was given is
 *   recorded per person after each call.
 * - Only what this service recorded as given is ever taken back. For people whose account this
 *   service did not just create, current members and shares are read first: what they already had
 *   (an admin's work) is left alone and never recorded as ours.
 * - A room that does not exist, or that DocSpace will not share, is a lasting failure for those
 *   people and that room only: recorded with the reason on the person, their account untouched;
 *   the job then fails so an operator can replay it once the rules file or DocSpace is fixed.
 * - Passing failures retry the job (same waits, circuit and budget as every DocSpace call).
 */
export function createGrantsProcessor(deps: GrantsDeps) {
  return async (job: GrantsJob): Promise<GrantsResult> => {
    const fullOnly = job.name === GRANTS_FULL_JOB;
    const log = deps.logger.child({ jobId: job.id, queue: 'invites', step: 'grants' });
    let people = 0;
    for (;;) {
      let batch = job.data.batch;
      if (batch === undefined) {
        const waiting = await deps.store.pendingSize();
        if (waiting === 0 || (fullOnly && waiting < deps.batchSize)) break;
        batch = await deps.store.peek(deps.batchSize);
        await job.updateData({ batch });
      }
      await deps.store.take(batch);
      let failures: Map<string, string[]>;
      try {
        failures = await applyBatch(batch, job.id ?? '', log);
      } catch (err: unknown) {
        throw await failure(err, job, log);
      }
      people += batch.length;
      if (failures.size > 0) {
        await job.updateData({ batch: [...failures.keys()] });
        const reasons = [...new Set([...failures.values()].flat())];
        log.warn('grants failed for some people', { outcome: 'failed', people: failures.size });
        throw new UnrecoverableError(
          `groups or rooms could not be given to ${failures.size} people: ${reasons.join('; ')}; fix the cause, then replay this job`,
        );
      }
      await job.updateData({});
      if (batch.length < deps.batchSize) break;
    }
    return { people, failed: 0 };
  };

  /** One batch: every group, then every room. Returns the lasting failures by person. */
  async function applyBatch(
    batch: readonly string[],
    jobId: string,
    log: Logger,
  ): Promise<Map<string, string[]>> {
    const found = await Promise.all(batch.map((key) => deps.store.get(key)));
    const people = found.filter((r): r is GrantRecord => r !== undefined);
    const failures = new Map<string, string[]>();
    const fail = async (person: GrantRecord, target: string, reason: string): Promise<void> => {
      failures.set(person.key, [...(failures.get(person.key) ?? []), reason]);
      await deps.store.failedTo(person.key, target, reason);
      await deps.hires.note(person.key, 'grant-failed', reason, jobId);
    };
    const given = new Map<string, string[]>();
    const note = (person: GrantRecord, what: string): void => {
      given.set(person.key, [...(given.get(person.key) ?? []), what]);
    };

    const groupNames = new Set(people.flatMap((p) => [...p.want.groups, ...p.groups]));
    for (const name of groupNames) {
      const adds = people.filter((p) => p.want.groups.includes(name) && !p.groups.includes(name));
      const removes = people.filter(
        (p) => !p.want.groups.includes(name) && p.groups.includes(name),
      );
      await applyGroup(name, adds, removes, fail, note);
    }
    const roomIds = new Set(
      people.flatMap((p) => [...p.want.rooms.map((r) => r.id), ...p.rooms.keys()]),
    );
    for (const id of roomIds) {
      const sets = people.flatMap((p) => {
        const access = p.want.rooms.find((r) => r.id === id)?.access;
        return access !== undefined && p.rooms.get(id) !== access ? [{ person: p, access }] : [];
      });
      const removes = people.filter(
        (p) => p.rooms.has(id) && !p.want.rooms.some((r) => r.id === id),
      );
      await applyRoom(id, sets, removes, fail, note);
    }
    for (const p of people) {
      for (const target of new Set([...p.failures.keys(), ...p.giving])) {
        if (!stillWanted(p, target)) await deps.store.forgetFailure(p.key, target);
      }
      const what = given.get(p.key);
      if (what !== undefined) await deps.hires.note(p.key, 'grants', what.join('; '), jobId);
    }
    if (given.size > 0) log.info('grants given', { outcome: 'granted', people: given.size });
    return failures;
  }

  type Fail = (person: GrantRecord, target: string, reason: string) => Promise<void>;
  type Note = (person: GrantRecord, what: string) => void;

  async function applyGroup(
    name: string,
    adds: readonly GrantRecord[],
    removes: readonly GrantRecord[],
    fail: Fail,
    note: Note,
  ): Promise<void> {
    if (adds.length === 0 && removes.length === 0) return;
    const target = `group:${name}`;
    let id = await deps.groupIds.idOf(name);
    let toAdd = adds;
    if (adds.some((p) => !p.fresh)) {
      // Someone may have put them there by hand: such a membership is not ours to record or take.
      // One a killed worker's call made (still marked `giving`) is ours: given again, recorded.
      const current = await membersOrGone(name, id);
      if (current === undefined) id = await deps.groupIds.idOf(name);
      else toAdd = adds.filter((p) => !current.has(p.userId.toLowerCase()) || p.giving.has(target));
    }
    if (toAdd.length > 0) {
      await markGiving(toAdd, target);
      let members: Set<string>;
      try {
        members = await deps.docspace.addGroupMembers(
          id,
          toAdd.map((p) => p.userId),
        );
      } catch (err: unknown) {
        if (!isNotFound(err)) throw err;
        // The remembered group was deleted in DocSpace: find or create it again, once.
        await deps.groupIds.forget(name);
        id = await deps.groupIds.idOf(name);
        members = await deps.docspace.addGroupMembers(
          id,
          toAdd.map((p) => p.userId),
        );
      }
      for (const p of toAdd) {
        if (members.has(p.userId.toLowerCase())) {
          await deps.store.gaveGroup(p.key, name);
          note(p, `added to group "${name}"`);
        } else {
          await fail(
            p,
            target,
            `DocSpace did not add the account to group "${name}" (it skips guests and disabled accounts without a word)`,
          );
        }
      }
    }
    if (removes.length > 0) {
      try {
        await deps.docspace.removeGroupMembers(
          id,
          removes.map((p) => p.userId),
        );
      } catch (err: unknown) {
        if (!isNotFound(err)) throw err; // the group is gone, and their membership with it
        await deps.groupIds.forget(name);
      }
      for (const p of removes) {
        await deps.store.tookGroup(p.key, name);
        note(p, `removed from group "${name}"`);
      }
    }
  }

  /**
   * Marks `target` as being given to the people whose memberships are read before a give (not
   * `fresh`), so a run after a crash knows the membership or share it finds was this service's.
   */
  async function markGiving(people: readonly GrantRecord[], target: string): Promise<void> {
    await deps.store.giving(
      people.filter((p) => !p.fresh).map((p) => p.key),
      target,
    );
  }

  async function membersOrGone(name: string, id: string): Promise<Set<string> | undefined> {
    try {
      return await deps.docspace.groupMembers(id);
    } catch (err: unknown) {
      if (!isNotFound(err)) throw err;
      await deps.groupIds.forget(name);
      return undefined;
    }
  }

  async function applyRoom(
    roomId: number,
    sets: readonly { person: GrantRecord; access: number }[],
    removes: readonly GrantRecord[],
    fail: Fail,
    note: Note,
  ): Promise<void> {
    if (sets.length === 0 && removes.length === 0) return;
    const target = `room:${roomId}`;
    const refused = async (people: readonly GrantRecord[], err: DocspaceError): Promise<void> => {
      const reason =
        err.status === 404
          ? `room ${roomId} does not exist in DocSpace (404); fix the room id in the rules file`
          : `DocSpace refused to share room ${roomId} (${err.status ?? 'no status'}: ${err.upstreamMessage ?? err.message}); the API key's owner must be the room's creator or a room manager of it, and the access must suit the room type and the person's user type`;
      for (const p of people) await fail(p, target, reason);
    };
    let current: Map<string, number> | undefined;
    if (removes.length > 0 || sets.some((s) => !s.person.fresh)) {
      try {
        current = await deps.docspace.roomShares(roomId);
      } catch (err: unknown) {
        if (!isLasting(err)) throw err;
        await refused([...sets.map((s) => s.person), ...removes], err);
        return;
      }
    }
    // A share the person holds that we did not give is an admin's: leave it, never record it
    // (one a killed worker's call made, still marked `giving`, is ours).
    const toShare = sets.filter(
      (s) =>
        current === undefined ||
        s.person.rooms.has(roomId) ||
        s.person.giving.has(target) ||
        !current.has(s.person.userId.toLowerCase()),
    );
    await markGiving(
      toShare.map((s) => s.person),
      target,
    );
    const share = async (entries: readonly { person: GrantRecord; access: number }[]) => {
      const shown = await deps.docspace.shareRoom(
        roomId,
        entries.map((e) => ({ id: e.person.userId, access: e.access })),
      );
      for (const e of entries) {
        if (shown.get(e.person.userId.toLowerCase()) === e.access) {
          await deps.store.gaveRoom(e.person.key, roomId, e.access);
          note(e.person, `room ${roomId} shared (${ACCESS_NAMES.get(e.access) ?? e.access})`);
        } else {
          await fail(
            e.person,
            target,
            `DocSpace did not share room ${roomId} with the account (it skips disabled accounts without a word)`,
          );
        }
      }
    };
    if (toShare.length > 0) {
      try {
        await share(toShare);
      } catch (err: unknown) {
        if (!isLasting(err)) throw err;
        if (err.status === 404 || toShare.length === 1)
          await refused(
            toShare.map((s) => s.person),
            err,
          );
        else {
          // DocSpace applies entries in order and stops at a refused one (§8.3): one person per
          // call finds who it refuses; re-sharing the ones already applied changes nothing.
          for (const entry of toShare) {
            try {
              await share([entry]);
            } catch (single: unknown) {
              if (!isLasting(single)) throw single;
              await refused([entry.person], single);
            }
          }
        }
      }
    }
    if (removes.length > 0 && current !== undefined) {
      // Only shares still holding the access we gave: a changed one is an admin's decision now.
      const ours = removes.filter(
        (p) => current.get(p.userId.toLowerCase()) === p.rooms.get(roomId),
      );
      if (ours.length > 0) {
        await deps.docspace.shareRoom(
          roomId,
          ours.map((p) => ({ id: p.userId, access: NONE })),
        );
      }
      for (const p of removes) {
        await deps.store.tookRoom(p.key, roomId);
        note(
          p,
          ours.includes(p)
            ? `room ${roomId} unshared`
            : `room ${roomId} left as an admin changed it`,
        );
      }
    }
  }

  async function failure(err: unknown, job: GrantsJob, log: Logger): Promise<unknown> {
    if (err instanceof CircuitOpenError) {
      return (await deps.waits.apply(job, await deps.waits.plan(err))) ?? err;
    }
    if (!(err instanceof DocspaceError)) return err;
    if (err.kind === 'lasting') {
      log.error('grants batch failed', {
        outcome: 'failed',
        reason: err.message,
        status: err.status,
      });
      return new UnrecoverableError(
        `groups and rooms: ${err.message}; fix the cause, then replay this job`,
      );
    }
    const wait = await deps.waits.plan(err);
    log.warn('grants batch will be retried', {
      outcome: 'retrying',
      reason: err.message,
      status: err.status,
      ...circuitFields(wait),
    });
    return (await deps.waits.apply(job, wait)) ?? err;
  }
}

function stillWanted(person: GrantRecord, target: string): boolean {
  if (target.startsWith('group:')) return person.want.groups.includes(target.slice(6));
  return person.want.rooms.some((r) => `room:${r.id}` === target);
}

function isNotFound(err: unknown): boolean {
  return err instanceof DocspaceError && err.kind === 'lasting' && err.status === 404;
}

function isLasting(err: unknown): err is DocspaceError {
  return err instanceof DocspaceError && err.kind === 'lasting';
}
