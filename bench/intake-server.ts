/**
 * Child process of the intake benchmark: serves `POST /webhooks/hires` one way, on a free port it
 * reports over IPC, so the load generator never shares its event loop.
 *
 * - `service`: the real API (`startApi`: the whole app, production settings);
 * - `answer`: an Express handler that only answers (the ceiling of Express on this machine);
 * - `queue-add`: an Express handler that reads the raw body and calls `queue.add` once with it
 *   (job id from `webhook-id`): the floor of "store it in Redis, then answer";
 * - `naive`: what a first receiver would write (issue #12's baseline): `express.json`, verify with
 *   the `standardwebhooks` package, `SET NX` the delivery id, one `queue.add`, answer;
 * - the ladder from `queue-add` to the service, one step of the real handler added at a time:
 *   `+verify` (Standard Webhooks signature), `+validate` (JSON and payload), `+intake` (the real
 *   intake instead of `queue.add`: delivery marker, job, record), `+log` (the log line). What is
 *   left between `+log` and `service` is the app around the handler (middleware, routers).
 */
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Queue } from 'bullmq';
import express, { type ErrorRequestHandler } from 'express';
import { Webhook } from 'standardwebhooks';
import { loadConfig } from '../src/config.js';
import { parseHiresEvent } from '../src/domain/hire.js';
import { createSignatureVerifier } from '../src/domain/signature.js';
import { createLogger } from '../src/logger.js';
import { PROVISION_JOB, provisionJobOptions } from '../src/queue/contract.js';
import { createHireStore } from '../src/queue/hire-store.js';
import { createIntake } from '../src/queue/intake.js';
import { createKeys, QUEUES } from '../src/queue/keys.js';
import { createRedis } from '../src/queue/redis.js';
import { startApi } from '../src/server.js';
import { onStop, signalReady } from './processes.js';

/** The handlers below `service`, each doing what the one before does and more. */
const HANDLER_STEPS = ['answer', 'queue-add', '+verify', '+validate', '+intake', '+log'];

const mode = process.argv[2] ?? '';
const env = process.env;

if (mode === 'service') {
  const config = loadConfig({ ...env, PORT: '0' }, 'api');
  const logger = createLogger({ level: config.logLevel, service: 'docspace-onboarding-api' });
  const api = await startApi({ config, logger });
  onStop(() => api.close());
  signalReady({ port: api.port });
} else if (mode === 'naive') {
  await serveNaive();
} else if (HANDLER_STEPS.includes(mode)) {
  await serveStep(HANDLER_STEPS.indexOf(mode));
} else {
  process.stderr.write(`intake-server: unknown mode "${mode}"\n`);
  process.exit(2);
}

/** The naive receiver: no record, no log line, no metrics; the same queue and job options. */
async function serveNaive(): Promise<void> {
  const prefix = env['QUEUE_PREFIX'] ?? 'dso-bench';
  const redis = createRedis(env['REDIS_URL'] ?? 'redis://127.0.0.1:6379', 'producer');
  const queue = new Queue(QUEUES.hires, {
    connection: redis,
    prefix,
    defaultJobOptions: provisionJobOptions(12, 2000),
  });
  const webhook = new Webhook(env['WEBHOOK_SECRET'] ?? '');
  const app = express();
  app.disable('x-powered-by');
  app.post('/webhooks/hires', express.raw({ type: () => true, limit: '1mb' }), async (req, res) => {
    const raw = Buffer.isBuffer(req.body) ? req.body.toString('utf8') : '';
    const headers = {
      'webhook-id': req.get('webhook-id') ?? '',
      'webhook-timestamp': req.get('webhook-timestamp') ?? '',
      'webhook-signature': req.get('webhook-signature') ?? '',
    };
    let payload: unknown;
    try {
      payload = webhook.verify(raw, headers);
    } catch {
      res.status(401).end();
      return;
    }
    const id = headers['webhook-id'];
    const fresh = await redis.set(`${prefix}:naive:${id}`, '1', 'EX', 7 * 24 * 3600, 'NX');
    if (fresh === 'OK') await queue.add(PROVISION_JOB, { payload }, { jobId: `hire-${id}` });
    res.status(200).json({ status: fresh === 'OK' ? 'accepted' : 'duplicate', hires: 1 });
  });
  await listen(app, async () => {
    await queue.close();
    await redis.quit();
  });
}

async function serveStep(step: number): Promise<void> {
  const prefix = env['QUEUE_PREFIX'] ?? 'dso-bench';
  // From `+intake` on, the connection the service's API uses (auto-pipelined, src/server.ts); the
  // steps before it keep the plain one of the `queue.add` baseline.
  const redis = createRedis(env['REDIS_URL'] ?? 'redis://127.0.0.1:6379', 'producer', {
    autoPipelining: step >= HANDLER_STEPS.indexOf('+intake'),
  });
  const queue = new Queue(QUEUES.hires, {
    connection: redis,
    prefix,
    defaultJobOptions: provisionJobOptions(12, 2000),
  });
  const keys = createKeys(prefix);
  const intake = createIntake({ queue, redis, keys, hireStore: createHireStore({ redis, keys }) });
  const verify = createSignatureVerifier([env['WEBHOOK_SECRET'] ?? '']);
  const logger = createLogger({ level: 'info', service: 'docspace-onboarding-api' });
  const app = express();
  app.disable('x-powered-by');
  if (step === 0) {
    app.post('/webhooks/hires', (_req, res) => {
      res.status(200).json({ status: 'accepted', hires: 1 });
    });
  } else {
    app.post(
      '/webhooks/hires',
      express.raw({ type: () => true, limit: '1mb' }),
      async (req, res) => {
        const raw = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
        const headers = {
          'webhook-id': req.get('webhook-id'),
          'webhook-timestamp': req.get('webhook-timestamp'),
          'webhook-signature': req.get('webhook-signature'),
        };
        const id = step >= 2 ? verify(raw, headers) : (headers['webhook-id'] ?? '');
        const event = step >= 3 ? parseHiresEvent(JSON.parse(raw.toString('utf8'))) : undefined;
        if (event?.kind === 'hires' && step >= 4) {
          const { outcome, jobIds } = await intake('hires', id, event.hires);
          if (step >= 5) {
            logger.info(`webhook ${outcome}`, {
              route: 'hires',
              deliveryId: id,
              type: event.type,
              outcome,
              hires: event.hires.length,
              hireIds: event.hires.map((hire) => hire.hireId),
              jobIds,
            });
          }
        } else {
          await queue.add(PROVISION_JOB, { body: raw.toString('utf8') }, { jobId: `hire-${id}` });
        }
        res.status(200).json({ status: 'accepted', hires: 1 });
      },
    );
  }
  await listen(app, async () => {
    await queue.close();
    await redis.quit();
  });
}

/** Serves `app` on a free loopback port, tells the bench, and closes with `close` when stopped. */
async function listen(app: express.Express, close: () => Promise<void>): Promise<void> {
  // Requests still in flight when the benchmark stops this process meet a closed Redis: 503, quietly.
  const quiet503: ErrorRequestHandler = (err, _req, res, next) => {
    if (res.headersSent) {
      next(err);
      return;
    }
    res.status(503).end();
  };
  app.use(quiet503);
  const server = await new Promise<Server>((resolve) => {
    const listening = app.listen(0, '127.0.0.1', () => {
      resolve(listening);
    });
  });
  onStop(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
    await close();
  });
  signalReady({ port: (server.address() as AddressInfo).port });
}
