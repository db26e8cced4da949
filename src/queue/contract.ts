import type { JobsOptions } from 'bullmq';
import type { Hire } from '../domain/hire.js';
import type { HireRef } from '../domain/hire-item.js';

/** Job names on the `hires` queue. */
export const PROVISION_JOB = 'provision';
/** Job names on the `invites` queue: the periodic tick drains all, `flush-full` only full batches. */
export const FLUSH_TICK_JOB = 'flush-tick';
export const FLUSH_FULL_JOB = 'flush-full';
/**
 * Grants flushes (groups and rooms by rule, docs/rules.md) share the `invites` queue and its one
 * flush at a time: `grants-tick` runs a while after a person is queued (all waiting), `grants-full`
 * as soon as a whole batch waits (full batches only).
 */
export const GRANTS_TICK_JOB = 'grants-tick';
export const GRANTS_FULL_JOB = 'grants-full';

/**
 * A `provision` job: one person to create in DocSpace. Exactly one of `hire` (complete), `ref` (to
 * fetch from the HR system first; the worker then adds `hire`) or `invalid` (fails at once).
 */
export interface ProvisionJobData {
  readonly hire?: Hire;
  readonly ref?: HireRef;
  readonly invalid?: { readonly source: string; readonly hireId: string; readonly reason: string };
  /** The delivery it came in (`webhook-id` or the provider's event id). */
  readonly deliveryId: string;
  /** Milliseconds since the epoch when the delivery was accepted. */
  readonly receivedAt: number;
  /** Set when the job waits for the joiner's start date (rule 14): when it is due (ms). */
  readonly scheduledFor?: number;
  /**
   * `updated`: an HR update (a mover, or an edit of any person), not a hire. It may create a person
   * who has no account yet and moves their groups and rooms, but it never cancels a pending
   * disable nor reactivates an account this service disabled: only a hire does (docs/design.md,
   * rule 12). HR systems send updates around a termination, too.
   */
  readonly event?: 'updated';
  /**
   * Set by the worker when it fetched a vendor's mover update (`ref.mover`,
   * src/providers/mover-events.ts): only a person this service already provisioned (created,
   * invited or found existing) is acted on, their groups and rooms moved; nobody is created.
   */
  readonly moveOnly?: boolean;
}

/** What a `provision` job ended as; shown in the dashboard and logged. */
export interface ProvisionResult {
  /** `not-needed`: an HR update for a person who was not waiting for it (nothing to do). */
  readonly outcome: 'created' | 'existed' | 'already-provisioned' | 'not-needed' | 'reactivated';
  readonly userId: string | undefined;
}

/** A flush job: the batch it claimed, kept in its data until the invite call is confirmed. */
export interface InviteFlushJobData {
  readonly batch?: readonly string[];
}

/** How long completed jobs are kept: redeliveries of their jobId are ignored for that long. */
export const COMPLETED_RETENTION_SECONDS = 7 * 24 * 3600;
/** Delivery markers live as long as completed jobs: the sender's retry horizon is at most 3 days. */
export const DELIVERY_MARKER_TTL_SECONDS = COMPLETED_RETENTION_SECONDS;

/** How long failed jobs are kept for replay unless `FAILED_JOB_RETENTION_DAYS` says otherwise. */
export const DEFAULT_FAILED_RETENTION_DAYS = 30;

/**
 * Options of every `provision` job: retried with exponential backoff (the worker's backoff strategy
 * adds jitter and honours `Retry-After`), completed jobs kept a week, failed ones kept for replay
 * for `failedRetentionDays` (they hold people's data; the workers also sweep them, see
 * src/queue/retention.ts).
 *
 * Completed jobs are kept here (`removeOnComplete: false`) and removed after
 * {@link COMPLETED_RETENTION_SECONDS} by the workers' hourly sweep (src/queue/retention.ts), not
 * by BullMQ at every completion: an age limit on the job costs its move-to-finished script a
 * `ZREVRANGEBYSCORE` of the completed set each time (docs/performance.md, "Where a hire's Redis
 * commands go"). Never by count: a cap would forget a redelivered job id sooner than the week its
 * marker lasts once more than that many jobs completed within it.
 */
export function provisionJobOptions(
  attempts: number,
  backoffMs: number,
  failedRetentionDays: number = DEFAULT_FAILED_RETENTION_DAYS,
): JobsOptions {
  return {
    attempts,
    backoff: { type: 'docspace', delay: backoffMs },
    removeOnComplete: false,
    removeOnFail: { age: failedRetentionDays * 24 * 3600 },
  };
}

/**
 * Options of every flush job (the tick's and the size trigger's): retried like `provision` jobs,
 * gone once done, failed ones kept no longer than provision jobs (their failure reasons may quote
 * DocSpace's texts about people).
 */
export function inviteFlushJobOptions(
  attempts: number,
  backoffMs: number,
  failedRetentionDays: number = DEFAULT_FAILED_RETENTION_DAYS,
): JobsOptions {
  return {
    ...provisionJobOptions(attempts, backoffMs, failedRetentionDays),
    removeOnComplete: true,
    removeOnFail: { count: 10_000, age: failedRetentionDays * 24 * 3600 },
  };
}

/** Job id of the n-th hire of a delivery: stable across redeliveries, free of ":" (BullMQ rule). */
export function provisionJobId(deliveryHash: string, index: number): string {
  return `hire-${deliveryHash}-${index}`;
}
