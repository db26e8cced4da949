import { z } from 'zod';
import { parseDuration } from '../domain/duration.js';
import { PayloadError } from '../errors.js';
import { HIRE_STATES } from '../queue/hire-store.js';
import { LIST_STATES } from '../queue/job-listing.js';
import { QUEUES } from '../queue/keys.js';

/**
 * The admin API's queries and answers, one zod schema each: the routes in admin.ts validate with
 * them, and openapi.ts documents them, so the document cannot drift from what the routes accept.
 */

const ONCE = 'give it once, as a plain value';

/** Express gives a repeated parameter as an array: that is told apart from a wrong value. */
const plain =
  (message: string) =>
  (issue: { readonly input?: unknown }): string =>
    typeof issue.input === 'string' ? message : ONCE;

/**
 * A query: unknown parameters are refused, so a typo such as `reson=` cannot silently widen a bulk
 * replay to every failed job.
 */
function query<T extends z.core.$ZodLooseShape>(shape: T) {
  const known = Object.keys(shape).join(', ') || 'none';
  return z.strictObject(shape, {
    error: (issue) =>
      issue.code === 'unrecognized_keys' ? `unknown query parameter (known: ${known})` : undefined,
  });
}

function wholeNumber(min: number, max: number, fallback: number) {
  const message = `must be a whole number from ${min} to ${max}`;
  return z
    .string({ error: plain(message) })
    .regex(/^\d+$/, { error: message })
    .transform(Number)
    .pipe(z.number().int().min(min, { error: message }).max(max, { error: message }))
    .default(fallback);
}

const queue = z
  .enum(QUEUES, { error: plain(`must be one of ${Object.values(QUEUES).join(', ')}`) })
  .optional()
  .meta({ description: 'Only this queue; absent: both' });

const MAX_LIMIT = 500;

/** `GET /admin/jobs`. */
export const JobListQuery = query({
  state: z
    .enum(LIST_STATES, { error: plain(`must be one of ${LIST_STATES.join(', ')}`) })
    .default('failed'),
  queue,
  start: wholeNumber(0, 1_000_000_000, 0),
  limit: wholeNumber(1, MAX_LIMIT, 50),
});

/** `POST /admin/jobs/retry`. */
export const BulkRetryQuery = query({
  state: z.literal('failed', { error: plain('must be failed') }).default('failed'),
  since: z
    .string({ error: plain('must be a duration') })
    .transform((text, ctx) => {
      try {
        return parseDuration(text, 'since');
      } catch (err: unknown) {
        if (!(err instanceof PayloadError)) throw err;
        for (const detail of err.details)
          ctx.issues.push({ code: 'custom', message: detail.message, input: text });
        return z.NEVER;
      }
    })
    .optional()
    .meta({
      type: 'string',
      examples: ['2h', '30m', '7d'],
      description: 'Only jobs that failed within this long (s, m, h or d; at most 366d)',
    }),
  reason: z
    .string({ error: plain('must not be empty') })
    .min(1, { error: 'must not be empty' })
    .optional()
    .meta({ description: 'Only jobs whose failure reason contains this text (any case)' }),
  queue,
  dryRun: z
    .stringbool({
      truthy: ['true', '1', ''],
      falsy: ['false', '0'],
      error: plain('must be true or false'),
    })
    .default(false)
    .meta({ description: 'Count what would be replayed, replay nothing' }),
});

/** `POST /admin/jobs/:id/retry`. */
export const RetryOneQuery = query({ queue });

/** `GET /admin/hires/:email`: no parameters. */
export const NoQuery = query({});

// Answers: documented from these schemas; the routes check what they send with `satisfies`.

const jobSummary = z.object({
  id: z.string(),
  name: z.string(),
  queue: z.enum(QUEUES),
  state: z.enum(LIST_STATES),
  failedReason: z.string().nullable(),
  attemptsMade: z.number().int(),
  data: z.unknown().meta({ type: 'object', description: 'The job data as stored' }),
  timestamp: z.number().int(),
});

export const JobList = z
  .object({
    jobs: z.array(jobSummary).readonly(),
    start: z.number().int(),
    limit: z.number().int(),
    total: z.number().int().meta({ description: 'Jobs in this state (in the queues listed)' }),
  })
  .meta({ id: 'JobList' });

export const BulkRetryAnswer = z
  .object({
    replayed: z.number().int(),
    matched: z.number().int(),
    dryRun: z.boolean(),
    ids: z.array(z.string()).meta({ description: 'The first 100 matched jobs' }),
  })
  .meta({ id: 'BulkRetryAnswer' });

export const RetryOneAnswer = z
  .object({ status: z.literal('replayed'), id: z.string(), queue: z.enum(QUEUES) })
  .meta({ id: 'RetryOneAnswer' });

export const HireRecordAnswer = z
  .object({
    email: z.string(),
    hireId: z.string(),
    source: z.string(),
    state: z.enum(HIRE_STATES),
    userId: z.string().optional(),
    receivedAt: z.number().int().optional(),
    firstAttemptAt: z.number().int().optional(),
    createdAt: z.number().int().optional(),
    existedAt: z.number().int().optional(),
    invitedAt: z.number().int().optional(),
    failedAt: z.number().int().optional(),
    lastError: z.string().optional(),
    lastJobId: z.string().optional(),
    userType: z.string().optional().meta({
      description: 'The type DocSpace gave the account: User, RoomAdmin, DocSpaceAdmin or Guest',
    }),
    downgraded: z.boolean().optional().meta({
      description:
        'DocSpace made a User although requestedType was asked: the paid seats were used up',
    }),
    requestedType: z
      .string()
      .optional()
      .meta({ description: 'The paid type asked for (RoomAdmin or DocSpaceAdmin)' }),
    scheduledFor: z.number().int().optional().meta({
      description: 'A scheduled joiner (PROVISION_LEAD_DAYS): when the account is made',
    }),
    scheduleJobId: z.string().optional(),
    offboardedAt: z.number().int().optional(),
    reactivatedAt: z.number().int().optional().meta({
      description: 'A hire event enabled again the account this service had disabled',
    }),
    groups: z
      .array(z.string())
      .optional()
      .meta({ description: 'Groups this service added the person to (PROVISIONING_RULES)' }),
    rooms: z
      .array(z.object({ id: z.number().int(), access: z.string() }))
      .optional()
      .meta({ description: 'Rooms this service shared with the person, with the access given' }),
    timeline: z.array(
      z.object({
        at: z.number().int(),
        event: z.string(),
        jobId: z.string().optional(),
        detail: z.string().optional(),
      }),
    ),
  })
  .meta({ id: 'HireRecord' });

export type JobList = z.input<typeof JobList>;
export type BulkRetryAnswer = z.input<typeof BulkRetryAnswer>;
export type RetryOneAnswer = z.input<typeof RetryOneAnswer>;
export type HireRecordAnswer = z.input<typeof HireRecordAnswer>;
