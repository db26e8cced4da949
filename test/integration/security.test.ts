import assert from 'node:assert/strict';
import { request as httpRequest } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { PassThrough } from 'node:stream';
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
import { deletePrefix, REDIS_URL, uniquePrefix, waitFor } from '../helpers/redis.js';

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

/** Personio's webhook token, which its route checks before reading the body. */
const PERSONIO_AUTH = { authorization: PROVIDER_ENV['PERSONIO_WEBHOOK_TOKEN'] ?? '' };

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
        // Personio's token is checked before the body is read: send it, to reach the limit.
        const response = await post(`${url}${route}`, PERSONIO_AUTH, big);
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
          headers: { 'content-type': 'application/json', ...PERSONIO_AUTH },
          body: stream,
          duplex: 'half',
        });
        assert.equal(chunked.status, 413, `${route} chunked`);

        // 4 MiB of spaces compress to a few KiB: the limit applies to what it inflates to.
        const bomb = gzipSync(Buffer.alloc(4 * MIB, ' '));
        assert.ok(bomb.length < 64 * 1024);
        const compressed = await fetch(`${url}${route}`, {
          method: 'POST',
          headers: {
            'content-type': 'application/json',
            'content-encoding': 'gzip',
            ...PERSONIO_AUTH,
          },
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

  describe('admin API and CSRF (issue #10, item 2)', () => {
    const basicAuth = `Basic ${Buffer.from(`admin:${TOKEN}`).toString('base64')}`;
    const crossSite = { 'sec-fetch-site': 'cross-site', origin: 'https://evil.example' };

    it("when a browser replays the dashboard's Basic credentials in a cross-site POST /admin/jobs/retry (the review's probe), then it does not succeed", async () => {
      const url = await serve();
      const response = await fetch(`${url}/admin/jobs/retry?state=failed`, {
        method: 'POST',
        headers: { authorization: basicAuth, ...crossSite },
      });
      assert.equal(response.status, 401);
      assert.equal(await errorCode(response), 'ERR_UNAUTHORIZED');
      assert.equal(response.headers.get('www-authenticate'), 'Bearer', 'no Basic challenge');
    });

    it('when Basic credentials come without any cross-site sign, the admin API still takes Bearer only', async () => {
      const url = await serve();
      for (const [method, path] of [
        ['GET', '/admin/jobs?state=failed'],
        ['POST', '/admin/jobs/retry?state=failed'],
        ['POST', '/admin/jobs/some-id/retry'],
        ['GET', '/admin/hires/nobody@example.com'],
      ] as const) {
        const response = await fetch(`${url}${path}`, {
          method,
          headers: { authorization: basicAuth },
        });
        assert.equal(response.status, 401, `${method} ${path}`);
      }
    });

    it('when Bearer is sent from another site, then changes are refused 403; reading is not a change', async () => {
      const url = await serve();
      const bearer = { authorization: `Bearer ${TOKEN}` };
      for (const headers of [
        crossSite,
        { 'sec-fetch-site': 'same-site' },
        { origin: 'https://evil.example' },
      ]) {
        const response = await fetch(`${url}/admin/jobs/retry?state=failed`, {
          method: 'POST',
          headers: { ...bearer, ...headers },
        });
        assert.equal(response.status, 403, JSON.stringify(headers));
        assert.equal(await errorCode(response), 'ERR_FORBIDDEN');
      }
      const read = await fetch(`${url}/admin/jobs?state=failed`, {
        headers: { ...bearer, ...crossSite },
      });
      assert.equal(read.status, 200);
    });

    it('when a CLI sends Bearer with no Origin (curl, scripts), or a page of this host does, then the replay runs', async () => {
      const url = await serve();
      const bearer = { authorization: `Bearer ${TOKEN}` };
      const host = new URL(url).host;
      for (const headers of [
        {},
        { 'sec-fetch-site': 'same-origin' },
        { origin: `http://${host}` },
      ]) {
        const response = await fetch(`${url}/admin/jobs/retry?state=failed&dryRun=true`, {
          method: 'POST',
          headers: { ...bearer, ...headers },
        });
        assert.equal(response.status, 200, JSON.stringify(headers));
        assert.equal(((await response.json()) as { dryRun: boolean }).dryRun, true);
      }
    });
  });

  describe('logs name the route, never the path (issue #10)', () => {
    it('when an admin call about an email fails, its log line names the route pattern and holds no address', async () => {
      const stream = new PassThrough();
      let written = '';
      stream.on('data', (chunk: Buffer) => {
        written += chunk.toString('utf8');
      });
      const url = await serve({
        logger: createLogger({ level: 'debug', service: 'test', stream }),
      });
      const bearer = { authorization: `Bearer ${TOKEN}` };
      const hire = await fetch(`${url}/admin/hires/alice.smith@example.com`, { headers: bearer });
      assert.equal(hire.status, 404);
      const retry = await fetch(`${url}/admin/jobs/bob@example.org/retry`, {
        method: 'POST',
        headers: bearer,
      });
      assert.equal(retry.status, 404);
      await waitFor(() =>
        Promise.resolve(written.includes('/admin/jobs/:id/retry') ? true : undefined),
      );

      const rejected = written
        .split('\n')
        .filter((line) => line.includes('request rejected'))
        .map((line) => JSON.parse(line) as Record<string, unknown>);
      assert.deepEqual(
        rejected.map((line) => [line['route'], line['path']]),
        [
          ['/admin/hires/:email', undefined],
          ['/admin/jobs/:id/retry', undefined],
        ],
      );
      for (const address of ['alice.smith@example.com', 'bob@example.org']) {
        assert.ok(!written.includes(address), `${address} logged`);
      }
    });
  });

  describe('Personio: the token is checked before the body is read (issue #10)', () => {
    /** Sends headers and a first piece of a 1 MiB body, and waits for an answer while the rest is held back. */
    function answerBeforeBody(url: string, headers: Record<string, string>): Promise<number> {
      return new Promise((resolve, reject) => {
        const request = httpRequest(`${url}/webhooks/personio`, {
          method: 'POST',
          headers: {
            'content-type': 'application/json',
            'content-length': String(MIB),
            ...headers,
          },
        });
        request.on('response', (response) => {
          response.resume();
          resolve(response.statusCode ?? 0);
          request.destroy();
        });
        request.on('error', (err) => {
          reject(err);
        });
        request.write('{"event_name":"person.created",');
        // The rest never comes: only an answer given before the body is complete arrives. A check
        // made after reading would wait for the body for ever: give up after 10 s (a generous
        // bound on a shared machine for an answer that takes milliseconds), answering 0.
        const timer = setTimeout(() => {
          request.destroy();
          resolve(0);
        }, 10_000);
        request.on('close', () => {
          clearTimeout(timer);
        });
      });
    }

    it('when the Authorization header is missing or wrong, then 401 comes before the body has arrived', async () => {
      const url = await serve();
      seen.length = 0;
      assert.equal(await answerBeforeBody(url, {}), 401);
      assert.equal(
        await answerBeforeBody(url, { authorization: 'wrong-token-of-any-length' }),
        401,
      );
      assert.deepEqual(seen, []);
    });

    it('when the token is right, the body is read and checked as before', async () => {
      const url = await serve();
      const response = await post(`${url}/webhooks/personio`, PERSONIO_AUTH, '{"event_name":"x"}');
      assert.equal(response.status, 200);
      assert.deepEqual(await response.json(), { status: 'ignored', type: 'x' });
    });
  });

  describe('wrong admin credentials are limited per address and logged (issue #10)', () => {
    it('when one address sends 10 wrong tokens, then it gets 429 with Retry-After, even with the right one; each failure is logged without the credentials', async () => {
      const url = await serve();
      logged.length = 0;
      const wrong = [
        'Bearer wrong-admin-token-1234',
        'Bearer another-wrong-token-99',
        'wrong-token-without-scheme',
      ];
      for (let i = 0; i < 10; i += 1) {
        const authorization = wrong[i % wrong.length] ?? '';
        const response = await fetch(`${url}/admin/jobs?state=failed`, {
          headers: { authorization },
        });
        assert.equal(response.status, 401, `attempt ${i + 1}`);
      }
      for (const authorization of [`Bearer ${TOKEN}`, 'Bearer wrong-admin-token-1234']) {
        const response = await fetch(`${url}/admin/jobs?state=failed`, {
          headers: { authorization },
        });
        assert.equal(response.status, 429, authorization.slice(0, 12));
        assert.equal(await errorCode(response), 'ERR_RATE_LIMITED');
        const retryAfter = Number(response.headers.get('retry-after'));
        assert.ok(retryAfter > 0 && retryAfter <= 15 * 60, `Retry-After ${retryAfter}`);
      }
      const dashboard = await fetch(`${url}/admin/queues`, {
        headers: { authorization: `Basic ${Buffer.from(`admin:${TOKEN}`).toString('base64')}` },
      });
      assert.equal(dashboard.status, 429, 'the dashboard shares the count');

      const failures = logged.filter((line) => line.message === 'admin login failed');
      assert.equal(failures.length, 10);
      assert.deepEqual(
        failures.map((line) => line.meta['scheme']),
        Array.from({ length: 10 }, (_, i) => (i % 3 === 2 ? 'other' : 'bearer')),
      );
      assert.equal(failures.at(-1)?.meta['failures'], 10);
      assert.equal(failures[0]?.meta['route'], '/admin/jobs/*');
      const text = JSON.stringify(logged);
      for (const secret of [...wrong.map((w) => w.replace(/^Bearer /, '')), TOKEN]) {
        assert.ok(!text.includes(secret), 'no credential in the logs');
      }
    });

    it("when requests carry no credentials (a browser's first visit) or the right token, then they never count", async () => {
      const url = await serve();
      logged.length = 0;
      for (let i = 0; i < 15; i += 1) {
        assert.equal((await fetch(`${url}/admin/queues`)).status, 401);
        const ok = await fetch(`${url}/admin/jobs?state=failed`, {
          headers: { authorization: `Bearer ${TOKEN}` },
        });
        assert.equal(ok.status, 200);
      }
      assert.equal(logged.filter((line) => line.message === 'admin login failed').length, 0);
    });
  });
});
