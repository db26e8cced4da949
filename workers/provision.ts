import { DelayedError, RateLimitError, UnrecoverableError, type Job } from 'bullmq';
import type { InviteMode } from '../src/config.js';
import type { DocspaceClient, DocspaceUser } from '../src/docspace/client.js';
import { DocspaceError } from '../src/docspace/errors.js';
import { cleanName } from '../src/domain/names.js';
import type { Logger } from '../src/logger.js';
import type { ProvisionJobData, ProvisionResult } from '../src/queue/contract.js';
import type { HireStore } from '../src/queue/hire-store.js';
import type { HireFetcher } from '../src/providers/types.js';
import type { Locks } from '../src/queue/locks.js';
import { CircuitOpenError, type CircuitHold } from './circuit-breaker.js';
import { resolveHire } from './resolve-hire.js';

/**
 * How far DocSpace's clock may lag ours when we decide, after a lost answer, whether a user was
 * created by our earlier attempt (registrationDate ≥ first attempt − tolerance).
 */
export const CLOCK_SKEW_TOLERANCE_MS = 2 * 60 * 1000;

/** A 429 without `Retry-After` holds requests this long. */
export const DEFAULT_RETRY_AFTER_MS = 1_000;
/**
 * After this many starts, 429s and the circuit breaker's waits use attempts like other passing
 * failures (no endless loop).
 */
export const MAX_RATE_LIMITED_STARTS = 200;

export interface ProvisionDeps {
  /** Per HR system (`source`): fetches the people its webhooks only name. */
  readonly fetchers?: Readonly<Record<string, HireFetcher>>;
  readonly docspace: Pick<DocspaceClient, 'createUser' | 'findUserByEmail'>;
  readonly store: HireStore;
  readonly locks: Locks;
  readonly lockKey: (emailKey: string) => string;
  readonly lockTtlMs: number;
  /** EmployeeType integer sent with every create (never omitted: omitted means a paid Room admin). */
  readonly userType: number;
  readonly inviteMode: InviteMode;
  /** Called after a user was queued for invitation (the size trigger of the invite batch). */
  readonly afterQueuedForInvite: () => Promise<void>;
  /** Called on a 429: holds every worker's DocSpace requests and this queue for `ms`. */
  readonly rateLimited: (ms: number) => Promise<void>;
  /** The shared circuit breaker: while it is open, jobs wait without using attempts. */
  readonly circuit: CircuitHold;
  readonly logger: Logger;
  readonly now?: () => number;
}

/**
 * The `provision` job: creates the person in DocSpace, or finds they already had an account.
 *
 * - One job at a time per person (a lease on the email); others wait a moment and come back.
 * - A person already created, invited or found existing is not touched again (duplicates, rule 4).
 * - "already registered" means the account existed (never invited, rule 2), unless an earlier run
 *   of ours had already sent the create call: then DocSpace created it for us and only our record
 *   was lost, which `registrationDate` tells (rule 7).
 * - Passing failures are rethrown for BullMQ to retry; lasting ones fail the job at once with a
 *   reason a person can act on (rules 5 and 6).
 * - While the DocSpace circuit is open (DocSpace down or slow), the job goes back to waiting with
 *   every queue held, without using an attempt.
 */
export function createProvisionProcessor(deps: ProvisionDeps) {
  const now = deps.now ?? Date.now;
  return async (job: Job<ProvisionJobData>, token?: string): Promise<ProvisionResult> => {
    const jobId = job.id ?? '';
    const hire = await resolveHire(job, deps);
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

    if (!(await deps.locks.acquire(deps.lockKey(key), jobId, deps.lockTtlMs))) {
      // Another job works on this person right now: come back shortly, without using an attempt.
      await job.moveToDelayed(now() + 500 + Math.floor(Math.random() * 1000), token);
      throw new DelayedError();
    }
    try {
      const record = await deps.store.get(key);
      if (
        record?.state === 'created' ||
        record?.state === 'invited' ||
        record?.state === 'existed'
      ) {
        log.info('hire already provisioned', {
          outcome: 'already-provisioned',
          state: record.state,
        });
        return { outcome: 'already-provisioned', userId: record.userId };
      }

      const runStartedAt = now();
      const firstAttemptAt = await deps.store.beginAttempt(key, jobId);
      let result;
      try {
        result = await deps.docspace.createUser({
          email: hire.email,
          firstName,
          lastName,
          type: deps.userType,
        });
      } catch (err: unknown) {
        // DocSpace provably did nothing (429, an open circuit, a lasting refusal): if this run set
        // the first-attempt mark, take it back, or a later "already registered" for an account
        // someone else made meanwhile would be mistaken for ours (rule 2).
        if (firstAttemptAt >= runStartedAt && provablyNotCreated(err)) {
          await deps.store.forgetAttempt(key, firstAttemptAt);
        }
        throw err;
      }
      if (result.kind === 'created') return await recordCreated(result.user, 'created');
      // "Already registered" to this run's own first attempt: the account was there before we
      // tried, so it is not ours; no lookup needed (it would cost one more DocSpace call per
      // existing person, 10% more calls when one hire in ten already has an account).
      if (firstAttemptAt >= runStartedAt) return await recordExisted(undefined);

      const user = await deps.docspace.findUserByEmail(hire.email);
      if (user === undefined) {
        throw new DocspaceError({
          kind: 'passing',
          endpoint: 'GET /api/2.0/people/email',
          message: 'DocSpace said the email is registered but the lookup found no user; retrying',
        });
      }
      if (
        firstAttemptAt < runStartedAt &&
        registeredSince(user, firstAttemptAt - CLOCK_SKEW_TOLERANCE_MS)
      ) {
        return await recordCreated(user, 'created after a lost answer');
      }
      return await recordExisted(user.id);
    } catch (err: unknown) {
      throw await failure(err);
    } finally {
      await deps.locks.release(deps.lockKey(key), jobId);
    }

    async function recordExisted(userId: string | undefined): Promise<ProvisionResult> {
      const existed = await deps.store.existed(key, userId, jobId);
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

    async function recordCreated(user: DocspaceUser, how: string): Promise<ProvisionResult> {
      const invite = deps.inviteMode !== 'none';
      const created = await deps.store.created(key, user.id, jobId, invite);
      if (!created.applied) {
        log.info('hire already provisioned', {
          outcome: 'already-provisioned',
          state: created.state,
        });
        return { outcome: 'already-provisioned', userId: user.id };
      }
      log.info(`hire ${how}`, { outcome: 'created', userId: user.id, invite: deps.inviteMode });
      if (invite) await deps.afterQueuedForInvite();
      return { outcome: 'created', userId: user.id };
    }

    async function failure(err: unknown): Promise<unknown> {
      if (err instanceof CircuitOpenError) {
        // Nothing was sent: no timeline entry, and only a debug line (this repeats while it waits).
        log.debug('hire waits for DocSpace', { circuit: err.state, waitMs: err.waitMs });
        return await waitForCircuit(err.waitMs, err);
      }
      if (!(err instanceof DocspaceError)) return err;
      if (err.kind === 'lasting') {
        await deps.store.failed(key, err.message, jobId);
        log.warn('hire failed', { outcome: 'failed', reason: err.message, status: err.status });
        return new UnrecoverableError(err.message);
      }
      await deps.store.noteError(key, err.message, jobId);
      const circuit = err.rateLimited ? undefined : await deps.circuit.read();
      const open = circuit !== undefined && circuit.state !== 'closed';
      log.warn('hire will be retried', {
        outcome: 'retrying',
        reason: err.message,
        status: err.status,
        ...(open ? { circuit: circuit.state, waitMs: circuit.waitMs } : {}),
        attempt: job.attemptsMade + 1,
      });
      if (err.rateLimited && job.attemptsStarted < MAX_RATE_LIMITED_STARTS) {
        // Back to waiting without using an attempt; the whole queue waits out Retry-After.
        await deps.rateLimited(err.retryAfterMs ?? DEFAULT_RETRY_AFTER_MS);
        return new RateLimitError();
      }
      return open ? await waitForCircuit(circuit.waitMs, err) : err;
    }

    /** Back to waiting without using an attempt, every queue held while the circuit is open. */
    async function waitForCircuit(ms: number, err: Error): Promise<Error> {
      if (job.attemptsStarted >= MAX_RATE_LIMITED_STARTS) return err;
      await deps.circuit.hold(ms);
      return new RateLimitError();
    }
  };
}

/** Whether DocSpace registered `user` at or after `since` (ms); unknown dates count as "no". */
function registeredSince(user: DocspaceUser, since: number): boolean {
  const at = user.registrationDate === undefined ? Number.NaN : Date.parse(user.registrationDate);
  return !Number.isNaN(at) && at >= since;
}

/** Errors after which DocSpace certainly did not create the user. */
function provablyNotCreated(err: unknown): boolean {
  return (
    err instanceof CircuitOpenError ||
    (err instanceof DocspaceError && (err.rateLimited || err.kind === 'lasting'))
  );
}
