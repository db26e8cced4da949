import { createHash } from 'node:crypto';
import type { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import type { Hire } from '../domain/hire.js';
import type { HireItem } from '../providers/types.js';
import { QueueUnavailableError } from '../errors.js';
import {
  DELIVERY_MARKER_TTL_SECONDS,
  PROVISION_JOB,
  provisionJobId,
  type ProvisionJobData,
} from './contract.js';
import type { HireStore } from './hire-store.js';
import type { Keys } from './keys.js';

export type IntakeOutcome = 'accepted' | 'duplicate';

export interface IntakeDeps {
  readonly queue: Pick<Queue<ProvisionJobData>, 'addBulk'>;
  readonly redis: Redis;
  readonly keys: Keys;
  readonly hireStore: Pick<HireStore, 'received'>;
  readonly now?: () => number;
}

/**
 * Stores a verified delivery before it is acknowledged (DESIGN rule 8), once per delivery id.
 *
 * The delivery marker goes `pending` → `done`. A delivery that finds `done` is a duplicate and adds
 * nothing. One that finds `pending` (a concurrent copy, or an earlier attempt that died half-way)
 * adds the jobs again, which is harmless: job ids come from the delivery id, and BullMQ ignores an
 * id it already holds. So a crash at any point leaves the sender's retry able to finish the store,
 * and a delivery is never answered `duplicate` unless its jobs are in Redis.
 */
export function createIntake(deps: IntakeDeps) {
  const now = deps.now ?? Date.now;
  return async function accept(
    source: string,
    deliveryId: string,
    items: readonly (Hire | HireItem)[],
    options: { delayMs?: number } = {},
  ): Promise<{ outcome: IntakeOutcome; jobIds: string[] }> {
    const hires = items.map(toItem);
    const deliveryKey = deps.keys.delivery(`${source}:${deliveryId}`);
    const deliveryHash = createHash('sha256')
      .update(`${source}:${deliveryId}`)
      .digest('hex')
      .slice(0, 24);
    const jobIds = hires.map((_, index) => provisionJobId(deliveryHash, index));
    try {
      const claimed = await deps.redis.set(
        deliveryKey,
        'pending',
        'EX',
        DELIVERY_MARKER_TTL_SECONDS,
        'NX',
      );
      if (claimed === null && (await deps.redis.get(deliveryKey)) === 'done') {
        return { outcome: 'duplicate', jobIds };
      }
      const receivedAt = now();
      await deps.queue.addBulk(
        hires.map((item, index) => ({
          name: PROVISION_JOB,
          data: { ...jobPayload(item), deliveryId, receivedAt },
          opts: {
            jobId: jobIds[index] ?? '',
            ...(options.delayMs === undefined ? {} : { delay: options.delayMs }),
          },
        })),
      );
      if (claimed === null) {
        // The jobs are stored now, whoever stored them first: later copies need not add them again.
        await deps.redis.set(deliveryKey, 'done', 'EX', DELIVERY_MARKER_TTL_SECONDS);
        return { outcome: 'duplicate', jobIds };
      }
      // People known by email get their record now; referenced ones once the worker fetched them.
      await Promise.all(
        hires.flatMap((item, index) =>
          item.kind === 'full' ? [deps.hireStore.received(item.hire, jobIds[index] ?? '')] : [],
        ),
      );
      await deps.redis.set(deliveryKey, 'done', 'EX', DELIVERY_MARKER_TTL_SECONDS);
      return { outcome: 'accepted', jobIds };
    } catch (err: unknown) {
      throw new QueueUnavailableError(err);
    }
  };
}

export type Intake = ReturnType<typeof createIntake>;

function toItem(item: Hire | HireItem): HireItem {
  return 'kind' in item ? item : { kind: 'full', hire: item };
}

function jobPayload(item: HireItem): Pick<ProvisionJobData, 'hire' | 'ref' | 'invalid'> {
  switch (item.kind) {
    case 'full':
      return { hire: item.hire };
    case 'ref':
      return { ref: item.ref };
    case 'invalid':
      return { invalid: { source: item.source, hireId: item.hireId, reason: item.reason } };
  }
}
