import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { gzipSync } from 'node:zlib';
import { Queue } from 'bullmq';
import { createApp, type AppDeps } from '../../src/app.js';
import { loadConfig } from '../../src/config.js';
import { ConfigError } from '../../src/errors.js';
import { createLogger } from '../../src/logger.js';
import { createMetrics } from '../../src/metrics.js';
import type { Intake } from '../../src/queue/intake.js';
import { createHireStore } from '../../src/queue/hire-store.js';
import { createKeys, QUEUES } from '../../src/queue/keys.js';
import { createRedis } from '../../src/queue/redis.js';
import { createReplayer } from '../../src/queue/replay.js';
import { PROVIDERS } from '../../src/providers/registry.js';
import { readProviderSettings } from '../../src/providers/settings.js';
import type { Provider } from '../../src/providers/types.js';
import { deletePrefix, REDIS_URL, uniquePrefix } from '../helpers/redis.js';

const TOKEN = 'security-test-admin-token';
const MIB = 1024 * 1024;

/** Every provider enabled, with made-up secrets (no check below gets as far as a signature). */
const PROVIDER_ENV: Record<string, string> = {
  BAMBOOHR_WEBHOOK_SECRET: 'bamboo-secret',
  BAMBOOHR_COMPANY_DOMAIN: 'acme',
  BAMBOOHR_API_KEY: 'bamboo-key',
  HIBOB_WEBHOOK_SECRET: 'hibob-secret',
  HIBOB_SERVICE_USER_ID: 'svc',
  HIBOB_SERVICE_USER_TOKEN: 'svc-token',
  GREENHOUSE_WEBHOOK_SECRET: 'greenhouse-secret',
  PERSONIO_WEBHOOK_TOKEN: 'personio-token',
  PERSONIO_CLIENT_ID: 'id',
  PERSONIO_CLIENT_SECRET: 'secret',
};

/** Records whether anything past the body limit ever saw a delivery. */
const seen: string[] = [];

/** An HR system whose adapter only records that it was called. */
const spy: Provider = {
  name: 'spy',
  title: 'Spy HR',
  enabledBy: 'SPY_TOKEN',
  settings: [{ env: 'SPY_TOKEN', description: 'token', kind: 'secret' }],
  createWebhook: () => ({
    verify() {
      seen.push('spy verify');
    },
    parse() {
      seen.push('spy parse');
      return { kind: 'ping' };
    },
  }),
};

const PROVIDER_LIST = [...PROVIDERS, spy];
const WEBHOOK_ROUTES = ['/webhooks/hires', ...PROVIDER_LIST.map((p) => `/webhooks/${p.name}`)];

const intake: Intake = () => {
  seen.push('intake');
  return Promise.reject(new Error('never reached in these tests'));
};

describe('security of the HTTP side (issue #5, item 6)', () => {
  const prefix = uniquePrefix('security');
  const redis = createRedis(REDIS_URL, 'worker');
  const hires = new Queue(QUEUES.hires, { connection: redis, prefix });
  const invites = new Queue(QUEUES.invites, { connection: redis, prefix });
  const servers: { close: () => Promise<void> }[] = [];
  const logged: { level: string; message: string; meta: Record<string, unknown> }[] = [];

  /** The app on port 0 with every webhook route on; `overrides` change its deps. */
  async function serve(overrides: Partial<AppDeps> = {}): Promise<string> {
    const logger = createLogger({ level: 'error', service: 'test', silent: true });
    const recording = {
      ...logger,
      info: () => undefined,
      warn: (message: string, meta: Record<string, unknown> = {}) => {
        logged.push({ level: 'warn', message, meta });
      },
      error: (message: string, meta: Record<string, unknown> = {}) => {
        logged.push({ level: 'error', message, meta });
      },
      child: () => recording,
    };
    const app = createApp({
      logger: recording,
      intake,
      webhookSecrets: ['whsec_' + Buffer.alloc(32, 7).toString('base64')],
      health: { ping: () => redis.ping(), stopping: () => false },
      stopping: () => false,
      metrics: createMetrics({ defaultMetrics: false }),
      adminToken: TOKEN,
      queues: [hires, invites],
      hireStore: createHireStore({ redis, keys: createKeys(prefix) }),
      replayer: createReplayer({ queues: { hires, invites }, logger }),
      providers: PROVIDER_LIST,
      providerConfigs: readProviderSettings(
        { ...PROVIDER_ENV, SPY_TOKEN: 'x' },
        PROVIDER_LIST,
        false,
        [],
      ),
      ...overrides,
    });
    const server = app.listen(0, '127.0.0.1');
    await new Promise((resolve) => server.once('listening', resolve));
    servers.push({
      close: () =>
        new Promise((resolve) => {
          server.close(() => {
            resolve();
          });
          server.closeAllConnections();
        }),
    });
    return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  }

  const post = (url: string, headers: Record<string, string> = {}, body = '{}') =>
    fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body,
    });

  const errorCode = async (response: Response) =>
    ((await response.json()) as { error: { code: string } }).error.code;

  before(() => {
    seen.length = 0;
  });
  after(async () => {
    for (const server of servers) await server.close();
    await hires.close();
    await invites.close();
    await deletePrefix(prefix);
    redis.disconnect();
  });

  describe('per-address rate limit on /webhooks/* (WEBHOOK_RATE_LIMIT_PER_MINUTE)', () => {
    it('when one address sends more than the limit, the rest are answered 503 (never 429) with the JSON error and Retry-After, before any signature check', async () => {
      logged.length = 0;
      const url = await serve({ webhookRateLimitPerMinute: 3 });
      for (let i = 0; i < 3; i++) {
        assert.equal((await post(`${url}/webhooks/hires`)).status, 401, 'unsigned: refused');
      }
      // One budget for every webhook route of the address.
      for (const route of ['/webhooks/hires', '/webhooks/greenhouse', '/webhooks/nope']) {
        const refused = await post(`${url}${route}`);
        assert.equal(refused.status, 503, route);
        assert.equal(await errorCode(refused), 'ERR_RATE_LIMITED');
        const retryAfter = Number(refused.headers.get('retry-after'));
        assert.ok(retryAfter >= 1 && retryAfter <= 60, `Retry-After ${String(retryAfter)}`);
        assert.match(refused.headers.get('ratelimit-policy') ?? '', /q=3; w=60/);
      }
      assert.deepEqual(
        logged.filter((l) => l.message === 'webhook rate limit reached').length,
        1,
        'one line per address and window, not one per refusal',
      );
      // Other routes are not limited.
      assert.equal((await fetch(`${url}/healthz`)).status, 200);
      assert.equal((await fetch(`${url}/openapi.json`)).status, 200);
    });

    it('when the limit is 0 (or not given), nothing is refused for rate', async () => {
      for (const overrides of [{ webhookRateLimitPerMinute: 0 }, {}]) {
        const url = await serve(overrides);
        const statuses = await Promise.all(
          Array.from({ length: 30 }, () => post(`${url}/webhooks/hires`).then((r) => r.status)),
        );
        assert.ok(!statuses.includes(429) && !statuses.includes(503));
      }
    });

    it('counts per client address: X-Forwarded-For only with TRUST_PROXY, and then per forwarded address', async () => {
      const direct = await serve({ webhookRateLimitPerMinute: 2 });
      const forwarded = (url: string, ip: string) =>
        post(`${url}/webhooks/hires`, { 'x-forwarded-for': ip }).then((r) => r.status);
      // TRUST_PROXY=0: the header is ignored (anyone could write it), all share the peer's budget.
      assert.deepEqual(
        [
          await forwarded(direct, '203.0.113.1'),
          await forwarded(direct, '203.0.113.2'),
          await forwarded(direct, '203.0.113.3'),
        ],
        [401, 401, 503],
      );
      const proxied = await serve({ webhookRateLimitPerMinute: 2, trustProxyHops: 1 });
      assert.deepEqual(
        [
          await forwarded(proxied, '203.0.113.1'),
          await forwarded(proxied, '203.0.113.1'),
          await forwarded(proxied, '203.0.113.1'),
          await forwarded(proxied, '203.0.113.2'),
        ],
        [401, 401, 503, 401],
      );
    });

    it('reads WEBHOOK_RATE_LIMIT_PER_MINUTE (default 0: off) and TRUST_PROXY (default 0, hops up to 10)', () => {
      const required = { DOCSPACE_URL: 'https://p.example.com', DOCSPACE_API_KEY: 'k' };
      const defaults = loadConfig(required);
      assert.equal(defaults.webhookRateLimitPerMinute, 0);
      assert.equal(defaults.trustProxyHops, 0);
      const set = loadConfig({
        ...required,
        WEBHOOK_RATE_LIMIT_PER_MINUTE: '60',
        TRUST_PROXY: '2',
      });
      assert.equal(set.webhookRateLimitPerMinute, 60);
      assert.equal(set.trustProxyHops, 2);
      assert.throws(
        () =>
          loadConfig({ ...required, WEBHOOK_RATE_LIMIT_PER_MINUTE: 'lots', TRUST_PROXY: 'true' }),
        (err) =>
          err instanceof ConfigError &&
          err.details.map((d) => d.path).join() === 'WEBHOOK_RATE_LIMIT_PER_MINUTE,TRUST_PROXY',
      );
    });
  });

  describe('body limit (1 MiB), applied before anything parses the body', () => {
    it('when a body is over 1 MiB, every webhook route answers 413 and no verifier, parser or intake sees it', async () => {
      const url = await serve();
      seen.length = 0;
      const big = 'x'.repeat(MIB + 1);
      for (const route of WEBHOOK_ROUTES) {
        const response = await post(`${url}${route}`, {}, big);
        assert.equal(response.status, 413, route);
        assert.equal(await errorCode(response), 'ERR_BODY_TOO_LARGE', route);
      }
      assert.deepEqual(seen, []);
    });

    it('when exactly 1 MiB arrives, it is read and checked (the limit is inclusive)', async () => {
      const url = await serve();
      const response = await post(`${url}/webhooks/hires`, {}, 'x'.repeat(MIB));
      assert.equal(response.status, 401, 'read, then refused for its signature');
    });

    it('when the length is not announced (chunked) or the body is compressed, the limit still holds', async () => {
      const url = await serve();
      seen.length = 0;
      for (const route of WEBHOOK_ROUTES) {
        const chunk = new Uint8Array(256 * 1024).fill(120);
        let sent = 0;
        const stream = new ReadableStream<Uint8Array>({
          pull(controller) {
            if (sent >= 8) controller.close();
            else {
              sent += 1;
              controller.enqueue(chunk);
            }
          },
        });
        const chunked = await fetch(`${url}${route}`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: stream,
          duplex: 'half',
        });
        assert.equal(chunked.status, 413, `${route} chunked`);

        // 4 MiB of spaces compress to a few KiB: the limit applies to what it inflates to.
        const bomb = gzipSync(Buffer.alloc(4 * MIB, ' '));
        assert.ok(bomb.length < 64 * 1024);
        const compressed = await fetch(`${url}${route}`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'content-encoding': 'gzip' },
          body: bomb,
        });
        assert.equal(compressed.status, 413, `${route} gzip`);
      }
      assert.deepEqual(seen, []);
    });
  });

  describe('safe headers on the admin API and /openapi.json', () => {
    it('when they answer (200, 401 or 404 alike), they forbid sniffing, framing, loading and caching', async () => {
      const url = await serve();
      const auth = { authorization: `Bearer ${TOKEN}` };
      const answers: [string, Record<string, string>, number][] = [
        ['/openapi.json', {}, 200],
        ['/admin/jobs?state=failed', auth, 200],
        ['/admin/jobs?state=failed', {}, 401],
        ['/admin/hires/nobody@example.com', auth, 404],
      ];
      for (const [path, headers, status] of answers) {
        const response = await fetch(`${url}${path}`, { headers });
        assert.equal(response.status, status, path);
        const h = (name: string) => response.headers.get(name) ?? '';
        assert.equal(h('x-content-type-options'), 'nosniff', path);
        assert.match(h('content-security-policy'), /default-src 'none'/, path);
        assert.match(h('content-security-policy'), /frame-ancestors 'none'/, path);
        assert.equal(h('x-frame-options'), 'DENY', path);
        assert.equal(h('cache-control'), 'no-store', path);
        assert.equal(h('referrer-policy'), 'no-referrer', path);
        assert.equal(h('cross-origin-resource-policy'), 'same-origin', path);
        assert.equal(response.headers.get('x-powered-by'), null, path);
      }
    });

    it('when the dashboard answers, it keeps its own policy (scripts from itself, framing by itself)', async () => {
      const url = await serve();
      const response = await fetch(`${url}/admin/queues`, {
        headers: { authorization: `Basic ${Buffer.from(`admin:${TOKEN}`).toString('base64')}` },
      });
      assert.equal(response.status, 200);
      assert.match(response.headers.get('content-security-policy') ?? '', /script-src 'self'/);
      assert.equal(response.headers.get('x-frame-options'), 'SAMEORIGIN');
    });
  });
});
