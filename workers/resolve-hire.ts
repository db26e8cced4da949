import { DelayedError, UnrecoverableError, type Job } from 'bullmq';
import type { Hire } from '../src/domain/hire.js';
import { ServiceError } from '../src/errors.js';
import type { Logger } from '../src/logger.js';
import { HireIncompleteError } from '../src/errors.js';
import { isSafeId, SAFE_ID_RULE } from '../src/providers/safe-id.js';
import type { HireRef } from '../src/domain/hire-item.js';
import type { HireFetcher } from '../src/providers/types.js';
import type { ProvisionJobData } from '../src/queue/contract.js';
import type { HireStore } from '../src/queue/hire-store.js';
import type { Locks } from '../src/queue/locks.js';
import { UpstreamError } from '../src/errors.js';

export interface ResolveHireDeps {
  /** Per HR system (`source`): fetches the people its webhooks only name. */
  readonly fetchers?: Readonly<Record<string, HireFetcher>>;
  readonly store: Pick<
    HireStore,
    'received' | 'awaitEmail' | 'isAwaitingEmail' | 'stopAwaitingEmail'
  >;
  /** One job at a time reads an HR record: a skip and the update that undoes it cannot cross. */
  readonly locks: Locks;
  readonly refLockKey: (source: string, employeeId: string) => string;
  readonly lockTtlMs: number;
  readonly logger: Logger;
  readonly now?: () => number;
  /**
   * `PROVISIONING_RULES` is set: a vendor's mover update (`ref.mover`) is fetched. Without it
   * such an update fetches nothing (no HR API call per update).
   */
  readonly rules?: object;
}

/**
 * The hire of a job: as delivered, or fetched from the HR system when the webhook only named the
 * person (then kept in the job's data, so a retry does not fetch again). A fetch that fails for a
 * passing reason is retried like a DocSpace call; a lasting one fails the job with its reason.
 *
 * A person skipped for lacking a work email is remembered, and an HR update that may add one
 * (`onlyIfAwaitingEmail`) provisions them; the same update for anyone else does nothing
 * (undefined), so an email change never makes a second account. Reads of one HR record take
 * turns (a lease), so the skip of a create and the update that follows it at once cannot cross.
 *
 * A vendor's mover update (`ref.mover`: department, location or title changed) is fetched only
 * when `PROVISIONING_RULES` is set, and the job is then marked `moveOnly` (with `event: 'updated'`):
 * the processor moves the groups and rooms of a person this service provisioned and creates
 * nobody (src/queue/contract.ts). Someone the HR system has without a usable email has no account
 * to move: nothing to do.
 */
export async function resolveHire(
  job: Pick<Job<ProvisionJobData>, 'id' | 'data' | 'moveToDelayed' | 'updateData'>,
  deps: ResolveHireDeps,
  token?: string,
): Promise<Hire | undefined> {
  const { hire, ref, invalid } = job.data;
  if (hire !== undefined) return hire;
  const jobId = job.id ?? '';
  const log = deps.logger.child({ jobId, queue: 'hires' });
  const fail = (reason: string, hireId: string, source: string): never => {
    log.warn('hire failed', { outcome: 'failed', reason, hireId, source });
    throw new UnrecoverableError(reason);
  };
  if (invalid !== undefined) return fail(invalid.reason, invalid.hireId, invalid.source);
  if (ref === undefined) return fail('the job holds no hire', '', '');
  // Webhooks refuse such ids already; jobs stored before that rule (or written by hand) may not.
  if (!isSafeId(ref.employeeId)) {
    return fail(`the ${ref.source} employee id is not an id (${SAFE_ID_RULE})`, '', ref.source);
  }
  const fetcher = deps.fetchers?.[ref.source];
  if (fetcher === undefined) {
    return fail(
      `${ref.source} is not configured on this worker (its API settings are missing); set them, then replay`,
      ref.employeeId,
      ref.source,
    );
  }

  const lock = deps.refLockKey(ref.source, ref.employeeId);
  if (!(await deps.locks.acquire(lock, jobId, deps.lockTtlMs))) {
    // Another job reads this HR record right now: come back shortly, without using an attempt.
    const now = deps.now ?? Date.now;
    await job.moveToDelayed(now() + 500 + Math.floor(Math.random() * 1000), token);
    throw new DelayedError();
  }
  let fetched: Hire | undefined;
  let moveOnly: boolean;
  try {
    const awaited =
      ref.onlyIfAwaitingEmail === true &&
      (await deps.store.isAwaitingEmail(ref.source, ref.employeeId));
    // A mover update of someone not waiting for an email only moves them, and only with rules.
    moveOnly = ref.mover === true && !awaited && deps.rules !== undefined;
    if ((ref.onlyIfAwaitingEmail === true || ref.mover === true) && !awaited && !moveOnly) {
      log.info('hr update: nobody waits for it', {
        outcome: 'not-needed',
        hireId: ref.employeeId,
        source: ref.source,
      });
      return undefined;
    }
    fetched = await fetchHire(fetcher, ref, deps, log, fail, moveOnly);
    if (!moveOnly) await deps.store.stopAwaitingEmail(ref.source, ref.employeeId);
  } finally {
    await deps.locks.release(lock, jobId);
  }
  if (fetched === undefined) return undefined;
  if (moveOnly) {
    // A person this service never provisioned gets no record from an update (see above).
    await job.updateData({ ...job.data, hire: fetched, event: 'updated', moveOnly: true });
    log.info('mover fetched', { hireId: fetched.hireId, source: fetched.source });
    return fetched;
  }
  await job.updateData({ ...job.data, hire: fetched });
  await deps.store.received(fetched, jobId);
  log.info('hire fetched', { hireId: fetched.hireId, source: fetched.source });
  return fetched;
}

async function fetchHire(
  fetcher: HireFetcher,
  ref: HireRef,
  deps: ResolveHireDeps,
  log: Logger,
  fail: (reason: string, hireId: string, source: string) => never,
  moveOnly: boolean,
): Promise<Hire | undefined> {
  try {
    return await fetcher.fetch(ref);
  } catch (err: unknown) {
    if (err instanceof UpstreamError && err.kind === 'passing') {
      log.warn('hire fetch will be retried', {
        outcome: 'retrying',
        reason: err.message,
        status: err.status,
        hireId: ref.employeeId,
        source: ref.source,
      });
      throw err;
    }
    if (moveOnly && err instanceof HireIncompleteError) {
      // No usable email: this service cannot have provisioned them, so there is nothing to move.
      log.info('hr update: the person has no usable email, so no account to move', {
        outcome: 'not-needed',
        reason: err.message,
        hireId: ref.employeeId,
        source: ref.source,
      });
      return undefined;
    }
    if (err instanceof HireIncompleteError && err.missing === 'email') {
      await deps.store.awaitEmail(ref.source, ref.employeeId);
    }
    if (err instanceof ServiceError) return fail(err.message, ref.employeeId, ref.source);
    throw err;
  }
}
