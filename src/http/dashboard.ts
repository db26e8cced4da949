import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import type { BoardHooks } from '@bull-board/api/typings/app';
import { ExpressAdapter } from '@bull-board/express';
import type { Queue } from 'bullmq';
import express, { type Express, type RequestHandler, type Router } from 'express';
import helmet from 'helmet';
import type { Logger } from '../logger.js';
import { maskEmails, maskPii } from '../domain/pii.js';
import { QUEUES } from '../queue/keys.js';
import { createAdminAuth } from './admin-auth.js';
import { sameOriginChanges } from './same-origin.js';

export interface DashboardDeps {
  /** `ADMIN_TOKEN`: the Basic password of user `admin`, or a Bearer token. Unset: all of it 404s. */
  readonly token: string | undefined;
  /** Every queue of the service (`hires`, `invites`). */
  readonly queues: readonly Queue[];
  /** Where the dashboard lives; the router itself is mounted at the app root. */
  readonly basePath?: string;
  readonly logger: Pick<Logger, 'info' | 'warn'>;
}

/** What each of our queues is, in the dashboard's words. */
const LABELS: Readonly<Record<string, { displayName: string; description: string }>> = {
  [QUEUES.hires]: {
    displayName: 'Hires (provisioning)',
    description:
      'One job per new hire: creates the DocSpace user. Retry here keeps the attempts already ' +
      'spent (one more try only); for a fresh attempt budget use POST /admin/jobs/:id/retry ' +
      'or npm run replay. Emails and names are masked.',
  },
  [QUEUES.invites]: {
    displayName: 'Invitations (batched)',
    description:
      'Batched invitation calls: a flush-tick on a timer, a flush-full when a batch fills. ' +
      'Batches hold email hashes, not addresses.',
  },
};

/**
 * Inline styles of bull-board 9.10.2's page, allowed by hash: the "Loading" placeholder of its HTML
 * (five `style` attributes and a `<style>` with its keyframes) and the `<style>` inside the Redis
 * logo that React renders. If an upgrade changes them, only those look plain; the browser test
 * fails and names the new hashes.
 */
const STYLE_ATTRIBUTE_HASHES = [
  "'sha256-of39ksKG33VNCYo5/quRg1dhdo2AWSv8WJi2LNKOSTU='",
  "'sha256-dg51HqBfD6n0yW6arUPC/pQLVghRZbOuP0gPg9FhCTw='",
  "'sha256-XtkH5bXSf2qTXVOXBZrUBgydsBjBOqKXas4aSqlrDYQ='",
  "'sha256-4qiUsLv1mhPpLyv14EyMNeEfESFsI8tYHvGHgST5oO4='",
  "'sha256-z865ZzzyqKnk/u5EJq1ujBhzC4S9g1xzvJyr7y3Ut8s='",
];
const STYLE_ELEMENT_HASHES = [
  "'sha256-dv714QSXJBurriRZTklJT4phtgwCe+o7Frxoi2awcdg='",
  "'sha256-r2N1TB/gHbBtBZFKg7ejmq1acVSREzucTAEw6ga4hoU='",
];

/**
 * Content-Security-Policy of every dashboard response, found by loading bull-board's UI in
 * Chromium with `default-src 'none'` and reading each violation:
 *
 * - Scripts, stylesheets, code chunks, locale files and the syntax-highlighting worker all come
 *   from `static/` (`'self'`); no inline script runs (`__UI_CONFIG__` is JSON data, not executed)
 *   and nothing calls eval. Images are `'self'` and `data:` URIs.
 * - React sets styles through the CSSOM, which CSP does not govern, so no `'unsafe-inline'`: the
 *   few inline styles left are allowed by hash (above).
 * - Google Fonts, which the page links, stays blocked on purpose: an admin page makes no
 *   third-party requests, and the UI falls back to system fonts (one console message per load).
 * - No `upgrade-insecure-requests`: on a plain-HTTP internal address it would break every asset.
 */
export const DASHBOARD_CSP: Readonly<Record<string, readonly string[]>> = {
  'default-src': ["'none'"],
  'script-src': ["'self'"],
  'style-src': ["'self'"],
  'style-src-elem': ["'self'", ...STYLE_ELEMENT_HASHES],
  'style-src-attr': ["'unsafe-hashes'", ...STYLE_ATTRIBUTE_HASHES],
  'img-src': ["'self'", 'data:'],
  'font-src': ["'self'"],
  'connect-src': ["'self'"],
  'worker-src': ["'self'"],
  'manifest-src': ["'self'"],
  'base-uri': ["'self'"],
  'form-action': ["'self'"],
  'frame-ancestors': ["'none'"],
};

/**
 * The queue dashboard (bull-board) under `basePath`: its page, API and static assets, all behind
 * {@link createAdminAuth} with Basic auth, so a browser asks for `admin` and the token.
 *
 * - Emails and names never leave it: job data, names, return values and progress go through
 *   bull-board's formatters, and every API answer (failure reasons, stack traces, logs) has the
 *   emails in its strings masked.
 * - Retry, clean, pause and the rest stay; editing a job's data and adding jobs are refused (the
 *   UI only ever holds masked data, which would be written back).
 * - Changes are refused from other sites (CSRF): Basic credentials ride along with any request.
 *
 * @example app.use(createDashboard({ token: config.adminToken, queues: [hires, invites], logger }))
 */
export function createDashboard(deps: DashboardDeps): Router {
  const basePath = deps.basePath ?? '/admin/queues';
  const router = express.Router();
  const auth = createAdminAuth(deps.token, { basic: true });
  if (deps.token === undefined) {
    router.use(basePath, auth);
    return router;
  }

  const serverAdapter = new ExpressAdapter();
  serverAdapter.setBasePath(basePath);
  createBullBoard({
    queues: deps.queues.map((queue) => maskedAdapter(queue)),
    serverAdapter,
    options: {
      uiConfig: { boardTitle: 'docspace-onboarding', hideDocsLink: true },
      handlerHooks: hooks,
    },
  });

  const board = serverAdapter.getRouter() as Express;
  // bull-board's sub-app would put X-Powered-By back after helmet removed it.
  board.disable('x-powered-by');
  router.use(
    basePath,
    helmet({ contentSecurityPolicy: { useDefaults: false, directives: DASHBOARD_CSP } }),
    auth,
    noStore,
    sameOriginChanges(deps.logger, 'dashboard'),
    board,
  );
  return router;
}

function maskedAdapter(queue: Queue): BullMQAdapter {
  const labels = LABELS[queue.name];
  const adapter = new BullMQAdapter(queue, labels ?? {});
  adapter.setFormatter('data', (data: unknown) => maskPii(data));
  adapter.setFormatter('returnValue', (value: unknown) => maskPii(value));
  adapter.setFormatter('progress', (value: unknown) => maskPii(value));
  adapter.setFormatter('name', (job: { name?: unknown }) =>
    typeof job.name === 'string' ? maskEmails(job.name) : '',
  );
  return adapter;
}

/** Routes refused because the UI would send masked data back into a job. */
const REFUSED = new Set([
  'post /api/queues/:queueName/add',
  'patch /api/queues/:queueName/:jobId/update-data',
]);

const hooks: BoardHooks = {
  before: ({ method, route }) =>
    REFUSED.has(`${method} ${route}`)
      ? {
          allow: false,
          status: 405,
          message:
            'disabled here: the dashboard shows masked data only; send hires through the webhook',
        }
      : { allow: true },
  // Failure reasons, stack traces and job logs have no formatter: mask emails in every answer.
  after: (_context, result) => ({ ...result, body: maskPii(result.body) as typeof result.body }),
};

const noStore: RequestHandler = (req, res, next) => {
  if (!req.path.startsWith('/static/')) res.setHeader('Cache-Control', 'no-store');
  next();
};
