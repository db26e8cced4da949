import { UnrecoverableError, type Job } from 'bullmq';
import type { Hire } from '../src/domain/hire.js';
import { ServiceError } from '../src/errors.js';
import type { Logger } from '../src/logger.js';
import { isSafeId, SAFE_ID_RULE } from '../src/providers/safe-id.js';
import type { HireFetcher } from '../src/providers/types.js';
import type { ProvisionJobData } from '../src/queue/contract.js';
import type { HireStore } from '../src/queue/hire-store.js';
import { UpstreamError } from '../src/upstream-error.js';

export interface ResolveHireDeps {
  /** Per HR system (`source`): fetches the people its webhooks only name. */
  readonly fetchers?: Readonly<Record<string, HireFetcher>>;
  readonly store: Pick<HireStore, 'received'>;
  readonly logger: Logger;
}

/**
 * The hire of a job: as delivered, or fetched from the HR system when the webhook only named the
 * person (then kept in the job's data, so a retry does not fetch again). A fetch that fails for a
 * passing reason is retried like a DocSpace call; a lasting one fails the job with its reason.
 */
export async function resolveHire(
  job: Job<ProvisionJobData>,
  deps: ResolveHireDeps,
): Promise<Hire> {
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
  let fetched: Hire;
  try {
    fetched = await fetcher.fetch(ref);
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
    if (err instanceof ServiceError) return fail(err.message, ref.employeeId, ref.source);
    throw err;
  }
  await job.updateData({ ...job.data, hire: fetched });
  await deps.store.received(fetched, jobId);
  log.info('hire fetched', { hireId: fetched.hireId, source: fetched.source });
  return fetched;
}
