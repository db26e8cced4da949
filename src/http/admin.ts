import { Router, type Request } from 'express';
import { parseDuration } from '../domain/duration.js';
import { PayloadError, ServiceError, type ErrorDetail } from '../errors.js';
import type { Logger } from '../logger.js';
import type { HireStore } from '../queue/hire-store.js';
import {
  isListState,
  isQueueName,
  LIST_STATES,
  QUEUE_NAMES,
  type ListState,
  type QueueName,
} from '../queue/job-listing.js';
import type { Replayer } from '../queue/replay.js';
import { createAdminAuth } from './admin-auth.js';
import { sameOriginChanges } from './same-origin.js';

export interface AdminDeps {
  /** `ADMIN_TOKEN`; undefined makes every route here answer 404. */
  readonly token: string | undefined;
  readonly replayer: Pick<Replayer, 'list' | 'replayOne' | 'replayFailed'>;
  readonly store: Pick<HireStore, 'get' | 'timeline' | 'keyOf'>;
  readonly logger: Pick<Logger, 'info' | 'warn'>;
}

const MAX_LIMIT = 500;

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
    const query = readQuery(req, ['state', 'queue', 'start', 'limit']);
    const problems: ErrorDetail[] = [];
    const state = readState(query['state'], LIST_STATES, problems);
    const queue = readQueue(query['queue'], problems);
    const start = readInt(query['start'], 'start', 0, 0, 1_000_000_000, problems);
    const limit = readInt(query['limit'], 'limit', 50, 1, MAX_LIMIT, problems);
    rejectIf(problems);
    const page = await replayer.list({ state, start, limit, ...(queue ? { queue } : {}) });
    res.json({ jobs: page.jobs, start, limit, total: page.total });
  });

  router.post('/admin/jobs/retry', async (req, res) => {
    const query = readQuery(req, ['state', 'since', 'reason', 'queue', 'dryRun']);
    const problems: ErrorDetail[] = [];
    readState(query['state'], ['failed'], problems);
    const queue = readQueue(query['queue'], problems);
    const since = readSince(query['since'], problems);
    const reason = query['reason'];
    if (reason === '') problems.push({ path: 'reason', message: 'must not be empty' });
    const dryRun = readBoolean(query['dryRun'], 'dryRun', problems);
    rejectIf(problems);
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
    });
  });

  router.post('/admin/jobs/:id/retry', async (req, res) => {
    const query = readQuery(req, ['queue']);
    const problems: ErrorDetail[] = [];
    const queue = readQueue(query['queue'], problems);
    rejectIf(problems);
    const replayed = await replayer.replayOne(req.params.id, queue);
    res.json({ status: 'replayed', id: replayed.id, queue: replayed.queue });
  });

  router.get('/admin/hires/:email', async (req, res) => {
    readQuery(req, []);
    const key = store.keyOf(req.params.email);
    const [record, timeline] = await Promise.all([store.get(key), store.timeline(key)]);
    if (record === undefined) throw new ServiceError('ERR_NOT_FOUND', 'no hire with this email');
    res.json({ ...record, timeline });
  });

  return router;
}

type Query = Partial<Record<string, string>>;

/** The query as single strings; unknown or repeated parameters are refused, so a typo such as
 * `reson=` cannot silently widen a bulk replay to every failed job. */
function readQuery(req: Request, allowed: readonly string[]): Query {
  const raw = req.query as Record<string, unknown>;
  const query: Query = {};
  const problems: ErrorDetail[] = [];
  for (const [name, value] of Object.entries(raw)) {
    if (!allowed.includes(name)) {
      const known = allowed.length === 0 ? 'none' : allowed.join(', ');
      problems.push({ path: name, message: `unknown query parameter (known: ${known})` });
    } else if (typeof value !== 'string') {
      problems.push({ path: name, message: 'give it once, as a plain value' });
    } else {
      query[name] = value;
    }
  }
  rejectIf(problems);
  return query;
}

function rejectIf(problems: readonly ErrorDetail[]): void {
  if (problems.length > 0) throw new PayloadError('invalid query', problems);
}

function readState(
  raw: string | undefined,
  allowed: readonly ListState[],
  problems: ErrorDetail[],
): ListState {
  const value = raw ?? 'failed';
  if (isListState(value) && allowed.includes(value)) return value;
  const message =
    allowed.length === 1 ? `must be ${allowed.join('')}` : `must be one of ${allowed.join(', ')}`;
  problems.push({ path: 'state', message });
  return 'failed';
}

function readQueue(raw: string | undefined, problems: ErrorDetail[]): QueueName | undefined {
  if (raw === undefined || isQueueName(raw)) return raw;
  problems.push({ path: 'queue', message: `must be one of ${QUEUE_NAMES.join(', ')}` });
  return undefined;
}

function readInt(
  raw: string | undefined,
  path: string,
  fallback: number,
  min: number,
  max: number,
  problems: ErrorDetail[],
): number {
  if (raw === undefined) return fallback;
  const value = Number(raw);
  if (/^\d+$/.test(raw) && value >= min && value <= max) return value;
  problems.push({ path, message: `must be a whole number from ${min} to ${max}` });
  return fallback;
}

function readSince(raw: string | undefined, problems: ErrorDetail[]): number | undefined {
  if (raw === undefined) return undefined;
  try {
    return parseDuration(raw, 'since');
  } catch (err: unknown) {
    if (!(err instanceof PayloadError)) throw err;
    problems.push(...err.details);
    return undefined;
  }
}

function readBoolean(raw: string | undefined, path: string, problems: ErrorDetail[]): boolean {
  if (raw === undefined || raw === 'false' || raw === '0') return false;
  if (raw === 'true' || raw === '1' || raw === '') return true;
  problems.push({ path, message: 'must be true or false' });
  return false;
}
