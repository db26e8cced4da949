import type { Queue } from 'bullmq';
import type { Logger } from '../src/logger.js';
import type { Metrics } from '../src/metrics.js';
import type { InviteFlushJobData } from '../src/queue/contract.js';
import type { HireStore } from '../src/queue/hire-store.js';
import type { InviteBuffer } from '../src/queue/invite-buffer.js';

/** How much later than `INVITE_BATCH_MAX_WAIT_MS` an invitation counts as overdue. */
export const RECONCILE_MARGIN_MS = 5_000;
/** Most overdue people one pass looks at (the rest wait for the next pass). */
export const RECONCILE_LIMIT = 500;

/** Flush jobs that may still hold a claimed batch in their data. */
const FLUSH_STATES = ['active', 'waiting', 'delayed', 'prioritized'] as const;

export interface InviteReconcilerDeps {
  readonly store: Pick<HireStore, 'owedSince'>;
  readonly buffer: Pick<InviteBuffer, 'putBack'>;
  readonly invites: Pick<Queue<InviteFlushJobData>, 'getJobs'>;
  /** `INVITE_BATCH_MAX_WAIT_MS`: nobody created should wait longer than this for the call. */
  readonly maxWaitMs: number;
  readonly logger: Pick<Logger, 'warn'>;
  readonly metrics?: Pick<Metrics, 'invitesRequeued'>;
  readonly now?: () => number;
}

/**
 * Finds people recorded `created` whose invitation is overdue (created more than
 * `maxWaitMs + RECONCILE_MARGIN_MS` ago) and who are in no invite buffer and in no flush job's
 * batch, and puts them back in the buffer (docs/design.md, rule 9). A person is always in the buffer, in a
 * flush job's data, or past `created` (workers/invite-flush.ts writes a batch to its job before
 * taking it out of the buffer), so such a person was lost: Redis forgot (a restart without
 * persistence, a failover to a replica that lagged), or a flush job vanished.
 *
 * Cheap per hire: it reads only the owed index the transition script keeps (one ZADD when a person
 * is created, one ZREM when they leave `created`), oldest first, and only its overdue part; the
 * flush jobs are read only when someone is overdue. Safe to run on every worker at once: the
 * put-back is one script that checks the state and the buffer itself.
 */
export function createInviteReconciler(deps: InviteReconcilerDeps) {
  const now = deps.now ?? Date.now;
  return async function reconcile(): Promise<number> {
    const overdue = await deps.store.owedSince(
      now() - deps.maxWaitMs - RECONCILE_MARGIN_MS,
      RECONCILE_LIMIT,
    );
    if (overdue.length === 0) return 0;
    const claimed = new Set<string>();
    for (const job of await deps.invites.getJobs([...FLUSH_STATES])) {
      for (const key of (job as { data?: InviteFlushJobData } | undefined)?.data?.batch ?? []) {
        claimed.add(key);
      }
    }
    let requeued = 0;
    for (const key of overdue) {
      if (claimed.has(key)) continue;
      if (await deps.buffer.putBack(key)) requeued += 1;
    }
    if (requeued > 0) {
      deps.metrics?.invitesRequeued(requeued);
      deps.logger.warn('invitations owed but lost were put back in the invite buffer', {
        outcome: 'requeued',
        count: requeued,
        cause:
          'Redis lost the buffer entry or the flush job (restart without persistence, failover, flush)',
      });
    }
    return requeued;
  };
}
