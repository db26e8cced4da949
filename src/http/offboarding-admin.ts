import express, { Router, type Request } from 'express';
import { z } from 'zod';
import type { Queue } from 'bullmq';
import { problemsOf } from '../domain/problems.js';
import { PayloadError } from '../errors.js';
import type { Logger } from '../logger.js';
import { releaseOffboardings } from '../queue/offboarding-release.js';
import { OFFBOARDING_STATES, type OffboardingStore } from '../queue/offboarding-store.js';
import { createAdminAuth } from './admin-auth.js';
import { sameOriginChanges } from './same-origin.js';

export interface OffboardingAdminDeps {
  readonly token: string | undefined;
  readonly offboarding: Pick<OffboardingStore, 'list' | 'release'>;
  /** The hires queue: a release queues the held disables again. */
  readonly queue: Pick<Queue, 'add'>;
  readonly logger: Pick<Logger, 'info' | 'warn'>;
}

export const OffboardingQuery = z.strictObject(
  {
    state: z
      .enum(OFFBOARDING_STATES as [string, ...string[]], {
        error: `must be one of ${OFFBOARDING_STATES.join(', ')}`,
      })
      .optional(),
  },
  { error: () => 'unknown query parameter (known: state)' },
);

export const ReleaseBody = z
  .object(
    {
      emails: z
        .array(z.string().trim().min(1).max(254), { error: 'must be an array of emails' })
        .max(10_000)
        .optional(),
    },
    { error: 'must be a JSON object' },
  )
  .optional();

/**
 * `GET /admin/offboarding?state=held` and `POST /admin/offboarding/release` (README.md#http),
 * Bearer only, changes from this site only, like the rest of the admin API.
 */
export function createOffboardingAdmin(deps: OffboardingAdminDeps): Router {
  const router = Router();
  router.use(
    '/admin/offboarding',
    createAdminAuth(deps.token),
    sameOriginChanges(deps.logger, 'admin API'),
  );

  router.get('/admin/offboarding', async (req, res) => {
    const { state } = read(OffboardingQuery, req.query, 'invalid query');
    const records = await deps.offboarding.list(
      state as (typeof OFFBOARDING_STATES)[number] | undefined,
    );
    res.json({
      offboardings: records.map((record) => ({
        email: record.email,
        employeeId: record.employeeId,
        effectiveAt: new Date(record.effectiveAt).toISOString(),
        state: record.state,
        reason: record.reason ?? '',
      })),
    });
  });

  router.post(
    '/admin/offboarding/release',
    express.json({ limit: '256kb' }),
    async (req: Request, res) => {
      const body = read(ReleaseBody, req.body, 'invalid body');
      const released = await releaseOffboardings(deps, body?.emails);
      deps.logger.info('offboardings released by an admin', {
        released: released.length,
        all: body?.emails === undefined,
      });
      res.json({ released: released.length });
    },
  );
  return router;
}

function read<T extends z.ZodType>(schema: T, value: unknown, message: string): z.output<T> {
  const parsed = schema.safeParse(value);
  if (!parsed.success) throw new PayloadError(message, problemsOf(parsed.error.issues));
  return parsed.data;
}
