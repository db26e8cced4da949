import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { Queue } from 'bullmq';
import type { Express } from 'express';
import { createApp } from '../../src/app.js';
import { OPENAPI_DOCUMENT } from '../../src/http/openapi.js';
import { createLogger } from '../../src/logger.js';
import { createMetrics } from '../../src/metrics.js';
import { createHireStore } from '../../src/queue/hire-store.js';
import { createKeys, QUEUES } from '../../src/queue/keys.js';
import { createRedis } from '../../src/queue/redis.js';
import { createReplayer } from '../../src/queue/replay.js';
import { PROVIDERS } from '../../src/providers/registry.js';
import { deletePrefix, REDIS_URL, uniquePrefix } from '../helpers/redis.js';

const TOKEN = 'openapi-test-admin-token';

interface Layer {
  rawPath?: string;
  route?: { path: string; methods: Record<string, boolean> };
  handle?: { stack?: Layer[] };
}

/** Every `METHOD /path` the Express app routes, walking nested routers (params as `{name}`). */
function routesOf(app: Express): Set<string> {
  const found = new Set<string>();
  const walk = (stack: Layer[], prefix: string): void => {
    for (const layer of stack) {
      if (layer.route !== undefined) {
        for (const method of Object.keys(layer.route.methods)) {
          const path = `${prefix}${layer.route.path}`.replace(/:(\w+)/g, '{$1}');
          found.add(`${method.toUpperCase()} ${path}`);
        }
      } else if (layer.handle?.stack !== undefined) {
        const mount = layer.rawPath && layer.rawPath !== '/' ? layer.rawPath : '';
        walk(layer.handle.stack, `${prefix}${mount}`);
      }
    }
  };
  walk((app as unknown as { router: { stack: Layer[] } }).router.stack, '');
  return found;
}

interface DocOperation {
  parameters?: {
    name: string;
    in: string;
    schema: { default?: unknown; const?: unknown; enum?: unknown[]; examples?: unknown[] };
  }[];
}

function documented(): Set<string> {
  const ops = new Set<string>();
  for (const [path, item] of Object.entries(OPENAPI_DOCUMENT.paths)) {
    for (const method of Object.keys(item)) ops.add(`${method.toUpperCase()} ${path}`);
  }
  return ops;
}

describe('GET /openapi.json describes the routes the app really has', () => {
  const prefix = uniquePrefix('openapi');
  const redis = createRedis(REDIS_URL, 'worker');
  const hires = new Queue(QUEUES.hires, { connection: redis, prefix });
  const invites = new Queue(QUEUES.invites, { connection: redis, prefix });
  const logger = createLogger({ level: 'error', service: 'test', silent: true });
  let app: Express;
  let base = '';
  let close = (): Promise<void> => Promise.resolve();

  before(async () => {
    app = createApp({
      logger,
      intake: () => Promise.reject(new Error('not used')),
      webhookSecrets: ['whsec_' + Buffer.alloc(32, 3).toString('base64')],
      health: { ping: () => redis.ping(), stopping: () => false },
      stopping: () => false,
      metrics: createMetrics({ logger, defaultMetrics: false }),
      adminToken: TOKEN,
      queues: [hires, invites],
      hireStore: createHireStore({ redis, keys: createKeys(prefix) }),
      replayer: createReplayer({ queues: { hires, invites }, logger }),
      providers: PROVIDERS,
      providerConfigs: {},
    });
    const server = app.listen(0, '127.0.0.1');
    await new Promise((resolve) => server.once('listening', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    close = () =>
      new Promise((resolve) =>
        server.close(() => {
          resolve();
        }),
      );
  });
  after(async () => {
    await close();
    await hires.close();
    await invites.close();
    await deletePrefix(prefix);
    redis.disconnect();
  });

  it('is served as an OpenAPI 3.1 document', async () => {
    const response = await fetch(`${base}/openapi.json`);
    assert.equal(response.status, 200);
    const body = (await response.json()) as { openapi: string; paths: Record<string, unknown> };
    assert.equal(body.openapi, '3.1.0');
    assert.deepEqual(Object.keys(body.paths).sort(), Object.keys(OPENAPI_DOCUMENT.paths).sort());
  });

  it('documents every route of the app, and nothing else (the dashboard counts as one page)', () => {
    const inApp = [...routesOf(app)].filter((op) => !op.includes('/admin/queues/')).sort();
    const inDoc = [...documented()].filter((op) => op !== 'GET /admin/queues').sort();
    assert.deepEqual(inApp, inDoc);
  });

  it('every $ref points at a component the document has', () => {
    const refs = [...JSON.stringify(OPENAPI_DOCUMENT).matchAll(/"\$ref":"([^"]*)"/g)].map(
      ([, target = '']) => target,
    );
    const components = OPENAPI_DOCUMENT.components as Record<string, Record<string, unknown>>;
    assert.ok(refs.length > 10, `only ${refs.length} references found`);
    for (const target of refs) {
      const [, kind = '', name = ''] = /^#\/components\/(\w+)\/(\w+)$/.exec(target) ?? [];
      assert.ok(components[kind]?.[name] !== undefined, `${target} is not a component`);
    }
  });

  it("every documented query parameter is one its route accepts (the document is generated from the route's schema)", async () => {
    let checked = 0;
    for (const [template, item] of Object.entries(OPENAPI_DOCUMENT.paths)) {
      for (const [method, operation] of Object.entries(item as Record<string, DocOperation>)) {
        const query = new URLSearchParams();
        for (const parameter of operation.parameters ?? []) {
          if (parameter.in !== 'query') continue;
          const { schema } = parameter;
          const sample = schema.default ?? schema.const ?? schema.enum?.[0] ?? schema.examples?.[0];
          query.set(
            parameter.name,
            sample === undefined ? 'x' : JSON.stringify(sample).replace(/^"|"$/g, ''),
          );
        }
        if (query.size === 0) continue;
        checked += query.size;
        const path = template.replace('{id}', 'no-such-job');
        const response = await fetch(`${base}${path}?${query.toString()}`, {
          method: method.toUpperCase(),
          headers: { authorization: `Bearer ${TOKEN}` },
        });
        const text = await response.text();
        assert.notEqual(response.status, 400, `${method} ${template}?${query.toString()}: ${text}`);
      }
    }
    assert.ok(checked >= 10, `only ${checked} parameters checked`);
  });

  it('every documented operation answers from a real route, not the catch-all 404', async () => {
    for (const op of documented()) {
      const [method = 'GET', template = '/'] = op.split(' ');
      const path = template.replace('{id}', 'no-such-job').replace('{email}', 'nobody@example.com');
      const response = await fetch(
        `${base}${path}${path.endsWith('/retry') && !path.includes('no-such') ? '?state=failed' : ''}`,
        {
          method,
          headers: { authorization: `Bearer ${TOKEN}` },
        },
      );
      const text = await response.text();
      assert.ok(!text.includes('no route for'), `${op} reached the catch-all (${response.status})`);
    }
  });
});

describe('while shutting down', () => {
  it('webhooks are answered 503 with Retry-After (the sender delivers again later) and /readyz says stopping', async (t) => {
    const prefix = uniquePrefix('stopping');
    const redis = createRedis(REDIS_URL, 'worker');
    const hires = new Queue(QUEUES.hires, { connection: redis, prefix });
    const logger = createLogger({ level: 'error', service: 'test', silent: true });
    const app = createApp({
      logger,
      intake: () => Promise.reject(new Error('must not be called while stopping')),
      webhookSecrets: ['whsec_' + Buffer.alloc(32, 3).toString('base64')],
      health: { ping: () => redis.ping(), stopping: () => true },
      stopping: () => true,
      metrics: createMetrics({ logger, defaultMetrics: false }),
      adminToken: undefined,
      queues: [hires],
      hireStore: createHireStore({ redis, keys: createKeys(prefix) }),
      replayer: createReplayer({ queues: { hires, invites: hires }, logger }),
      providers: PROVIDERS,
      providerConfigs: {},
    });
    const server = app.listen(0, '127.0.0.1');
    await new Promise((resolve) => server.once('listening', resolve));
    t.after(async () => {
      await new Promise((resolve) => server.close(resolve));
      await hires.close();
      await deletePrefix(prefix);
      redis.disconnect();
    });
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const response = await fetch(`${url}/webhooks/hires`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{}',
    });
    assert.equal(response.status, 503);
    assert.equal(response.headers.get('retry-after'), '5');
    assert.equal(
      ((await response.json()) as { error: { code: string } }).error.code,
      'ERR_QUEUE_UNAVAILABLE',
    );
    const ready = await fetch(`${url}/readyz`);
    assert.equal(ready.status, 503);
    assert.deepEqual(await ready.json(), { status: 'stopping' });
  });
});
