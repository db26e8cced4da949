import { RateLimitError, UnrecoverableError, type Job } from 'bullmq';
import type { InviteMode } from '../src/config.js';
import type { DocspaceClient } from '../src/docspace/client.js';
import { DocspaceError } from '../src/docspace/errors.js';
import type { Logger } from '../src/logger.js';
import type { Metrics } from '../src/metrics.js';
import { FLUSH_FULL_JOB, type InviteFlushJobData } from '../src/queue/contract.js';
import type { HireStore } from '../src/queue/hire-store.js';
import type { Keys } from '../src/queue/keys.js';
import type { RedisConnection } from '../src/queue/redis.js';
import { CircuitOpenError, type CircuitHold } from './circuit-breaker.js';
import { DEFAULT_RETRY_AFTER_MS, MAX_RATE_LIMITED_STARTS } from './provision.js';

export interface InviteFlushDeps {
  readonly redis: RedisConnection;
  readonly keys: Keys;
  readonly store: HireStore;
  readonly docspace: Pick<DocspaceClient, 'inviteByEmail' | 'resendInvites'>;
  readonly mode: Exclude<InviteMode, 'none'>;
  readonly batchSize: number;
  readonly userType: number;
  readonly rateLimited: (ms: number) => Promise<void>;
  /** The shared circuit breaker: while it is open, the flush waits without using attempts. */
  readonly circuit: CircuitHold;
  readonly logger: Logger;
  /** Observes the size of each successful invite call. */
  readonly metrics?: Pick<Metrics, 'inviteBatch'>;
}

export interface InviteFlushResult {
  readonly calls: number;
  readonly invited: number;
}

/** DocSpace stops a batch at a terminated user: 400 "User disabled: <email>" (docspace-api.md §3.3). */
const USER_DISABLED = /^User disabled: (.+)$/;

/**
 * The flush job: sends the invitations of people we created, in calls of at most `batchSize`
 * (reference/bullmq.md §4.4). One flush runs at a time across all workers (global concurrency 1).
 *
 * A batch is written to the job's data before it leaves the buffer, so it is always in the buffer,
 * in a flush job, or invited: a worker killed mid-call leaves a stalled flush job that resumes the
 * same batch. People our records already show as invited are dropped from a resumed batch.
 *
 * `flush-full` jobs (the size trigger) send only full batches; the periodic tick sends whatever
 * waits, which bounds each person's wait by the tick period.
 */
export function createInviteFlushProcessor(deps: InviteFlushDeps) {
  const pending = deps.keys.invitePending;
  return async (job: Job<InviteFlushJobData>): Promise<InviteFlushResult> => {
    const fullOnly = job.name === FLUSH_FULL_JOB;
    const log = deps.logger.child({ jobId: job.id, queue: 'invites', mode: deps.mode });
    let calls = 0;
    let invited = 0;
    for (;;) {
      let batch = job.data.batch;
      if (batch === undefined) {
        const waiting = await deps.redis.zcard(pending);
        if (waiting === 0 || (fullOnly && waiting < deps.batchSize)) break;
        batch = await deps.redis.zrange(pending, 0, deps.batchSize - 1);
        await job.updateData({ batch });
      }
      if (batch.length > 0) await deps.redis.zrem(pending, ...batch);
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
  async function sendBatch(
    job: Job<InviteFlushJobData>,
    batch: readonly string[],
    log: Logger,
  ): Promise<number> {
    const jobId = job.id ?? '';
    const records = await Promise.all(
      batch.map(async (key) => ({ key, record: await deps.store.get(key) })),
    );
    const targets = records.filter(
      (
        entry,
      ): entry is { key: string; record: NonNullable<typeof entry.record> & { userId: string } } =>
        (entry.record?.state === 'created' || entry.record?.state === 'failed') &&
        entry.record.userId !== undefined,
    );
    const skipped = batch.length - targets.length;
    if (skipped > 0)
      log.info('invite batch: people already invited or gone are skipped', { skipped });
    if (targets.length === 0) return 0;
    try {
      if (deps.mode === 'invite') {
        await deps.docspace.inviteByEmail(
          targets.map((t) => t.record.email),
          deps.userType,
        );
      } else {
        await deps.docspace.resendInvites(targets.map((t) => t.record.userId));
      }
    } catch (err: unknown) {
      throw await failure(err, job, targets, log);
    }
    deps.metrics?.inviteBatch(targets.length);
    await Promise.all(targets.map((t) => deps.store.invited(t.key, jobId)));
    log.info('invite batch sent', {
      outcome: 'invited',
      size: targets.length,
      hireIds: targets.map((t) => t.record.hireId),
    });
    return targets.length;
  }

  async function failure(
    err: unknown,
    job: Job<InviteFlushJobData>,
    targets: readonly { key: string; record: { email: string } }[],
    log: Logger,
  ): Promise<unknown> {
    if (err instanceof CircuitOpenError) {
      // Nothing was sent; the batch stays in this job's data until the circuit closes.
      log.debug('invite batch waits for DocSpace', { circuit: err.state, waitMs: err.waitMs });
      return await waitForCircuit(job, err.waitMs, err);
    }
    if (!(err instanceof DocspaceError)) return err;
    const jobId = job.id ?? '';
    if (err.kind === 'passing') {
      const circuit = err.rateLimited ? undefined : await deps.circuit.read();
      const open = circuit !== undefined && circuit.state !== 'closed';
      log.warn('invite batch will be retried', {
        outcome: 'retrying',
        reason: err.message,
        status: err.status,
        size: targets.length,
        ...(open ? { circuit: circuit.state, waitMs: circuit.waitMs } : {}),
      });
      if (err.rateLimited && job.attemptsStarted < MAX_RATE_LIMITED_STARTS) {
        await deps.rateLimited(err.retryAfterMs ?? DEFAULT_RETRY_AFTER_MS);
        return new RateLimitError();
      }
      return open ? await waitForCircuit(job, circuit.waitMs, err) : err;
    }
    const disabled = USER_DISABLED.exec(
      err.message.replace(/^.*?answered \d+: /, '').split(';')[0] ?? '',
    );
    const culprit = disabled
      ? targets.find((t) => t.record.email.toLowerCase() === disabled[1]?.trim().toLowerCase())
      : undefined;
    if (culprit !== undefined) {
      // One person blocks the batch: fail them alone, retry the others at once.
      await deps.store.failed(culprit.key, `invitation refused: ${err.message}`, jobId);
      const rest = (job.data.batch ?? []).filter((key) => key !== culprit.key);
      await job.updateData({ batch: rest });
      log.warn('invite refused for one person; the rest of the batch is retried', {
        reason: err.message,
      });
      return new DocspaceError({
        kind: 'passing',
        endpoint: err.endpoint,
        message: `retrying the batch without a disabled user`,
      });
    }
    await Promise.all(
      targets.map((t) => deps.store.failed(t.key, `invitation failed: ${err.message}`, jobId)),
    );
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

  /** Back to waiting without using an attempt, every queue held while the circuit is open. */
  async function waitForCircuit(
    job: Job<InviteFlushJobData>,
    ms: number,
    err: Error,
  ): Promise<Error> {
    if (job.attemptsStarted >= MAX_RATE_LIMITED_STARTS) return err;
    await deps.circuit.hold(ms);
    return new RateLimitError();
  }
}
