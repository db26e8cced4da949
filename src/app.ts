import express, { type Express } from 'express';
import { createErrorHandler, notFound } from './http/errors.js';
import { createHealthRoutes, type HealthDeps } from './http/health.js';
import { createHiresWebhook } from './http/webhook-hires.js';
import type { Logger } from './logger.js';
import type { Intake } from './queue/intake.js';

export interface AppDeps {
  readonly logger: Logger;
  readonly intake: Intake;
  readonly webhookSecrets: readonly string[];
  readonly health: HealthDeps;
  /** Set while shutting down: webhooks are answered 503 so senders deliver them again later. */
  readonly stopping: () => boolean;
  readonly now?: () => Date;
}

/** The HTTP app: routes and one error handler. It never listens; the caller does (tests on port 0). */
export function createApp(deps: AppDeps): Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', false);
  app.use('/webhooks', (_req, res, next) => {
    if (!deps.stopping()) {
      next();
      return;
    }
    res.setHeader('Connection', 'close');
    res.setHeader('Retry-After', '5');
    res.status(503).json({
      error: {
        code: 'ERR_QUEUE_UNAVAILABLE',
        message: 'shutting down; deliver again later',
        details: [],
      },
    });
  });
  app.use(createHealthRoutes(deps.health));
  app.use(
    createHiresWebhook({
      secrets: deps.webhookSecrets,
      intake: deps.intake,
      logger: deps.logger,
      ...(deps.now ? { now: deps.now } : {}),
    }),
  );
  app.use(notFound);
  app.use(createErrorHandler(deps.logger));
  return app;
}
