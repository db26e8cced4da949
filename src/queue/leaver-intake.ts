import type { Queue } from 'bullmq';
import type { Leaver, PersonRef } from '../domain/hire.js';
import type { HireRef } from '../domain/hire-item.js';
import { QueueUnavailableError } from '../errors.js';
import { DELIVERY_MARKER_TTL_SECONDS } from './contract.js';
import type { IntakeOutcome } from './intake.js';
import { deliveryHash, type Keys } from './keys.js';
import type { RedisConnection } from './redis.js';
import { createDeliveryMarker } from './delivery-marker.js';

/** Job names on the `hires` queue for leavers (docs/design.md, rule 12). */
export const OFFBOARD_JOB = 'offboard';
export const CANCEL_OFFBOARD_JOB = 'offboard-cancel';

/**
 * An `offboard` job: one leaver, disabled once their termination date has ended. A vendor's leaver
 * event only names the person (`ref`): the worker reads their email and termination from the HR
 * API and keeps it here as `leaver` (workers/offboard.ts).
 */
export interface OffboardJobData {
  readonly leaver?: Leaver;
  readonly ref?: HireRef;
  readonly deliveryId: string;
  readonly receivedAt: number;
  /**
   * Set on a job an admin's release queued: the job whose schedule it carries out (the record
   * names that job, so a release and a cancellation never cross).
   */
  readonly scheduleJobId?: string;
}

/** An `offboard-cancel` job: a cancelled termination (`employee.termination_cancelled`). */
export interface CancelOffboardJobData {
  readonly person: PersonRef;
  readonly deliveryId: string;
  readonly receivedAt: number;
}

export type LeaverJob =
  | { readonly name: typeof OFFBOARD_JOB; readonly data: OffboardJobData }
  | { readonly name: typeof CANCEL_OFFBOARD_JOB; readonly data: CancelOffboardJobData };

/**
 * Stores a verified leaver delivery before it is acknowledged (rule 8), once per delivery id, as
 * src/queue/intake.ts does for hires: marker `pending`, the jobs (ids from the delivery, so a copy
 * adds nothing), marker `done`. Nothing else runs here: the worker reads HR_TIMEZONE, works out
 * when the termination takes effect and waits for it (a delayed job).
 */
export function createLeaverIntake(deps: {
  readonly queue: Pick<Queue, 'addBulk'>;
  readonly redis: RedisConnection;
  readonly keys: Keys;
  readonly now?: () => number;
}) {
  const now = deps.now ?? Date.now;
  const marker = createDeliveryMarker(deps.redis);
  return async function acceptLeavers(
    source: string,
    deliveryId: string,
    event:
      | { readonly kind: 'terminations'; readonly leavers: readonly Leaver[] }
      | { readonly kind: 'cancellations'; readonly people: readonly PersonRef[] }
      | { readonly kind: 'references'; readonly refs: readonly HireRef[] },
    options: { readonly delayMs?: number } = {},
  ): Promise<{ outcome: IntakeOutcome; jobIds: string[] }> {
    const deliveryKey = deps.keys.delivery(`${source}:${deliveryId}`);
    const hash = deliveryHash(source, deliveryId);
    const receivedAt = now();
    const jobs: LeaverJob[] =
      event.kind === 'terminations'
        ? event.leavers.map((leaver) => ({
            name: OFFBOARD_JOB,
            data: { leaver, deliveryId, receivedAt },
          }))
        : event.kind === 'references'
          ? event.refs.map((ref) => ({
              name: OFFBOARD_JOB,
              data: { ref, deliveryId, receivedAt },
            }))
          : event.people.map((person) => ({
              name: CANCEL_OFFBOARD_JOB,
              data: { person, deliveryId, receivedAt },
            }));
    const jobIds = jobs.map((job, index) => `${job.name}-${hash}-${index}`);
    try {
      const before = await marker.claim(deliveryKey, DELIVERY_MARKER_TTL_SECONDS);
      if (before === 'done') return { outcome: 'duplicate', jobIds };
      await deps.queue.addBulk(
        jobs.map((job, index) => ({
          name: job.name,
          data: job.data,
          opts: {
            jobId: jobIds[index] ?? '',
            ...(options.delayMs === undefined ? {} : { delay: options.delayMs }),
          },
        })),
      );
      await marker.done(deliveryKey, DELIVERY_MARKER_TTL_SECONDS);
      return { outcome: before === null ? 'accepted' : 'duplicate', jobIds };
    } catch (err: unknown) {
      throw new QueueUnavailableError(err);
    }
  };
}

export type LeaverIntake = ReturnType<typeof createLeaverIntake>;
