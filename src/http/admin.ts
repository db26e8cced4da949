import type { GrantsStore } from '../queue/grants-store.js';
import { grantsOf } from './grants-view.js';
import { Router, type Request } from 'express';
import type { z } from 'zod';
import { problemsOf } from '../domain/problems.js';
import { PayloadError, ServiceError } from '../errors.js';
import type { Logger } from '../logger.js';
import type { HireStore } from '../queue/hire-store.js';
import type { Replayer } from '../queue/replay.js';
import { createAdminAuth } from './admin-auth.js';
import {
  BulkRetryQuery,
  JobListQuery,
  NoQuery,
  RetryOneQuery,
  type BulkRetryAnswer,
  type HireRecordAnswer,
  type JobList,
  type RetryOneAnswer,
} from './admin-schemas.js';
import { sameOriginChanges } from './same-origin.js';

export interface AdminDeps {
  /** `ADMIN_TOKEN`; undefined makes every route here answer 404. */
  readonly token: string | undefined;
  readonly replayer: Pick<Replayer, 'list' | 'replayOne' | 'replayFailed'>;
  readonly store: Pick<HireStore, 'get' | 'timeline' | 'keyOf'>;
  /** What the rules gave each person (groups, rooms); shown with the record when there is any. */
  readonly grants?: Pick<GrantsStore, 'get'> | undefined;
  readonly logger: Pick<Logger, 'info' | 'warn'>;
}

/**
 * The admin API of README.md#http (`/admin/jobs…`, `/admin/hires/:email`), behind the admin token.
 * Mount it at the root: `app.use(createAdminRoutes(deps))`, before the not-found handler. The guard
 * covers only these paths, so the dashboard at `/admin/queues` keeps its own (Basic) guard. Errors
 * go to the app's error handler, which writes the uniform JSON body.
 */
export function createAdminRoutes(deps: AdminDeps): Router {
  const { replayer, store, logger } = deps;
  const router = Router();
  // Bearer only (never Basic, which browsers replay cross-site), and changes from this site only.
  router.use(
    ['/admin/jobs', '/admin/hires'],
    createAdminAuth(deps.token),
    sameOriginChanges(logger, 'admin API'),
  );

  router.get('/admin/jobs', async (req, res) => {
    const { state, queue, start, limit } = readQuery(req, JobListQuery);
    const page = await replayer.list({ state, start, limit, ...(queue ? { queue } : {}) });
    res.json({ jobs: page.jobs, start, limit, total: page.total } satisfies JobList);
  });

  router.post('/admin/jobs/retry', async (req, res) => {
    const { queue, since, reason, dryRun } = readQuery(req, BulkRetryQuery);
    logger.info('admin bulk replay requested', {
      dryRun,
      queue: queue ?? 'all',
      ...(since === undefined ? {} : { sinceMs: since }),
      ...(reason === undefined ? {} : { reasonFilter: reason }),
    });
    const result = await replayer.replayFailed({
      dryRun,
      ...(queue ? { queue } : {}),
      ...(since === undefined ? {} : { since }),
      ...(reason === undefined ? {} : { reason }),
    });
    res.json({
      replayed: result.replayed,
      matched: result.matched,
      dryRun: result.dryRun,
      ids: result.jobs.map((job) => job.id),
    } satisfies BulkRetryAnswer);
  });

  router.post('/admin/jobs/:id/retry', async (req, res) => {
    const { queue } = readQuery(req, RetryOneQuery);
    const replayed = await replayer.replayOne(req.params.id, queue);
    res.json({
      status: 'replayed',
      id: replayed.id,
      queue: replayed.queue,
    } satisfies RetryOneAnswer);
  });

  router.get('/admin/hires/:email', async (req, res) => {
    readQuery(req, NoQuery);
    const key = store.keyOf(req.params.email);
    const [record, timeline, grants] = await Promise.all([
      store.get(key),
      store.timeline(key),
      deps.grants?.get(key),
    ]);
    if (record === undefined) throw new ServiceError('ERR_NOT_FOUND', 'no hire with this email');
    res.json({ ...record, ...grantsOf(grants), timeline } satisfies HireRecordAnswer);
  });

  return router;
}

/** The query as `schema` reads it; every problem at once, as a 400 (`ERR_PAYLOAD`). */
function readQuery<T extends z.ZodType>(req: Request, schema: T): z.output<T> {
  const parsed = schema.safeParse(req.query);
  if (!parsed.success) throw new PayloadError('invalid query', problemsOf(parsed.error.issues));
  return parsed.data;
}
