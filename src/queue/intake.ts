import type { JobsOptions, Queue } from 'bullmq';
import type { Hire } from '../domain/hire.js';
import type { HireItem } from '../domain/hire-item.js';
import { QueueUnavailableError } from '../errors.js';
import {
  DELIVERY_MARKER_TTL_SECONDS,
  PROVISION_JOB,
  provisionJobId,
  type ProvisionJobData,
} from './contract.js';
import type { HireStore } from './hire-store.js';
import { deliveryHash, type Keys } from './keys.js';
import type { RedisConnection } from './redis.js';
import { createDeliveryMarker } from './delivery-marker.js';

export type IntakeOutcome = 'accepted' | 'duplicate';

export interface IntakeDeps {
  readonly queue: Pick<Queue<ProvisionJobData>, 'add' | 'addBulk'>;
  readonly redis: RedisConnection;
  readonly keys: Keys;
  readonly hireStore: Pick<HireStore, 'receivedThenMark'>;
  readonly now?: () => number;
}

/**
 * Stores a verified delivery before it is acknowledged (docs/design.md, rule 8), once per delivery id.
 *
 * The delivery marker goes `pending` → `done`. A delivery that finds `done` is a duplicate and adds
 * nothing. One that finds `pending` (a concurrent copy, or an earlier attempt that died half-way)
 * adds the jobs again, which is harmless: job ids come from the delivery id, and BullMQ ignores an
 * id it already holds. So a crash at any point leaves the sender's retry able to finish the store,
 * and a delivery is never answered `duplicate` unless its jobs are in Redis.
 *
 * Three round trips to Redis (issue #6 measured each one on the intake's hot path): claim the
 * marker, store the jobs, then one script that writes the people's records and then the marker's
 * `done` (docs/performance.md#intake-levers).
 */
export function createIntake(deps: IntakeDeps) {
  const now = deps.now ?? Date.now;
  const marker = createDeliveryMarker(deps.redis);
  return async function accept(
    source: string,
    deliveryId: string,
    items: readonly (Hire | HireItem)[],
    options: { delayMs?: number; event?: 'updated' } = {},
  ): Promise<{ outcome: IntakeOutcome; jobIds: string[] }> {
    // Built in plain loops: spreads, `map`s and `flatMap`s on every delivery cost measurable CPU (lever 9 in docs/performance.md#intake-levers).
    const hires: HireItem[] = [];
    const jobIds: string[] = [];
    const deliveryKey = deps.keys.delivery(`${source}:${deliveryId}`);
    const shortHash = deliveryHash(source, deliveryId);
    for (const item of items) {
      jobIds.push(provisionJobId(shortHash, hires.length));
      hires.push(toItem(item));
    }
    try {
      const before = await marker.claim(deliveryKey, DELIVERY_MARKER_TTL_SECONDS);
      if (before === 'done') return { outcome: 'duplicate', jobIds };
      const claimed = before === null;
      const receivedAt = now();
      const jobs: { name: string; data: ProvisionJobData; opts: JobsOptions }[] = [];
      const people: { hire: Hire; jobId: string }[] = [];
      for (const [index, item] of hires.entries()) {
        const jobId = jobIds[index] ?? '';
        const opts: JobsOptions = { jobId };
        if (options.delayMs !== undefined) opts.delay = options.delayMs;
        jobs.push({
          name: PROVISION_JOB,
          data: jobData(item, deliveryId, receivedAt, options.event),
          opts,
        });
        if (item.kind === 'full') people.push({ hire: item.hire, jobId });
      }
      const [single] = jobs;
      // One job needs no transaction: `add` is one script, where `addBulk` wraps MULTI around it.
      if (jobs.length === 1 && single !== undefined) {
        await deps.queue.add(single.name, single.data, single.opts);
      } else {
        await deps.queue.addBulk(jobs);
      }
      // People known by email get their record now; referenced ones once the worker fetched them.
      // A copy that found the marker `pending` writes the records only where none exists: the
      // attempt that took the marker may have died (Redis failover, restart) after storing the jobs
      // but before their records, and a record without the email cannot be invited.
      // Each also names its job the person's newest event (rule 14): a scheduled joiner's delayed
      // job that wakes while this one still waits must not create them on the old date.
      // The records and then the marker's `done` are one script (rule 8's order, one round trip);
      // `people` holds them, made in the loop above.
      await deps.hireStore.receivedThenMark(people, receivedAt, !claimed, {
        key: deliveryKey,
        value: 'done',
        ttlSeconds: DELIVERY_MARKER_TTL_SECONDS,
      });
      // The jobs are stored now, whoever stored them first: later copies added nothing.
      return { outcome: claimed ? 'accepted' : 'duplicate', jobIds };
    } catch (err: unknown) {
      throw new QueueUnavailableError(err);
    }
  };
}

export type Intake = ReturnType<typeof createIntake>;

function toItem(item: Hire | HireItem): HireItem {
  return 'kind' in item ? item : { kind: 'full', hire: item };
}

/** A job's data, its keys always in this order. */
function jobData(
  item: HireItem,
  deliveryId: string,
  receivedAt: number,
  event: 'updated' | undefined,
): ProvisionJobData {
  const data: { -readonly [K in keyof ProvisionJobData]: ProvisionJobData[K] } =
    item.kind === 'full'
      ? { hire: item.hire, deliveryId, receivedAt }
      : item.kind === 'ref'
        ? { ref: item.ref, deliveryId, receivedAt }
        : {
            invalid: { source: item.source, hireId: item.hireId, reason: item.reason },
            deliveryId,
            receivedAt,
          };
  if (event !== undefined) data.event = event;
  return data;
}
