import { DelayedError, UnrecoverableError, type Job } from 'bullmq';
import type { InviteMode } from '../src/config.js';
import type { CreateUserResult, DocspaceClient, DocspaceUser } from '../src/docspace/client.js';
import { CircuitOpenError, DocspaceError } from '../src/errors.js';
import type { Hire } from '../src/domain/hire.js';
import { cleanName } from '../src/domain/names.js';
import type { Logger } from '../src/logger.js';
import type { Metrics } from '../src/metrics.js';
import type { ProvisionJobData, ProvisionResult } from '../src/queue/contract.js';
import type { HireRecord, HireStore } from '../src/queue/hire-store.js';
import type { HireFetcher } from '../src/providers/types.js';
import type { Locks } from '../src/queue/locks.js';
import type { InviteBuffer } from '../src/queue/invite-buffer.js';
import type { ProvisionRules } from './grants-request.js';
import { circuitFields, type JobWaits } from './job-waits.js';
import { downgradedFrom, madeByUs, provablyNotCreated } from './ownership.js';
import { resolveHire } from './resolve-hire.js';
import { provisionAt } from '../src/domain/effective-date.js';
import type { OffboardingStore } from '../src/queue/offboarding-store.js';
import type { PersonClaim } from '../src/queue/person-claim.js';

/** The person has a DocSpace account this service made or found (rule 4: not touched again). */
function isProvisioned(state: string | undefined): boolean {
  return state === 'created' || state === 'invited' || state === 'existed';
}

/** What the processor uses of a BullMQ job (a whole Job in production, a literal in unit tests). */
export type ProvisionJob = Pick<
  Job<ProvisionJobData>,
  'id' | 'data' | 'attemptsMade' | 'attemptsStarted' | 'moveToDelayed' | 'updateData'
>;

export interface ProvisionDeps {
  /** Per HR system (`source`): fetches the people its webhooks only name. */
  readonly fetchers?: Readonly<Record<string, HireFetcher>>;
  readonly docspace: Pick<DocspaceClient, 'createUser' | 'findUserByEmail' | 'keyOwner'> &
    Partial<Pick<DocspaceClient, 'setStatus'>>;
  readonly store: Pick<
    HireStore,
    | 'keyOf'
    | 'get'
    | 'beginAttempt'
    | 'forgetAttempt'
    | 'created'
    | 'existed'
    | 'failed'
    | 'noteError'
    | 'received'
    | 'awaitEmail'
    | 'isAwaitingEmail'
    | 'stopAwaitingEmail'
  > &
    Partial<Pick<HireStore, 'scheduled' | 'reactivated' | 'note' | 'withdrawn'>>;
  /**
   * Leavers (rule 12): a hire cancels a pending disable, reactivates an account this service
   * disabled, and every account made is remembered for OFFBOARDING_SCOPE=created.
   */
  readonly offboarding?: Pick<OffboardingStore, 'cancel'>;
  /** PROVISION_LEAD_DAYS (rule 14): joiners are made this many days before `startDate`. */
  readonly leadDays?: number;
  /** HR_TIMEZONE: the zone a start date begins in. */
  readonly zone?: string;
  readonly locks: Locks;
  readonly lockKey: (emailKey: string) => string;
  /**
   * Takes the person's lease and reads their record and pending disable in one round trip
   * (src/queue/person-claim.ts). Without it: the lease, then the record, each on its own.
   */
  readonly claim?: PersonClaim;
  /** The lease on one HR record while it is read (see resolveHire). */
  readonly refLockKey: (source: string, employeeId: string) => string;
  readonly lockTtlMs: number;
  /** EmployeeType integer sent with every create (never omitted: omitted means a paid Room admin). */
  readonly userType: number;
  readonly inviteMode: InviteMode;
  /** Told when a person created by us entered it (a full batch asks for its flush). */
  readonly inviteBuffer: Pick<InviteBuffer, 'added'>;
  /** How a job waits after a 429, while the circuit is open, or after another passing failure. */
  readonly waits: JobWaits;
  readonly logger: Logger;
  /** Counts users DocSpace made as User although an admin type was asked. */
  readonly metrics?: Pick<Metrics, 'userDowngraded'>;
  readonly now?: () => number;
  /** `PROVISIONING_RULES`: the user type at create, groups and rooms once provisioned (rule 13). */
  readonly rules?: ProvisionRules;
}

/**
 * The `provision` job: creates the person in DocSpace, or finds they already had an account.
 *
 * - One job at a time per person (a lease on the email); others wait a moment and come back.
 * - A person already created, invited or found existing is not touched again (duplicates, rule 4).
 * - A refused create is settled by looking the email up, never by DocSpace's text (rule 10): the
 *   account existed (never invited, rule 2), unless an earlier create of ours whose answer was lost
 *   made it (rule 7), which its dates and `createdBy` tell (workers/ownership.ts).
 * - A paid type asked for but a User made (no free seats) is recorded as `downgraded`, logged and
 *   counted, so the admin knows to buy seats.
 * - Passing failures are rethrown for BullMQ to retry; lasting ones fail the job at once with a
 *   reason a person can act on (rules 5 and 6).
 * - While the DocSpace circuit is open (DocSpace down or slow), the job goes back to waiting with
 *   every queue held, without using an attempt.
 */
export function createProvisionProcessor(deps: ProvisionDeps) {
  const now = deps.now ?? Date.now;
  const claim: PersonClaim =
    deps.claim ??
    (async (key, owner) =>
      (await deps.locks.acquire(deps.lockKey(key), owner, deps.lockTtlMs))
        ? { record: await deps.store.get(key) }
        : undefined);
  return async (job: ProvisionJob, token?: string): Promise<ProvisionResult> => {
    const jobId = job.id ?? '';
    const hire = await resolveHire(job, deps, token);
    if (hire === undefined) return { outcome: 'not-needed', userId: undefined };
    const person: Hire = hire;
    const key = deps.store.keyOf(hire.email);
    const log = deps.logger.child({
      jobId,
      hireId: hire.hireId,
      source: hire.source,
      queue: 'hires',
    });

    const firstName = cleanName(hire.firstName);
    const lastName = cleanName(hire.lastName);
    if (firstName === '') {
      const reason =
        'the first name has no letters DocSpace accepts; fix it in the HR system and deliver again';
      await deps.store.failed(key, reason, jobId);
      log.warn('hire failed', { outcome: 'failed', reason });
      throw new UnrecoverableError(reason);
    }

    const lease = { key: deps.lockKey(key), owner: jobId };
    /** Whether the `created` script released the lease already. */
    const leaseState = { released: false };
    const claimed = await claim(key, jobId);
    if (claimed === undefined) {
      // Another job works on this person right now: come back shortly, without using an attempt.
      await job.moveToDelayed(now() + 500 + Math.floor(Math.random() * 1000), token);
      throw new DelayedError();
    }
    try {
      const { record } = claimed;
      // A vendor's mover update moves only someone this service provisioned; it never creates
      // (workers/resolve-hire.ts; the email may have changed, and an update is not a hire).
      if (job.data.moveOnly === true && !isProvisioned(record?.state)) {
        log.info('hr update of a person this service did not provision: nothing to move', {
          outcome: 'not-needed',
          state: record?.state,
        });
        return { outcome: 'not-needed', userId: undefined };
      }
      // An HR update is not a rehire: it neither cancels a pending disable nor wakes an account
      // this service disabled (HR systems send updates around a termination, too).
      const isUpdate = job.data.event === 'updated';
      if (isUpdate && (record?.state === 'offboarded' || record?.state === 'withdrawn')) {
        log.info('update of a leaver ignored', { outcome: 'not-needed', state: record.state });
        return { outcome: 'not-needed', userId: record.userId };
      }
      // Rule 14: the newest event accepted for a person who is not made yet decides their start.
      const superseded = supersededBecause(record, job, deps.leadDays);
      if (superseded !== undefined) {
        const { reason } = superseded;
        if (superseded.withdraw !== undefined && record?.state !== 'withdrawn') {
          await deps.store.withdrawn?.(key, jobId, reason, superseded.withdraw);
        } else {
          await deps.store.note?.(key, 'superseded', reason, jobId);
        }
        log.info('hire superseded', { outcome: 'not-needed', state: record?.state, reason });
        return { outcome: 'not-needed', userId: undefined };
      }
      // A hire before a termination took effect cancels it (rule 12), but not one accepted before
      // that termination (it is older news; docs/design.md, rule 14 "The newest event decides").
      if (
        !isUpdate &&
        terminatedSince(record, job.data.receivedAt) === undefined &&
        deps.offboarding !== undefined &&
        (await deps.offboarding.cancel(key, 'a hire event arrived', claimed.offboardingState))
      ) {
        await deps.store.note?.(key, 'offboarding cancelled', 'a hire event arrived', jobId);
        log.info('pending offboarding cancelled by a hire', { outcome: 'offboarding-cancelled' });
      }
      if (record?.state === 'offboarded' && record.userId !== undefined) {
        return await reactivate(record.userId);
      }
      // Rule 14: a joiner whose start is further away than PROVISION_LEAD_DAYS waits. A job woken
      // from that wait goes on only while the joiner is still scheduled by it (a later event moved
      // the start, or a termination withdrew the joiner), and checks the clock again.
      if (
        job.data.scheduledFor !== undefined &&
        (record?.state !== 'scheduled' || record.scheduleJobId !== jobId)
      ) {
        log.info('scheduled hire superseded', { outcome: 'not-needed', state: record?.state });
        return { outcome: 'not-needed', userId: undefined };
      }
      if (
        record?.state !== 'created' &&
        record?.state !== 'invited' &&
        record?.state !== 'existed'
      ) {
        const at = provisionAt(hire.startDate, deps.leadDays, deps.zone ?? 'UTC', now());
        if (at !== undefined && deps.store.scheduled !== undefined) {
          const first = job.data.scheduledFor === undefined;
          await deps.store.scheduled(key, jobId, at, hire);
          await job.updateData({ ...job.data, scheduledFor: at });
          if (first) {
            log.info('hire scheduled', { outcome: 'scheduled', at: new Date(at).toISOString() });
          }
          await job.moveToDelayed(at, token);
          throw new DelayedError();
        }
      }
      if (
        record?.state === 'created' ||
        record?.state === 'invited' ||
        record?.state === 'existed'
      ) {
        log.info('hire already provisioned', {
          outcome: 'already-provisioned',
          state: record.state,
        });
        await deps.rules?.afterProvisioned(hire, record.userId, false);
        return { outcome: 'already-provisioned', userId: record.userId };
      }

      const userType = deps.rules?.userType(hire) ?? deps.userType;
      const runStartedAt = now();
      // The record read under the lease names the job the intake wrote: a first attempt then
      // only sets the mark (src/queue/hire-store.ts beginAttempt).
      const firstAttemptAt = await deps.store.beginAttempt(key, jobId, {
        lastJobId: record?.lastJobId,
      });
      let result: CreateUserResult;
      try {
        result = await deps.docspace.createUser({
          email: hire.email,
          firstName,
          lastName,
          type: userType,
        });
      } catch (err: unknown) {
        await undoAttemptIfNothingHappened(err);
        throw err;
      }
      if (result.kind === 'created') return await recordCreated(result.user, 'created', userType);

      // DocSpace refused. Its text is in the key owner's language (docs/design.md, rule 10): ask for the
      // account instead. None: the refusal stands (a 400 fails the job with DocSpace's reason, a
      // 500 is retried). One: whose it is decides (workers/ownership.ts).
      const refusal = result.error;
      await undoAttemptIfNothingHappened(refusal);
      const user = await deps.docspace.findUserByEmail(hire.email);
      if (user === undefined) throw refusal;
      const ours = await madeByUs({
        user,
        refusedWith: refusal.status,
        firstAttemptAt,
        runStartedAt,
        keyOwner: () => deps.docspace.keyOwner(),
      });
      if (ours) return await recordCreated(user, 'created after a lost answer', userType);
      return await recordExisted(user.id);

      /**
       * DocSpace provably did nothing (429, an open circuit, a lasting refusal): if this run set
       * the first-attempt mark, take it back, or a later refusal for an account someone else made
       * meanwhile would be mistaken for ours (rule 2).
       */
      async function undoAttemptIfNothingHappened(err: unknown): Promise<void> {
        if (firstAttemptAt >= runStartedAt && provablyNotCreated(err)) {
          await deps.store.forgetAttempt(key, firstAttemptAt);
        }
      }
    } catch (err: unknown) {
      throw await failure(err);
    } finally {
      if (!leaseState.released) await deps.locks.release(lease.key, lease.owner);
    }

    /** Rule 12: the account this service disabled is enabled again and invited again. */
    async function reactivate(userId: string): Promise<ProvisionResult> {
      if (deps.docspace.setStatus === undefined || deps.store.reactivated === undefined) {
        return { outcome: 'already-provisioned', userId };
      }
      const [answered] = await deps.docspace.setStatus([userId], 'Active');
      if (answered?.id !== userId || answered.status === 2) {
        throw new DocspaceError({
          kind: 'lasting',
          endpoint: 'PUT /api/2.0/people/status/Active',
          message:
            'DocSpace did not enable the account again (its answer shows it still terminated)',
        });
      }
      const invite = deps.inviteMode !== 'none';
      const moved = await deps.store.reactivated(key, userId, jobId, invite);
      if (!moved.applied) return { outcome: 'already-provisioned', userId };
      log.info('account reactivated', { outcome: 'reactivated', userId, invite: deps.inviteMode });
      if (invite) await deps.inviteBuffer.added();
      return { outcome: 'reactivated', userId };
    }

    async function recordExisted(userId: string | undefined): Promise<ProvisionResult> {
      const existed = await deps.store.existed(key, userId, jobId, hire);
      await deps.rules?.afterProvisioned(person, userId, false);
      if (!existed.applied) {
        log.info('hire already provisioned', {
          outcome: 'already-provisioned',
          state: existed.state,
        });
        return { outcome: 'already-provisioned', userId };
      }
      log.info('hire existed', { outcome: 'existed', ...(userId ? { userId } : {}) });
      return { outcome: 'existed', userId };
    }

    async function recordCreated(
      user: DocspaceUser,
      how: string,
      userType: number,
    ): Promise<ProvisionResult> {
      const invite = deps.inviteMode !== 'none';
      const downgraded = downgradedFrom(userType, user);
      // Without rules nothing after this touches the person: the lease goes with the record.
      const releaseWith = deps.rules === undefined ? lease : undefined;
      const created = await deps.store.created(
        key,
        user.id,
        jobId,
        invite,
        { userType: user.type, downgradedFrom: downgraded },
        hire,
        releaseWith,
      );
      if (releaseWith !== undefined) leaseState.released = true;
      await deps.rules?.afterProvisioned(person, user.id, created.applied);
      if (!created.applied) {
        log.info('hire already provisioned', {
          outcome: 'already-provisioned',
          state: created.state,
        });
        return { outcome: 'already-provisioned', userId: user.id };
      }
      log.info(`hire ${how}`, { outcome: 'created', userId: user.id, invite: deps.inviteMode });
      if (downgraded !== undefined) {
        deps.metrics?.userDowngraded(downgraded);
        log.warn('DocSpace made a User: no free paid seats for the type asked', {
          outcome: 'downgraded',
          userId: user.id,
          requested: downgraded,
          fix: 'buy paid seats in DocSpace, then change the user type there',
        });
      }
      if (invite) await deps.inviteBuffer.added();
      return { outcome: 'created', userId: user.id };
    }

    async function failure(err: unknown): Promise<unknown> {
      if (err instanceof CircuitOpenError) {
        // Nothing was sent: no timeline entry, and only a debug line (this repeats while it waits).
        log.debug('hire waits for DocSpace', { circuit: err.state, waitMs: err.waitMs });
        return (await deps.waits.apply(job, await deps.waits.plan(err))) ?? err;
      }
      if (!(err instanceof DocspaceError)) return err;
      if (err.kind === 'lasting') {
        await deps.store.failed(key, err.message, jobId);
        log.warn('hire failed', { outcome: 'failed', reason: err.message, status: err.status });
        return new UnrecoverableError(err.message);
      }
      await deps.store.noteError(key, err.message, jobId);
      const wait = await deps.waits.plan(err);
      log.warn('hire will be retried', {
        outcome: 'retrying',
        reason: err.message,
        status: err.status,
        ...circuitFields(wait),
        attempt: job.attemptsMade + 1,
      });
      return (await deps.waits.apply(job, wait)) ?? err;
    }
  };
}

/**
 * Why a hire job must not schedule or create a person who is not made yet (rule 14), or undefined
 * when it may: a newer hire or update event was accepted for them (it decides the start date; a
 * delayed job woken while that one still waits would otherwise create on the old date), or a
 * termination was accepted after this event and not cancelled since (`withdraw`: when, for the
 * record). Order is the intake's: when each event was accepted (`receivedAt`), ties broken by
 * which the record names. Only with start dates in play: without them every event means "at
 * once", whichever runs first. A record Redis lost names no newer event, so it never blocks one
 * (rule 9).
 */
export function supersededBecause(
  record: HireRecord | undefined,
  job: Pick<ProvisionJob, 'id' | 'data'>,
  leadDays: number | undefined,
): { readonly reason: string; readonly withdraw?: number } | undefined {
  if (record === undefined || PROVISIONED.has(record.state)) return undefined;
  if (leadDays === undefined && job.data.scheduledFor === undefined) return undefined;
  const at = job.data.receivedAt;
  if (
    record.latestJobId !== undefined &&
    record.latestJobId !== job.id &&
    (record.latestAt ?? 0) >= at
  ) {
    return { reason: `a newer event for this person was accepted (job ${record.latestJobId})` };
  }
  const terminatedAt = terminatedSince(record, at);
  return terminatedAt === undefined
    ? undefined
    : { reason: 'terminated after this hire event was accepted', withdraw: terminatedAt };
}

/**
 * When a termination accepted at or after `at` (ms) and not cancelled since was accepted, or
 * undefined when there is none.
 */
export function terminatedSince(record: HireRecord | undefined, at: number): number | undefined {
  const terminatedAt = record?.terminatedAt;
  if (terminatedAt === undefined || terminatedAt < at) return undefined;
  return terminatedAt > (record?.cancelledAt ?? 0) ? terminatedAt : undefined;
}

/** States in which the person's account is made (or was, and disabled by us). */
const PROVISIONED: ReadonlySet<string> = new Set(['created', 'invited', 'existed', 'offboarded']);
