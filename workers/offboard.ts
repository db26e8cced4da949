import { DelayedError, UnrecoverableError, type Job } from 'bullmq';
import type { OffboardingMode, OffboardingScope } from '../src/config.js';
import type { DocspaceClient, DocspaceUser } from '../src/docspace/client.js';
import { dayIn, terminationEffectiveAt } from '../src/domain/effective-date.js';
import { isValidEmail } from '../src/domain/email.js';
import type { EmploymentReading, Leaver } from '../src/domain/hire.js';
import type { HireRef } from '../src/domain/hire-item.js';
import { shownTermination } from '../src/domain/hr-termination.js';
import { CircuitOpenError, DocspaceError, ServiceError, UpstreamError } from '../src/errors.js';
import type { Logger } from '../src/logger.js';
import type { Metrics } from '../src/metrics.js';
import type { Hire } from '../src/domain/hire.js';
import type { ProvisionJobData } from '../src/queue/contract.js';
import type { HireStore } from '../src/queue/hire-store.js';
import type { CancelOffboardJobData, OffboardJobData } from '../src/queue/leaver-intake.js';
import { PENDING_OFFBOARDING, type OffboardingStore } from '../src/queue/offboarding-store.js';
import type { Locks } from '../src/queue/locks.js';
import { circuitFields, type JobWaits } from './job-waits.js';
import type { LeaverReader } from './leaver-read.js';

/** What the processors use of a BullMQ job. */
export type OffboardJob = Pick<
  Job<OffboardJobData>,
  'id' | 'data' | 'attemptsMade' | 'attemptsStarted' | 'moveToDelayed' | 'updateData'
>;
export type CancelOffboardJob = Pick<Job<CancelOffboardJobData>, 'id' | 'data' | 'moveToDelayed'>;

export interface OffboardDeps {
  readonly mode: OffboardingMode;
  readonly scope: OffboardingScope;
  readonly maxPerHour: number;
  /** HR_TIMEZONE: the zone in which a termination date ends. */
  readonly zone: string;
  readonly docspace: Pick<DocspaceClient, 'findUserByEmail' | 'keyOwner' | 'setStatus'>;
  readonly store: Pick<
    HireStore,
    | 'keyOf'
    | 'get'
    | 'note'
    | 'accepted'
    | 'withdrawn'
    | 'offboarded'
    | 'terminated'
    | 'terminationCancelled'
  >;
  readonly offboarding: Pick<
    OffboardingStore,
    'schedule' | 'get' | 'takeSlot' | 'finish' | 'cancel' | 'ours' | 'reschedule'
  >;
  /**
   * The HR systems' APIs (workers/leaver-read.ts): a vendor's leaver event is read there, and a
   * leaver from a system that can be read is read again just before the disable.
   */
  readonly reader?: LeaverReader;
  /**
   * Puts a joiner a termination withdrew back on their schedule when a read of their HR record no
   * longer shows it (rule 14, as the `offboard-cancel` job does); without it they stay withdrawn.
   */
  readonly joiners?: JoinerJobs;
  /**
   * The person's lease, the one hire jobs take (workers/provision.ts): a disable and a rehire (or a
   * cancellation) of one person never interleave, so a rehire that arrives while the disable is
   * being sent finds the account recorded `offboarded` and reactivates it.
   */
  readonly locks: Locks;
  readonly lockKey: (personKey: string) => string;
  readonly lockTtlMs: number;
  readonly waits: JobWaits;
  readonly logger: Logger;
  readonly metrics?: Pick<Metrics, 'offboardingHeld' | 'offboardingFinished'>;
  readonly now?: () => number;
}

/** What an `offboard` job ended as. */
export interface OffboardResult {
  readonly outcome:
    | 'recorded'
    | 'offboarded'
    | 'held'
    | 'skipped'
    | 'refused'
    | 'cancelled'
    | 'withdrawn'
    | 'not-leaver'
    | 'stale';
  readonly userId?: string;
}

/**
 * The `offboard` job (docs/design.md, rule 12), for one leaver:
 *
 * - `OFFBOARDING=off`: the termination goes into the person's timeline; nothing else.
 * - A joiner still waiting for their start date (rule 14) is withdrawn at once: nothing is made.
 * - Otherwise the disable is recorded `scheduled` and the job waits (a delayed job) until the
 *   termination date has ended in HR_TIMEZONE; at once when that is past. It checks the clock
 *   again when it wakes, so a job promoted early never disables early.
 * - Then, unless cancelled meanwhile: the account must be in OFFBOARDING_SCOPE (`created`: one
 *   this service made; `all`: any with the email) and never a DocSpace admin, the portal owner,
 *   the API key's owner or an LDAP account (the server lets an owner's key disable admins:
 *   docs/docspace-lifecycle.md, section 3.3). Over OFFBOARDING_MAX_PER_HOUR in a rolling hour it
 *   waits `held` for an admin.
 * - A vendor's leaver event names the person only (`ref`): the job first reads their work email
 *   and termination from the HR API (src/domain/hr-termination.ts); a record that shows none
 *   cancels a pending disable the same system scheduled for that employee (the termination was
 *   removed: what the read before the disable would find), else it is noted `not a leaver`. The
 *   same date that system already has pending for the employee ends `stale`: one schedule, and a
 *   held disable stays held.
 * - Where the leaver's HR system can be read, it is read again just before the disable: a
 *   termination no longer there cancels it, a later date moves it. An HR API outage is a passing
 *   failure (retried with backoff); nothing is disabled without that read.
 * - `PUT /api/2.0/people/status/Terminated`, checked per user in the answer (older servers skip
 *   an id silently, section 3.4). The call is idempotent: a worker killed between the call and
 *   its record sends it again on the retry, and the person keeps their place in the hour.
 */
export function createOffboardProcessor(deps: OffboardDeps) {
  const now = deps.now ?? Date.now;
  return async (job: OffboardJob, token?: string): Promise<OffboardResult> => {
    const jobId = job.id ?? '';
    const { deliveryId } = job.data;
    const given = job.data.leaver ?? (await resolveLeaver(job, token));
    if ('outcome' in given) return given;
    const leaver: Leaver = given;
    const key = deps.store.keyOf(leaver.email);
    const person = { email: leaver.email, hireId: leaver.hireId, source: leaver.source };
    const log = deps.logger.child({
      jobId,
      hireId: leaver.hireId,
      source: leaver.source,
      queue: 'hires',
    });
    const effectiveAt = terminationEffectiveAt(
      leaver.terminationDate,
      deps.zone,
      job.data.receivedAt,
    );
    const when = new Date(effectiveAt).toISOString();

    if (deps.mode === 'off') {
      await deps.store.note(
        key,
        'termination',
        `effective ${when}; OFFBOARDING=off: recorded only`,
        jobId,
      );
      log.info('termination recorded', { outcome: 'recorded', effectiveAt: when });
      return { outcome: 'recorded' };
    }

    // A release carries the schedule of the job that was held; a termination owns its own.
    const owner = job.data.scheduleJobId ?? jobId;
    if (job.data.scheduleJobId === undefined) {
      // Recorded first: hire events accepted before this termination neither make the person nor
      // cancel its disable (docs/design.md, rule 14 "The newest event decides"). Under the
      // person's lease: a scheduled joiner's job waking now either made them already or finds
      // them withdrawn, never creates them after this.
      const withdrawn = await leased(async () => {
        await deps.store.terminated(key, job.data.receivedAt);
        const hire = await deps.store.get(key);
        if (hire?.state !== 'scheduled') return false;
        const reason = `terminated before the start date (effective ${when})`;
        const by = withdrawnBy(leaver.source, leaver.hireId);
        return (await deps.store.withdrawn(key, jobId, reason, job.data.receivedAt, by)).applied;
      });
      if (withdrawn) {
        log.info('scheduled joiner withdrawn', { outcome: 'withdrawn' });
        return { outcome: 'withdrawn' };
      }
      const state = await deps.offboarding.schedule(
        {
          email: leaver.email,
          employeeId: leaver.hireId,
          source: leaver.source,
          effectiveAt,
          ...(leaver.terminationDate === undefined
            ? {}
            : { terminationDate: leaver.terminationDate }),
        },
        jobId,
      );
      if (state !== 'scheduled' && state !== 'released') {
        log.info('termination needs nothing', { outcome: 'stale', state });
        return { outcome: 'stale' };
      }
      if (effectiveAt > now()) {
        if (job.attemptsStarted <= 1) {
          await deps.store.note(key, 'offboarding scheduled', `disable at ${when}`, jobId);
          log.info('offboarding scheduled', { outcome: 'scheduled', effectiveAt: when });
        }
        await job.moveToDelayed(effectiveAt, token);
        throw new DelayedError();
      }
    }

    return await leased(disable);

    /** Runs `work` holding the person's lease (see OffboardDeps.locks). */
    async function leased<T>(work: () => Promise<T>): Promise<T> {
      if (!(await deps.locks.acquire(deps.lockKey(key), jobId, deps.lockTtlMs))) {
        // A hire or another leaver job works on this person now: come back shortly, no attempt used.
        await job.moveToDelayed(now() + 500 + Math.floor(Math.random() * 1000), token);
        throw new DelayedError();
      }
      try {
        return await work();
      } finally {
        await deps.locks.release(deps.lockKey(key), jobId);
      }
    }

    async function disable(): Promise<OffboardResult> {
      const reread = await readAgain();
      if (reread !== undefined) return reread;
      const slot = await deps.offboarding.takeSlot(key, owner, deps.maxPerHour);
      if (slot === 'held') {
        deps.metrics?.offboardingHeld();
        await deps.store.note(
          key,
          'offboarding held',
          `more than ${deps.maxPerHour} disables in an hour`,
          jobId,
        );
        log.warn('offboarding held: more disables in an hour than OFFBOARDING_MAX_PER_HOUR', {
          outcome: 'held',
          maxPerHour: deps.maxPerHour,
          fix: 'check the HR export; release on /admin/people or POST /admin/offboarding/release',
        });
        return { outcome: 'held' };
      }
      if (slot !== 'go') {
        log.info('offboarding stopped', { outcome: 'stale', state: slot });
        return { outcome: slot === 'cancelled' ? 'cancelled' : 'stale' };
      }

      try {
        const target = await findTarget(key, leaver.email);
        if (target.kind !== 'user') {
          await deps.offboarding.finish(key, owner, target.kind, target.reason);
          await deps.store.note(key, `offboarding ${target.kind}`, target.reason, jobId);
          deps.metrics?.offboardingFinished(target.kind);
          log.info(`offboarding ${target.kind}`, { outcome: target.kind, reason: target.reason });
          return { outcome: target.kind };
        }
        const [answered] = await deps.docspace.setStatus([target.user.id], 'Terminated');
        if (answered?.id !== target.user.id || answered.status !== 2) {
          throw new DocspaceError({
            kind: 'lasting',
            endpoint: 'PUT /api/2.0/people/status/Terminated',
            message:
              'DocSpace did not disable the account (its answer does not show it terminated)',
          });
        }
        await deps.store.offboarded(key, target.user.id, jobId, person);
        await deps.offboarding.finish(
          key,
          owner,
          'done',
          `disabled at ${new Date(now()).toISOString()}`,
        );
        deps.metrics?.offboardingFinished('offboarded');
        log.info('account disabled', { outcome: 'offboarded', userId: target.user.id });
        return { outcome: 'offboarded', userId: target.user.id };
      } catch (err: unknown) {
        throw await failure(err);
      }
    }

    /**
     * Rule 12's last clause: the HR record, read again just before the disable. Undefined: the
     * termination stands (or the source has no API to read); else what the job ended as.
     */
    async function readAgain(): Promise<OffboardResult | undefined> {
      if (deps.reader?.canRead(leaver.source) !== true) return undefined;
      const context = job.data.ref?.context;
      const ref: HireRef = {
        source: leaver.source,
        employeeId: leaver.hireId,
        ...(context === undefined ? {} : { context }),
      };
      const reading = await readHr(ref, log, jobId, key);
      const day = shownTermination(reading, dayIn(deps.zone, now()));
      if (day === undefined) {
        const reason = `${leaver.source} no longer shows the termination (read again before the disable)`;
        // Only while the disable is still this job's (a newer termination stands), as of this read
        // (the job's own receivedAt is its termination's); a rerun after a crash adds nothing twice.
        const record = await deps.offboarding.get(key);
        const ours =
          record?.jobId === owner &&
          (record.state === 'cancelled' || PENDING_OFFBOARDING.includes(record.state));
        const joiner = ours
          ? await undoTermination(deps, key, { jobId, receivedAt: now(), deliveryId })
          : undefined;
        await deps.offboarding.finish(key, owner, 'cancelled', reason);
        await deps.store.note(
          key,
          'termination cancelled',
          `${reason}: nothing is disabled${joiner === undefined ? '' : `; ${joiner}`}`,
          jobId,
        );
        deps.metrics?.offboardingFinished('cancelled');
        log.info('offboarding cancelled: the HR system no longer shows the termination', {
          outcome: 'cancelled',
        });
        return { outcome: 'cancelled' };
      }
      const at = terminationEffectiveAt(day, deps.zone, now());
      if (at <= now()) return undefined;
      // A later date: the disable waits for it (the job keeps the date, its next wake reads again).
      if (!(await deps.offboarding.reschedule(key, owner, at, day))) {
        return { outcome: 'stale' };
      }
      await job.updateData({ ...job.data, leaver: { ...leaver, terminationDate: day } });
      const moved = new Date(at).toISOString();
      await deps.store.note(
        key,
        'offboarding moved',
        `${leaver.source} shows the termination on ${day} now: disable at ${moved}`,
        jobId,
      );
      log.info('offboarding moved to a later termination date', {
        outcome: 'scheduled',
        effectiveAt: moved,
      });
      await job.moveToDelayed(at, token);
      throw new DelayedError();
    }

    async function failure(err: unknown): Promise<unknown> {
      if (err instanceof CircuitOpenError) {
        return (await deps.waits.apply(job, await deps.waits.plan(err))) ?? err;
      }
      if (!(err instanceof DocspaceError)) return err;
      if (err.kind === 'lasting') {
        await deps.store.note(key, 'offboarding failed', err.message, jobId);
        log.warn('offboarding failed', {
          outcome: 'failed',
          reason: err.message,
          status: err.status,
        });
        return new UnrecoverableError(err.message);
      }
      const wait = await deps.waits.plan(err);
      log.warn('offboarding will be retried', {
        outcome: 'retrying',
        reason: err.message,
        ...circuitFields(wait),
      });
      return (await deps.waits.apply(job, wait)) ?? err;
    }
  };

  /**
   * A vendor's leaver event named the person only: their work email and the termination the HR
   * system shows, read once and kept in the job (`leaver`). When the record shows no termination
   * (a status change to something else, a termination removed): a pending disable this system
   * scheduled for the same employee is cancelled, else the record is noted `not a leaver`.
   */
  async function resolveLeaver(
    job: OffboardJob,
    token: string | undefined,
  ): Promise<Leaver | { outcome: 'not-leaver' | 'cancelled' | 'stale' }> {
    const { ref } = job.data;
    const jobId = job.id ?? '';
    if (ref === undefined) throw new UnrecoverableError('the job holds no leaver');
    const log = deps.logger.child({
      jobId,
      hireId: ref.employeeId,
      source: ref.source,
      queue: 'hires',
    });
    const reading = await readHr(ref, log, jobId);
    if (!isValidEmail(reading.email)) {
      const reason = `${ref.source} employee ${ref.employeeId} has no usable work email (a leaver's account is found by it); add it in ${ref.source}, then replay the job`;
      log.warn('offboarding failed', { outcome: 'failed', reason });
      throw new UnrecoverableError(reason);
    }
    const key = deps.store.keyOf(reading.email);
    const day = shownTermination(reading, dayIn(deps.zone, now()));
    // A disable this HR system already has pending for the employee (an earlier event of theirs).
    const record = await deps.offboarding.get(key);
    const pending =
      record?.source === ref.source &&
      record.employeeId === ref.employeeId &&
      PENDING_OFFBOARDING.includes(record.state)
        ? record
        : undefined;
    if (day !== undefined && pending?.terminationDate === day) {
      // The same termination again (a copy, or another change of the employment): the pending
      // disable stands as it is, held ones stay held for an admin.
      log.info('termination already scheduled', { outcome: 'stale', terminationDate: day });
      return { outcome: 'stale' };
    }
    if (day === undefined) {
      if (await cancelRemoved(job, token, key, ref, pending !== undefined)) {
        deps.metrics?.offboardingFinished('cancelled');
        log.info('offboarding cancelled: the HR system no longer shows the termination', {
          outcome: 'cancelled',
        });
        return { outcome: 'cancelled' };
      }
      await deps.store.note(
        key,
        'not a leaver',
        `${ref.source} shows no termination for employee ${ref.employeeId}: nothing to do`,
        jobId,
      );
      log.info('not a leaver: the HR system shows no termination', { outcome: 'not-leaver' });
      return { outcome: 'not-leaver' };
    }
    const leaver: Leaver = {
      source: ref.source,
      hireId: ref.employeeId,
      email: reading.email,
      terminationDate: day,
    };
    await job.updateData({ ...job.data, leaver });
    log.info('leaver read from the HR system', { terminationDate: day });
    return leaver;
  }

  /**
   * The HR record of `ref` shows no termination while this HR system has a disable pending for the
   * same employee (`pending`), or a joiner that system's termination withdrew before their start:
   * cancels the disable (unless it moved on meanwhile), under the person's lease as the
   * `offboard-cancel` job does, records the cancellation (rule 14: hire events accepted before it
   * are no longer held back by the termination) and puts a withdrawn joiner back on their
   * schedule, as that job does. False when there was nothing to cancel.
   */
  async function cancelRemoved(
    job: OffboardJob,
    token: string | undefined,
    key: string,
    ref: HireRef,
    pending: boolean,
  ): Promise<boolean> {
    const jobId = job.id ?? '';
    const at = job.data.receivedAt;
    if (!(await deps.locks.acquire(deps.lockKey(key), jobId, deps.lockTtlMs))) {
      // A disable of this person is being sent now: come back shortly (and read again).
      await job.moveToDelayed(now() + 500 + Math.floor(Math.random() * 1000), token);
      throw new DelayedError();
    }
    try {
      const reason = `${ref.source} no longer shows the termination`;
      const record = await deps.store.get(key);
      const withdrawn =
        record?.state === 'withdrawn' &&
        record.withdrawnBy === withdrawnBy(ref.source, ref.employeeId) &&
        (record.terminatedAt ?? 0) > (record.cancelledAt ?? 0) &&
        (record.terminatedAt ?? 0) < at;
      const cancelled = pending && (await deps.offboarding.cancel(key, reason));
      if (!cancelled && !withdrawn) return false;
      const joiner = await undoTermination(deps, key, {
        jobId,
        receivedAt: at,
        deliveryId: job.data.deliveryId,
      });
      const what = cancelled ? 'the pending disable is cancelled, nothing is disabled' : '';
      await deps.store.note(
        key,
        'termination cancelled',
        `${reason} (read for a later ${ref.source} event): ${[what, joiner].filter(Boolean).join('; ')}`,
        jobId,
      );
      return true;
    } finally {
      await deps.locks.release(deps.lockKey(key), jobId);
    }
  }

  /**
   * One read of the HR record. A passing failure (no answer, 429, 5xx) is thrown as is: the job
   * is retried with backoff and nothing is disabled meanwhile. A lasting one fails the job with
   * its reason (noted in the timeline when the person is known).
   */
  async function readHr(
    ref: HireRef,
    log: Logger,
    jobId: string,
    key?: string,
  ): Promise<EmploymentReading> {
    try {
      if (deps.reader === undefined) throw new UnrecoverableError(`${ref.source} cannot be read`);
      return await deps.reader.read(ref);
    } catch (err: unknown) {
      if (err instanceof UpstreamError && err.kind === 'passing') {
        log.warn('HR read will be retried', {
          outcome: 'retrying',
          reason: err.message,
          status: err.status,
        });
        throw err;
      }
      if (!(err instanceof ServiceError)) throw err;
      if (key !== undefined) {
        await deps.store.note(key, 'offboarding failed', err.message, jobId);
      }
      log.warn('offboarding failed', { outcome: 'failed', reason: err.message });
      throw new UnrecoverableError(err.message);
    }
  }

  /** The account to disable, or why none is (scope, protection). */
  async function findTarget(
    key: string,
    email: string,
  ): Promise<
    { kind: 'user'; user: DocspaceUser } | { kind: 'skipped' | 'refused'; reason: string }
  > {
    const ours = await deps.offboarding.ours(key);
    if (deps.scope === 'created' && ours === undefined) {
      return {
        kind: 'skipped',
        reason: 'not an account this service created (OFFBOARDING_SCOPE=created)',
      };
    }
    const user = await deps.docspace.findUserByEmail(email);
    if (user === undefined)
      return { kind: 'skipped', reason: 'DocSpace has no account with this email' };
    if (deps.scope === 'created' && user.id !== ours) {
      return {
        kind: 'skipped',
        reason: 'the account with this email is not the one this service created',
      };
    }
    if (user.isOwner === true)
      return { kind: 'refused', reason: 'the portal owner is never disabled' };
    if (user.isAdmin === true)
      return { kind: 'refused', reason: 'a DocSpace admin is never disabled' };
    if (user.isLDAP === true)
      return { kind: 'refused', reason: 'an LDAP account is disabled in LDAP, not here' };
    const owner = await deps.docspace.keyOwner();
    if (owner.id === user.id)
      return { kind: 'refused', reason: "the API key's owner is never disabled" };
    return { kind: 'user', user };
  }
}

/**
 * The `offboard-cancel` job: a cancelled termination stops a pending disable (scheduled, held or
 * released). An account already disabled stays so: a hire event reactivates it.
 */
export function createCancelOffboardProcessor(
  deps: Pick<
    OffboardDeps,
    'offboarding' | 'logger' | 'locks' | 'lockKey' | 'lockTtlMs' | 'now' | 'joiners'
  > & {
    readonly store: Pick<HireStore, 'keyOf' | 'get' | 'note' | 'accepted' | 'terminationCancelled'>;
  },
) {
  const now = deps.now ?? Date.now;
  return async (
    job: CancelOffboardJob,
    token?: string,
  ): Promise<{ outcome: 'cancelled' | 'nothing-pending' | 'stale' }> => {
    const jobId = job.id ?? '';
    const { person } = job.data;
    const key = deps.store.keyOf(person.email);
    const log = deps.logger.child({
      jobId,
      hireId: person.hireId,
      source: person.source,
      queue: 'hires',
    });
    // Not while a disable of this person is being sent (see OffboardDeps.locks).
    if (!(await deps.locks.acquire(deps.lockKey(key), jobId, deps.lockTtlMs))) {
      await job.moveToDelayed(now() + 500 + Math.floor(Math.random() * 1000), token);
      throw new DelayedError();
    }
    let outcome: 'cancelled' | 'nothing-pending' | 'stale';
    let detail: string;
    try {
      [outcome, detail] = await cancel(key, job);
    } finally {
      await deps.locks.release(deps.lockKey(key), jobId);
    }
    await deps.store.note(key, 'termination cancelled', detail, jobId);
    log.info('termination cancelled', { outcome, detail });
    return { outcome };
  };

  /**
   * Cancels what the person's termination started, unless a termination was accepted after this
   * cancellation (it stands: docs/design.md, rule 14 "The newest event decides"). Answers the
   * outcome and what the timeline says.
   */
  async function cancel(
    key: string,
    job: CancelOffboardJob,
  ): Promise<['cancelled' | 'nothing-pending' | 'stale', string]> {
    const record = await deps.store.get(key);
    const at = job.data.receivedAt;
    if ((record?.terminatedAt ?? -1) >= at) {
      return ['stale', 'a termination accepted after this cancellation stands'];
    }
    const cancelled = await deps.offboarding.cancel(key, 'the termination was cancelled');
    const joiner = await undoTermination(deps, key, {
      jobId: job.id ?? '',
      receivedAt: at,
      deliveryId: job.data.deliveryId,
    });
    const outcome = cancelled ? 'cancelled' : 'nothing-pending';
    return [
      outcome,
      joiner ?? (cancelled ? 'the pending disable is cancelled' : 'no disable was pending'),
    ];
  }
}

/** The `provision` jobs a cancelled termination reads and adds (rule 14). */
export interface JoinerJobs {
  /** The hire a `provision` job carries; undefined once the job is gone. */
  hireOf(jobId: string): Promise<Hire | undefined>;
  /** Adds a `provision` job; an id already held adds nothing. */
  add(jobId: string, data: ProvisionJobData): Promise<void>;
}

/** A termination's cancellation: the job that cancels it, and as of when (ms). */
interface Cancellation {
  readonly jobId: string;
  readonly receivedAt: number;
  readonly deliveryId: string;
}

/** Who withdrew a joiner (HireRecord.withdrawnBy): an HR system's employee. */
const withdrawnBy = (source: string, employeeId: string) => `${source}:${employeeId}`;

/**
 * The person's termination is cancelled as of `cancellation` (rule 14: hire events accepted before
 * it are no longer held back by it), whether an `offboard-cancel` job or a read of the HR record
 * that no longer shows it says so. A joiner it withdrew before their start goes back on their
 * schedule, or is made at once when the day has come: a new `provision` job with their newest
 * hire, accepted as of the cancellation, decides again (workers/provision.ts). Not when a
 * termination was accepted after the cancellation, nor when a newer hire event decides already.
 * Its job id comes from the cancelling job's, so a rerun after a crash adds nothing twice. Says
 * what it did with a withdrawn joiner, for the timeline (the caller holds the person's lease).
 */
async function undoTermination(
  deps: {
    readonly store: Pick<HireStore, 'get' | 'accepted' | 'terminationCancelled'>;
    readonly joiners?: JoinerJobs | undefined;
  },
  key: string,
  cancellation: Cancellation,
): Promise<string | undefined> {
  const at = cancellation.receivedAt;
  await deps.store.terminationCancelled(key, at);
  const record = await deps.store.get(key);
  if (record?.state !== 'withdrawn' || deps.joiners === undefined) return undefined;
  if ((record.terminatedAt ?? -1) >= at) {
    return 'the joiner stays withdrawn: a termination accepted after this cancellation stands';
  }
  if ((record.latestAt ?? 0) > at) {
    return 'a newer hire event decides the joiner';
  }
  const from = record.latestJobId ?? record.scheduleJobId;
  const hire = from === undefined ? undefined : await deps.joiners.hireOf(from);
  if (hire === undefined) {
    return 'the joiner stays withdrawn: their hire is no longer held; deliver it again';
  }
  const restoreId = `${cancellation.jobId}-joiner`;
  await deps.joiners.add(restoreId, { hire, deliveryId: cancellation.deliveryId, receivedAt: at });
  await deps.store.accepted(key, restoreId, at);
  return 'the joiner is back on their schedule (made at once if their day has come)';
}
