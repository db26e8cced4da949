import express, { type RequestHandler, type Router } from 'express';
import { z } from 'zod';
import { parseHiresEvent } from '../domain/hire.js';
import { createSignatureVerifier } from '../domain/signature.js';
import { PayloadError } from '../errors.js';
import type { Logger } from '../logger.js';
import type { Intake } from '../queue/intake.js';
import type { LeaverIntake } from '../queue/leaver-intake.js';
import { sendJson } from './answer.js';
import { sendError } from './errors.js';
import { noteWebhookRejection, setWebhookOutcome } from './metrics-route.js';

/** README.md#http: bodies over 1 MiB are answered 413, before anything is parsed. */
export const BODY_LIMIT = '1mb';

/** The 200 answer of every webhook route. */
export const WebhookAnswer = z
  .object({
    status: z.enum(['accepted', 'duplicate', 'ignored', 'ok']).meta({
      description:
        'accepted: stored now; duplicate: this webhook-id was stored before; ignored: not an event the service acts on; ok: a connection test',
    }),
    hires: z.number().int().optional().meta({ description: 'People in the delivery' }),
    type: z.string().optional().meta({ description: 'The ignored event type' }),
  })
  .meta({ id: 'WebhookAnswer' });
export type WebhookAnswer = z.input<typeof WebhookAnswer>;

export interface HiresWebhookDeps {
  readonly secrets: readonly string[];
  readonly intake: Intake;
  /** Stores leavers and cancelled terminations (rule 12); absent: they are answered `ignored`. */
  readonly leaverIntake?: LeaverIntake;
  readonly logger: Logger;
  readonly now?: () => number;
  /** Counts every delivery by outcome, rejections included (`docspace_onboarding_webhooks_total`). */
}

/**
 * `POST /webhooks/hires`, signed per Standard Webhooks. Order of checks: configured (503), JSON
 * content type (415), body size (413), signature over the raw bytes (401), JSON and payload (400),
 * event type (200 ignored), store in Redis (200 accepted or duplicate; 503 when Redis is away).
 */
export function createHiresWebhook(deps: HiresWebhookDeps): Router {
  const router = express.Router();
  const verify = createSignatureVerifier(deps.secrets, deps.now);

  router.post(
    '/webhooks/hires',
    requireConfigured(deps.secrets.length > 0, 'WEBHOOK_SECRET'),
    requireJson,
    express.raw({ type: () => true, limit: BODY_LIMIT }),
    async (req, res) => {
      const raw = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
      const deliveryId = verify(raw, {
        'webhook-id': req.get('webhook-id'),
        'webhook-timestamp': req.get('webhook-timestamp'),
        'webhook-signature': req.get('webhook-signature'),
      });
      const event = parseHiresEvent(parseJson(raw));
      // The line's context, passed with each call rather than as a child logger: the same line,
      // without a logger made per delivery (docs/performance.md#intake-levers).
      const context = { route: 'hires', deliveryId, type: event.type };
      // Leavers and cancelled terminations are stored for the worker, which records them and,
      // with OFFBOARDING=disable, disables the account once the termination date has ended.
      if (
        (event.kind === 'terminations' || event.kind === 'cancellations') &&
        deps.leaverIntake !== undefined
      ) {
        const people = event.kind === 'terminations' ? event.leavers : event.people;
        const { outcome, jobIds } = await deps.leaverIntake('hires', deliveryId, event);
        deps.logger.info(`webhook ${outcome}`, {
          ...context,
          outcome,
          hires: people.length,
          hireIds: people.map((person) => person.hireId),
          jobIds,
        });
        setWebhookOutcome(res, outcome);
        sendJson(res, 200, { status: outcome, hires: people.length } satisfies WebhookAnswer);
        return;
      }
      // A mover (`employee.updated`) is provisioned like a hire: an account that exists is left
      // as it is, and the rules' groups and rooms follow the person as they are now (docs/rules.md).
      // Any other type the service does not handle is ignored.
      if (event.kind !== 'hires' && event.kind !== 'updates') {
        deps.logger.info('webhook ignored', { ...context, outcome: 'ignored' });
        setWebhookOutcome(res, 'ignored');
        sendJson(res, 200, { status: 'ignored', type: event.type } satisfies WebhookAnswer);
        return;
      }
      const { outcome, jobIds } = await deps.intake(
        'hires',
        deliveryId,
        event.hires,
        event.kind === 'updates' ? { event: 'updated' } : {},
      );
      deps.logger.info(`webhook ${outcome}`, {
        ...context,
        outcome,
        hires: event.hires.length,
        hireIds: event.hires.map((hire) => hire.hireId),
        jobIds,
      });
      setWebhookOutcome(res, outcome);
      sendJson(res, 200, { status: outcome, hires: event.hires.length } satisfies WebhookAnswer);
    },
  );
  return router;
}

/**
 * Answers 503 with `Retry-After` while the setting that enables the route is unset. A missing
 * setting is our own trouble, not a wrong delivery (docs/design.md, rule 11): a 404 would make BambooHR or
 * Personio drop the hire for good, where a 503 is delivered again once the setting is fixed.
 */
export function requireConfigured(configured: boolean, setting: string): RequestHandler {
  return (_req, res, next) => {
    if (configured) {
      next();
      return;
    }
    noteWebhookRejection(res, 'not_configured');
    sendError(
      res,
      503,
      'ERR_NOT_CONFIGURED',
      `this webhook is not configured on this server (set ${setting}); deliver again later`,
    );
  };
}

const requireJson: RequestHandler = (req, res, next) => {
  if (typeof req.is(['application/json', '+json']) === 'string') {
    next();
    return;
  }
  sendError(res, 415, 'ERR_UNSUPPORTED_MEDIA_TYPE', 'send the body as application/json');
};

function parseJson(raw: Buffer): unknown {
  try {
    return JSON.parse(raw.toString('utf8')) as unknown;
  } catch {
    throw new PayloadError('the body is not valid JSON');
  }
}
