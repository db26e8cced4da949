import express, { type Router } from 'express';
import type { Logger } from '../logger.js';
import type { Intake, IntakeOutcome } from '../queue/intake.js';
import type { LeaverIntake } from '../queue/leaver-intake.js';
import type { ProviderConfig } from '../providers/settings.js';
import type { HireRef } from '../domain/hire-item.js';
import type { Provider, WebhookAdapter } from '../providers/types.js';
import { sendJson } from './answer.js';
import { setWebhookOutcome } from './metrics-route.js';
import { BODY_LIMIT, requireConfigured, type WebhookAnswer } from './webhook-hires.js';

export interface ProviderWebhooksDeps {
  readonly providers: readonly Provider[];
  readonly configs: Readonly<Record<string, ProviderConfig>>;
  readonly intake: Intake;
  /** Stores the vendors' leaver events (rule 12); absent: they are answered `ignored`. */
  readonly leaverIntake?: LeaverIntake;
  readonly logger: Logger;
  readonly now?: () => number;
}

/**
 * `POST /webhooks/<provider>` for every HR system with its own format. A provider whose enabling
 * setting is unset answers 503 (our own trouble: the sender delivers again once it is set).
 * Checks in order: a token the provider sends in a header (401, before the body is read), body
 * size (413), the provider's signature over the raw bytes (401), the provider's payload (400, or 415
 * for a content type it does not send), then the store (503 when Redis is away; any other trouble
 * of ours is 503 too, src/http/errors.ts). Every success is
 * exactly 200 (Greenhouse counts anything else, 202 included, as a failure).
 */
export function createProviderWebhooks(deps: ProviderWebhooksDeps): Router {
  const router = express.Router();
  const now = deps.now ?? Date.now;
  for (const provider of deps.providers) {
    const config = deps.configs[provider.name];
    const adapter: WebhookAdapter | undefined =
      config?.enabled === true ? provider.createWebhook(config.settings) : undefined;
    router.post(
      `/webhooks/${provider.name}`,
      requireConfigured(adapter !== undefined, provider.enabledBy),
      (req, _res, next) => {
        adapter?.verifyHeaders?.({ header: (name) => req.get(name), now: now() });
        next();
      },
      express.raw({ type: () => true, limit: BODY_LIMIT }),
      async (req, res) => {
        if (adapter === undefined) return;
        const request = {
          raw: Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0),
          header: (name: string) => req.get(name),
          contentType: req.get('content-type'),
          now: now(),
        };
        adapter.verify(request);
        const event = adapter.parse(request);
        const log = deps.logger.child({ route: provider.name });
        if (event.kind === 'ping') {
          log.info('webhook ping answered', { outcome: 'ping' });
          setWebhookOutcome(res, 'ignored');
          sendJson(res, 200, { status: 'ok' } satisfies WebhookAnswer);
          return;
        }
        if (event.kind === 'ignored') {
          // Recorded, not acted on: a vendor's leaver event says why (src/providers/leaver-events.ts).
          log.info('webhook ignored', {
            outcome: 'ignored',
            type: event.type,
            ...(event.note === undefined ? {} : { note: event.note }),
          });
          setWebhookOutcome(res, 'ignored');
          sendJson(res, 200, { status: 'ignored', type: event.type } satisfies WebhookAnswer);
          return;
        }
        const delay = event.delayMs === undefined ? {} : { delayMs: event.delayMs };
        const leaverIntake = deps.leaverIntake;
        if (event.kind === 'leavers' && leaverIntake === undefined) {
          log.info('webhook ignored', { outcome: 'ignored', type: event.type });
          setWebhookOutcome(res, 'ignored');
          sendJson(res, 200, { status: 'ignored', type: event.type } satisfies WebhookAnswer);
          return;
        }
        // A vendor's leaver event: the worker reads the termination from the HR API. A delivery
        // of hires may name possible leavers too (src/providers/types.ts): both are stored before
        // the answer (rule 8), each under its own delivery id.
        const storeLeavers = async (deliveryId: string, refs: readonly HireRef[]) =>
          leaverIntake === undefined
            ? { outcome: 'duplicate' as const, jobIds: [] }
            : await leaverIntake(provider.name, deliveryId, { kind: 'references', refs }, delay);
        const people = event.kind === 'leavers' ? event.refs : event.items;
        let outcome: IntakeOutcome;
        let jobIds: string[];
        if (event.kind === 'leavers') {
          ({ outcome, jobIds } = await storeLeavers(event.deliveryId, event.refs));
        } else {
          const leavers =
            event.leavers === undefined
              ? { outcome: 'duplicate' as const, jobIds: [] }
              : await storeLeavers(event.leavers.deliveryId, event.leavers.refs);
          const hires = await deps.intake(provider.name, event.deliveryId, event.items, delay);
          outcome = leavers.outcome === 'accepted' ? 'accepted' : hires.outcome;
          jobIds = [...leavers.jobIds, ...hires.jobIds];
        }
        log.info(`webhook ${outcome}`, {
          outcome,
          deliveryId: event.deliveryId,
          type: event.type,
          hires: people.length,
          jobIds,
        });
        setWebhookOutcome(res, outcome);
        sendJson(res, 200, { status: outcome, hires: people.length } satisfies WebhookAnswer);
      },
    );
  }
  return router;
}
