import { UnrecoverableError, type Job } from 'bullmq';
import type { InviteMode } from '../src/config.js';
import type { DocspaceClient } from '../src/docspace/client.js';
import { CircuitOpenError, DocspaceError } from '../src/errors.js';
import type { Logger } from '../src/logger.js';
import type { Metrics } from '../src/metrics.js';
import { FLUSH_FULL_JOB, type InviteFlushJobData } from '../src/queue/contract.js';
import type { HireRecord, HireStore } from '../src/queue/hire-store.js';
import type { InviteBuffer } from '../src/queue/invite-buffer.js';
import { BACKOFF, circuitFields, type JobWaits } from './job-waits.js';

/** What the processor uses of a BullMQ job (a whole Job in production, a literal in unit tests). */
export type FlushJob = Pick<
  Job<InviteFlushJobData>,
  'id' | 'name' | 'data' | 'opts' | 'attemptsMade' | 'attemptsStarted' | 'updateData'
>;

export interface InviteFlushDeps {
  /** Where the people created by us wait for their call. */
  readonly buffer: Pick<InviteBuffer, 'size' | 'peek' | 'take'>;
  readonly store: Pick<HireStore, 'get' | 'invited' | 'failed' | 'note'> &
    Partial<Pick<HireStore, 'invitedAll'>>;
  readonly docspace: Pick<DocspaceClient, 'inviteByEmail' | 'resendInvites' | 'findUserByEmail'>;
  readonly mode: Exclude<InviteMode, 'none'>;
  readonly batchSize: number;
  readonly userType: number;
  /** How the flush waits after a 429, while the circuit is open, or after another passing failure. */
  readonly waits: JobWaits;
  readonly logger: Logger;
  /** Observes the size of each successful invite call. */
  readonly metrics?: Pick<Metrics, 'inviteBatch'>;
}

export interface InviteFlushResult {
  readonly calls: number;
  readonly invited: number;
}

/**
 * EmployeeType integers (ONLYOFFICE/DocSpace-server:common/ASC.Core.Common/Core/EmployeeType.cs):
 * User, and the two paid types.
 */
const USER = 4;
const PAID_TYPES: ReadonlySet<number> = new Set([1, 3]);
/** EmployeeStatus of a disabled (terminated) account. */
const TERMINATED = 2;

interface Target {
  readonly key: string;
  readonly record: HireRecord & { userId: string };
}

/**
 * The flush job: sends the invitations of people we created, in calls of at most `batchSize`
 * (a buffer and a flush job, as https://docs.bullmq.io/guide/queues/global-concurrency allows). One flush runs at a time across all workers (global concurrency 1).
 *
 * A batch is written to the job's data before it leaves the buffer, so it is always in the buffer,
 * in a flush job, or invited: a worker killed mid-call leaves a stalled flush job that resumes the
 * same batch. People our records already show as invited are dropped from a resumed batch.
 *
 * `flush-full` jobs (the size trigger) send only full batches; the periodic tick sends whatever
 * waits, which bounds each person's wait by the tick period.
 */
export function createInviteFlushProcessor(deps: InviteFlushDeps) {
  const { buffer } = deps;
  return async (job: FlushJob): Promise<InviteFlushResult> => {
    const fullOnly = job.name === FLUSH_FULL_JOB;
    const log = deps.logger.child({ jobId: job.id, queue: 'invites', mode: deps.mode });
    let calls = 0;
    let invited = 0;
    for (;;) {
      let batch = job.data.batch;
      if (batch === undefined) {
        const waiting = await buffer.size();
        if (waiting === 0 || (fullOnly && waiting < deps.batchSize)) break;
        batch = await buffer.peek(deps.batchSize);
        await job.updateData({ batch });
      }
      await buffer.take(batch);
      const sent = await sendBatch(job, batch, log);
      calls += sent > 0 ? 1 : 0;
      invited += sent;
      await job.updateData({});
      // One partial batch per flush at most: people created while it was in flight wait for the
      // next tick (half the allowed wait away) or for a full batch, instead of a stream of small
      // calls under steady load (measured: 444 invite calls for 4,250 people before, ~1 per 50 after).
      if (batch.length < deps.batchSize) break;
    }
    return { calls, invited };
  };

  /** Sends one batch; returns how many people it invited. */
  async function sendBatch(job: FlushJob, batch: readonly string[], log: Logger): Promise<number> {
    const jobId = job.id ?? '';
    const records = await Promise.all(
      batch.map(async (key) => ({ key, record: await deps.store.get(key) })),
    );
    const targets = records.filter(
      (entry): entry is Target =>
        (entry.record?.state === 'created' || entry.record?.state === 'failed') &&
        entry.record.userId !== undefined,
    );
    const skipped = batch.length - targets.length;
    if (skipped > 0)
      log.info('invite batch: people already invited or gone are skipped', { skipped });
    if (targets.length === 0) return 0;
    try {
      await send(targets, deps.userType);
    } catch (err: unknown) {
      if (!seatsUsedUp(err)) throw await failure(err, job, targets, log);
      await sendAsUsers(job, targets, err, log);
    }
    deps.metrics?.inviteBatch(targets.length);
    // One script for the whole batch where the store has it (one command, not one per person).
    if (deps.store.invitedAll === undefined) {
      await Promise.all(targets.map((t) => deps.store.invited(t.key, jobId)));
    } else {
      await deps.store.invitedAll(
        targets.map((t) => t.key),
        jobId,
      );
    }
    log.info('invite batch sent', {
      outcome: 'invited',
      size: targets.length,
      hireIds: targets.map((t) => t.record.hireId),
    });
    return targets.length;
  }

  async function send(targets: readonly Target[], type: number): Promise<void> {
    if (deps.mode === 'invite') {
      await deps.docspace.inviteByEmail(
        targets.map((t) => t.record.email),
        type,
      );
    } else {
      await deps.docspace.resendInvites(targets.map((t) => t.record.userId));
    }
  }

  /**
   * A 402 to invitations of a paid type: UserController.InviteUsers counts every RoomAdmin and
   * DocSpaceAdmin invitation against the free paid seats, existing emails included, and refuses the
   * whole batch before inviting anyone (ONLYOFFICE/DocSpace-server:products/ASC.People/Server/Api/UserController.cs).
   * Everyone here already has an account, with the type its create gave it; an invitation never
   * lowers a type (it only raises one, same method), so they are invited as User instead, and each
   * person's timeline says why.
   */
  function seatsUsedUp(err: unknown): err is DocspaceError {
    return (
      err instanceof DocspaceError &&
      err.status === 402 &&
      deps.mode === 'invite' &&
      PAID_TYPES.has(deps.userType)
    );
  }

  async function sendAsUsers(
    job: FlushJob,
    targets: readonly Target[],
    refusal: DocspaceError,
    log: Logger,
  ): Promise<void> {
    log.warn('invite batch refused for paid seats; sent again as User, accounts keep their type', {
      status: 402,
      size: targets.length,
      fix: 'buy paid seats in DocSpace',
    });
    try {
      await send(targets, USER);
    } catch (err: unknown) {
      throw await failure(err, job, targets, log);
    }
    const why =
      'invited as User: DocSpace refused invitations of a paid type for lack of free seats (402)' +
      (refusal.upstreamMessage === undefined ? '' : ` ("${refusal.upstreamMessage}")`) +
      '; the account keeps the type it was created with';
    await Promise.all(targets.map((t) => deps.store.note(t.key, 'invite-type', why, job.id ?? '')));
  }

  async function failure(
    err: unknown,
    job: FlushJob,
    targets: readonly Target[],
    log: Logger,
  ): Promise<unknown> {
    if (err instanceof CircuitOpenError) {
      // Nothing was sent; the batch stays in this job's data until the circuit closes.
      log.debug('invite batch waits for DocSpace', { circuit: err.state, waitMs: err.waitMs });
      return (await deps.waits.apply(job, await deps.waits.plan(err))) ?? err;
    }
    if (!(err instanceof DocspaceError) || err.kind === 'passing') {
      return await retryLater(err, job, targets, log);
    }
    const jobId = job.id ?? '';
    let disabled: Target[] = [];
    if (err.status === 400) {
      try {
        disabled = await disabledAmong(err, targets);
      } catch (lookupErr: unknown) {
        // The lookups failed for a passing reason: the whole batch is tried again later.
        return await retryLater(lookupErr, job, targets, log);
      }
    }
    if (disabled.length > 0) {
      // People disabled in DocSpace since we created them block the batch: fail them alone (the
      // reason on their record), retry the others at once.
      const reason =
        'invitation refused: the account was disabled (terminated) in DocSpace after we created it' +
        (err.upstreamMessage === undefined ? '' : ` (DocSpace: "${err.upstreamMessage}")`) +
        '; reactivate it in DocSpace, then replay';
      await Promise.all(disabled.map((t) => deps.store.failed(t.key, reason, jobId)));
      const gone = new Set(disabled.map((t) => t.key));
      const rest = (job.data.batch ?? []).filter((key) => !gone.has(key));
      await job.updateData({ batch: rest });
      log.warn('invite refused for disabled people; the rest of the batch is retried', {
        disabled: disabled.length,
        status: err.status,
      });
      return new DocspaceError({
        kind: 'passing',
        endpoint: err.endpoint,
        message: `retrying the batch without ${disabled.length} disabled user(s)`,
      });
    }
    await giveUp(targets, `invitation failed: ${err.message}`, jobId);
    log.error('invite batch failed', {
      outcome: 'failed',
      reason: err.message,
      status: err.status,
      size: targets.length,
    });
    return new UnrecoverableError(
      `invitation failed for ${targets.length} people: ${err.message}; fix the cause, then replay this job`,
    );
  }

  /**
   * A passing failure (or one we cannot tell): back to waiting without an attempt for a 429 or an
   * open circuit, else retried with backoff. On the job's last attempt its people are marked
   * failed with the reason, so their records say why and they leave the reconciler's index (a
   * replay of the job still invites them).
   */
  async function retryLater(
    err: unknown,
    job: FlushJob,
    targets: readonly Target[],
    log: Logger,
  ): Promise<unknown> {
    const reason = err instanceof Error ? err.message : String(err);
    const passing = err instanceof DocspaceError ? err : undefined;
    const wait = passing ? await deps.waits.plan(passing) : BACKOFF;
    log.warn('invite batch will be retried', {
      outcome: 'retrying',
      reason,
      status: passing?.status,
      size: targets.length,
      ...circuitFields(wait),
    });
    const held = await deps.waits.apply(job, wait);
    if (held) return held;
    if (job.attemptsMade + 1 >= (job.opts.attempts ?? 1)) {
      await giveUp(
        targets,
        `invitation failed after ${job.attemptsMade + 1} attempts: ${reason}; replay this job`,
        job.id ?? '',
      );
    }
    return err;
  }

  async function giveUp(targets: readonly Target[], reason: string, jobId: string): Promise<void> {
    await Promise.all(targets.map((t) => deps.store.failed(t.key, reason, jobId)));
  }

  /**
   * Who in a refused batch is disabled. UserController.InviteUsers
   * (ONLYOFFICE/DocSpace-server:products/ASC.People/Server/Api/UserController.cs) stops at a
   * terminated user with `Resource.ErrorUserDisabled + ": " + invite.Email`: the text is in the key owner's language,
   * but the email it ends with is data (docs/design.md, rule 10). When no email matches (another wording,
   * another server), each person is looked up and those whose status is Terminated are named.
   */
  async function disabledAmong(err: DocspaceError, targets: readonly Target[]): Promise<Target[]> {
    if (deps.mode !== 'invite') return [];
    const said = (err.upstreamMessage ?? '').trim().toLowerCase();
    const named = targets.filter((t) => endsWithEmail(said, t.record.email.toLowerCase()));
    if (named.length > 0) return named;
    const users = await Promise.all(
      targets.map(async (t) => {
        if (t.record.email === '') return undefined;
        try {
          return await deps.docspace.findUserByEmail(t.record.email);
        } catch (lookupErr: unknown) {
          // A lookup DocSpace refuses for good tells nothing about this person; a passing one
          // sends the batch back to wait.
          if (lookupErr instanceof DocspaceError && lookupErr.kind === 'lasting') return undefined;
          throw lookupErr;
        }
      }),
    );
    return targets.filter((_, i) => users[i]?.status === TERMINATED);
  }
}

/** Whether `text` ends with `email` as a whole address (not the tail of a longer one). */
function endsWithEmail(text: string, email: string): boolean {
  if (email === '' || !text.endsWith(email)) return false;
  const before = text.charAt(text.length - email.length - 1);
  return before === '' || /[\s:,;"'<(]/.test(before);
}
