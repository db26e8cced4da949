import type { GrantsStore } from './queue/grants-store.js';
import type { Queue } from 'bullmq';
import express, { type Express } from 'express';
import { createAdminLoginLimit } from './http/admin-login-limit.js';
import { createAdminRoutes } from './http/admin.js';
import { createDashboard } from './http/dashboard.js';
import { createErrorHandler, notFound, sendError } from './http/errors.js';
import { createHealthRoutes, type HealthDeps } from './http/health.js';
import { countWebhookOutcome, createMetricsRoute } from './http/metrics-route.js';
import { createOpenApiRoute } from './http/openapi.js';
import { createWebhookRateLimit } from './http/rate-limit.js';
import { jsonApiSecurityHeaders } from './http/security-headers.js';
import { createHiresWebhook } from './http/webhook-hires.js';
import { createProviderWebhooks } from './http/webhook-providers.js';
import type { Logger } from './logger.js';
import type { Metrics } from './metrics.js';
import type { ProviderConfig } from './providers/settings.js';
import type { Provider } from './providers/types.js';
import type { HireStore } from './queue/hire-store.js';
import type { Intake } from './queue/intake.js';
import type { LeaverIntake } from './queue/leaver-intake.js';
import type { Replayer } from './queue/replay.js';
import type { OffboardingStore } from './queue/offboarding-store.js';
import { createOffboardingAdmin } from './http/offboarding-admin.js';
import { createPeoplePage } from './http/people-page.js';

export interface AppDeps {
  readonly logger: Logger;
  readonly intake: Intake;
  /** Stores leavers and cancelled terminations (rule 12). */
  readonly leaverIntake?: LeaverIntake;
  readonly webhookSecrets: readonly string[];
  readonly health: HealthDeps;
  /** Set while shutting down: webhooks are answered 503 so senders deliver them again later. */
  readonly stopping: () => boolean;
  readonly metrics: Metrics;
  /** `METRICS_TOKEN`: when set, `/metrics` asks for it as Bearer; unset, `/metrics` is public. */
  readonly metricsToken?: string | undefined;
  /** Unset: every `/admin` route, the dashboard included, answers 404. */
  readonly adminToken: string | undefined;
  /** The service's queues, for the dashboard. */
  readonly queues: readonly Queue[];
  readonly replayer: Replayer;
  readonly hireStore: HireStore;
  /** Leavers' disables (rule 12): the admin listing, the release and the people page. */
  readonly offboarding?: OffboardingStore;
  /** What the rules gave each person, shown by GET /admin/hires/:email. */
  readonly grantsStore?: GrantsStore | undefined;
  /** HR systems with their own webhook format, and their settings. */
  readonly providers: readonly Provider[];
  readonly providerConfigs: Readonly<Record<string, ProviderConfig>>;
  /**
   * Webhook deliveries per minute per client address (`WEBHOOK_RATE_LIMIT_PER_MINUTE`); 0 or
   * unset: no limit.
   */
  readonly webhookRateLimitPerMinute?: number;
  /** Proxies in front whose `X-Forwarded-For` is believed (`TRUST_PROXY`); unset: none. */
  readonly trustProxyHops?: number;
  readonly now?: () => number;
}

/** The admin API's JSON routes and the OpenAPI document: safe headers, never cached. */
const JSON_API_PATHS = ['/admin/jobs', '/admin/hires', '/admin/offboarding', '/openapi.json'];

/** The HTTP app: routes and one error handler. It never listens; the caller does (tests on port 0). */
export function createApp(deps: AppDeps): Express {
  const app = express();
  app.disable('x-powered-by');
  // Without proxies the peer address is the client; with N, the Nth address from the right of
  // X-Forwarded-For (what the farthest trusted proxy saw). Never `true`: anyone could write any
  // address into the header.
  const hops = deps.trustProxyHops ?? 0;
  app.set('trust proxy', hops > 0 ? hops : false);
  // Counted first, so that deliveries refused while shutting down are counted too. One layer for
  // every webhook route: each layer express walks costs every request (docs/performance.md#intake-levers).
  const counters = new Map(
    ['hires', ...deps.providers.map((provider) => provider.name)].map((route) => [
      route,
      countWebhookOutcome(deps.metrics, route),
    ]),
  );
  app.use('/webhooks', (req, res, next) => {
    // Express matches paths case-insensitively, and `/webhooks/hires/` is `/webhooks/hires`.
    const count = counters.get(req.path.split('/', 2)[1]?.toLowerCase() ?? '');
    if (count === undefined) next();
    else count(req, res, next);
  });
  // Before anything reads a body or checks a signature; not mounted at all while it is off.
  const perMinute = deps.webhookRateLimitPerMinute ?? 0;
  if (perMinute > 0) {
    app.use('/webhooks', createWebhookRateLimit({ perMinute, logger: deps.logger }));
  }
  app.use('/webhooks', (_req, res, next) => {
    if (!deps.stopping()) {
      next();
      return;
    }
    res.setHeader('Connection', 'close');
    sendError(res, 503, 'ERR_QUEUE_UNAVAILABLE', 'shutting down; deliver again later');
  });
  // The webhook routes first: the busiest, and no other route shares their paths.
  app.use(
    createHiresWebhook({
      secrets: deps.webhookSecrets,
      intake: deps.intake,
      ...(deps.leaverIntake ? { leaverIntake: deps.leaverIntake } : {}),
      logger: deps.logger,
      ...(deps.now ? { now: deps.now } : {}),
    }),
  );
  app.use(
    createProviderWebhooks({
      providers: deps.providers,
      configs: deps.providerConfigs,
      intake: deps.intake,
      ...(deps.leaverIntake ? { leaverIntake: deps.leaverIntake } : {}),
      logger: deps.logger,
      ...(deps.now ? { now: deps.now } : {}),
    }),
  );
  app.use(JSON_API_PATHS, jsonApiSecurityHeaders());
  app.use(createHealthRoutes(deps.health));
  app.use(createMetricsRoute(deps.metrics, deps.metricsToken));
  app.use(createOpenApiRoute());
  // Wrong admin credentials are counted per client address, for the API and the dashboard alike.
  app.use('/admin', createAdminLoginLimit({ logger: deps.logger }));
  app.use(
    createAdminRoutes({
      token: deps.adminToken,
      replayer: deps.replayer,
      store: deps.hireStore,
      grants: deps.grantsStore,
      logger: deps.logger,
    }),
  );
  const [hiresQueue] = deps.queues;
  if (deps.offboarding !== undefined && hiresQueue !== undefined) {
    const offboardingDeps = {
      token: deps.adminToken,
      offboarding: deps.offboarding,
      queue: hiresQueue,
      logger: deps.logger,
    };
    app.use(createOffboardingAdmin(offboardingDeps));
    app.use(
      createPeoplePage({ ...offboardingDeps, store: deps.hireStore, grants: deps.grantsStore }),
    );
  }
  app.use(createDashboard({ token: deps.adminToken, queues: deps.queues, logger: deps.logger }));
  app.use(notFound);
  app.use(createErrorHandler(deps.logger));
  return app;
}
