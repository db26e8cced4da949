import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, describe, it } from 'node:test';
import { freePort } from '../../demo/redis-server.js';
import {
  CLIENT_ID,
  CLIENT_SECRET,
  startPersonioApi,
  WEBHOOK_TOKEN,
} from '../helpers/personio-api.js';
import { waitFor } from '../helpers/redis.js';
import { signStandardWebhook } from '../../src/domain/signature.js';
import {
  answerStatus,
  hiresBody,
  newWebhookSecret,
  postDelivery,
  sleep,
} from './helpers/deliveries.js';
import { startFaultStack } from './helpers/fault-stack.js';
import {
  removeWorkDir,
  spawnService,
  startApiProcess,
  startWorkerProcess,
  type ServiceProcess,
} from './helpers/processes.js';
import { startPrivateRedis } from './helpers/redis-server.js';

after(removeWorkDir);

const token = (prefix: string) => `${prefix}${randomBytes(18).toString('base64url')}`;

/** The forms a secret could take in a log line: as set, and as it travels (base64, hex, URL). */
function forms(secret: string): string[] {
  const all = [secret, encodeURIComponent(secret)];
  if (secret.startsWith('whsec_')) {
    const key = Buffer.from(secret.slice(6), 'base64');
    all.push(secret.slice(6), key.toString('hex'), key.toString('base64url'));
  }
  return [...new Set(all)].filter((form) => form.length >= 8);
}

describe('logs of a full run hold no secret (docs/operations.md#logs, issue #5 item 6)', () => {
  it('when everything happens at debug level (deliveries good and forged, admin calls, HR fetches, DocSpace faults, a Redis restart, bad settings), no line holds any secret set', async (t) => {
    const redisPassword = token('redis-pw-');
    const redis = await startPrivateRedis({ password: redisPassword });
    t.after(() => redis.destroy());
    const apiKey = token('sk-');
    const stack = await startFaultStack({ label: 'secrets', redisUrl: redis.url, apiKey });
    t.after(() => stack.close());
    const personio = await startPersonioApi(2);
    t.after(() => personio.close());

    const rotated = newWebhookSecret();
    const secrets: Record<string, string> = {
      WEBHOOK_SECRET_OLD: stack.secret,
      WEBHOOK_SECRET_NEW: rotated,
      DOCSPACE_API_KEY: apiKey,
      ADMIN_TOKEN: token('admin-'),
      REDIS_PASSWORD: redisPassword,
      PERSONIO_WEBHOOK_TOKEN: WEBHOOK_TOKEN,
      PERSONIO_CLIENT_SECRET: CLIENT_SECRET,
      BAMBOOHR_WEBHOOK_SECRET: token('bhr-'),
      BAMBOOHR_API_KEY: token('bhrkey-'),
      HIBOB_WEBHOOK_SECRET: token('bob-'),
      HIBOB_SERVICE_USER_TOKEN: token('bobtok-'),
      GREENHOUSE_WEBHOOK_SECRET: token('gh-'),
    };
    const env = stack.env({
      LOG_LEVEL: 'debug',
      WEBHOOK_SECRET: `${stack.secret} ${rotated}`,
      ADMIN_TOKEN: secrets['ADMIN_TOKEN'] ?? '',
      DOCSPACE_TIMEOUT_MS: '1000',
      PERSONIO_WEBHOOK_TOKEN: WEBHOOK_TOKEN,
      PERSONIO_API_URL: personio.url,
      PERSONIO_CLIENT_ID: CLIENT_ID,
      PERSONIO_CLIENT_SECRET: CLIENT_SECRET,
      BAMBOOHR_WEBHOOK_SECRET: secrets['BAMBOOHR_WEBHOOK_SECRET'] ?? '',
      BAMBOOHR_API_KEY: secrets['BAMBOOHR_API_KEY'] ?? '',
      BAMBOOHR_COMPANY_DOMAIN: 'acme',
      HIBOB_WEBHOOK_SECRET: secrets['HIBOB_WEBHOOK_SECRET'] ?? '',
      HIBOB_SERVICE_USER_ID: 'svc-1',
      HIBOB_SERVICE_USER_TOKEN: secrets['HIBOB_SERVICE_USER_TOKEN'] ?? '',
      GREENHOUSE_WEBHOOK_SECRET: secrets['GREENHOUSE_WEBHOOK_SECRET'] ?? '',
    });
    const metricsPort = await freePort();
    const { proc: api, url } = await startApiProcess(env, 'api');
    const worker = await startWorkerProcess(
      { ...env, WORKER_METRICS_PORT: String(metricsPort) },
      'worker',
    );
    const processes: ServiceProcess[] = [api, worker];
    const sentSignatures: string[] = [];
    const admin = { authorization: `Bearer ${secrets['ADMIN_TOKEN'] ?? ''}` };

    // DocSpace misbehaves for the first requests: 5xx, reset, 429, no answer.
    stack.addExistingUser('old.timer@example.com', 'Old');
    stack.sim.setFaults({
      script: [
        { match: { path: '/api/2.0/people' }, kind: '5xx' },
        { match: { path: '/api/2.0/people' }, kind: 'reset' },
        { match: { path: '/api/2.0/people' }, kind: '429', retryAfterSec: 1 },
        { match: { path: '/api/2.0/people' }, kind: 'timeout' },
      ],
    });
    const people = ['Sam', 'Tess', 'Old'].map((first, i) => ({
      employeeId: `L-${i}`,
      firstName: first,
      lastName: 'Logs',
      email: i === 2 ? 'Old.Timer@Example.com' : `${first.toLowerCase()}.logs@example.com`,
    }));
    const deliver = async (secret: string, id: string, data: unknown) => {
      const body = hiresBody(data);
      sentSignatures.push(signStandardWebhook(secret, id, body)['webhook-signature']);
      return await postDelivery(url, secret, id, body);
    };
    assert.equal(answerStatus(await deliver(stack.secret, 'msg_log_1', people)), 'accepted');
    assert.equal(answerStatus(await deliver(rotated, 'msg_log_1', people)), 'duplicate');
    assert.equal(
      (await deliver(newWebhookSecret(), 'msg_log_forged', people[0])).status,
      401,
      'a forged signature is refused',
    );
    const stale = hiresBody(people[0]);
    const old = signStandardWebhook(
      stack.secret,
      'msg_log_stale',
      stale,
      new Date(Date.now() - 3_600_000),
    );
    sentSignatures.push(old['webhook-signature']);
    await fetch(`${url}/webhooks/hires`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...old },
      body: stale,
    });

    // HR systems: Personio (a token, OAuth client credentials, a fetch that later fails), and
    // forged deliveries to the others.
    const personioPost = (authorization: string, id: string) =>
      fetch(`${url}/webhooks/personio`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization },
        body: JSON.stringify({
          company_id: '1',
          event_name: 'person.created',
          occurred_at: new Date().toISOString(),
          payload: { person: { id } },
        }),
      });
    assert.equal((await personioPost(WEBHOOK_TOKEN, 'PL1')).status, 200);
    assert.equal((await personioPost(`Bearer ${token('nope-')}`, 'PL2')).status, 401);
    for (const [path, headers] of [
      ['bamboohr', { 'x-bamboohr-signature': 'ab'.repeat(32), 'x-bamboohr-timestamp': '1' }],
      ['hibob', { 'bob-signature': 'AAAA' }],
      ['greenhouse', { signature: `sha256 ${'cd'.repeat(32)}` }],
    ] as const) {
      const answer = await fetch(`${url}/webhooks/${path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...headers },
        body: '{"type":"employee.created"}',
      });
      assert.equal(answer.status, 401, path);
    }
    await waitFor(
      async () => {
        const records = await stack.records([
          'sam.logs@example.com',
          'tess.logs@example.com',
          'hire.PL1@example.com',
        ]);
        return [...records].every(([, s]) => s === 'invited') ? true : undefined;
      },
      60_000,
      'the hires to be provisioned through the faults',
    );
    personio.state.personsAlways401 = true;
    assert.equal((await personioPost(WEBHOOK_TOKEN, 'PL3')).status, 200);
    await sleep(1_500);
    personio.state.personsAlways401 = false;

    // Admin API and dashboard, with the right token and a wrong one.
    assert.equal((await fetch(`${url}/admin/jobs?state=failed`, { headers: admin })).status, 200);
    await fetch(`${url}/admin/jobs/retry?state=failed`, { method: 'POST', headers: admin });
    assert.equal(
      (
        await fetch(`${url}/admin/jobs?state=failed`, {
          headers: { authorization: 'Bearer wrong-token-123456' },
        })
      ).status,
      401,
    );
    const basic = Buffer.from(`admin:${secrets['ADMIN_TOKEN'] ?? ''}`).toString('base64');
    await fetch(`${url}/admin/queues`, { headers: { authorization: `Basic ${basic}` } });
    await fetch(`${url}/metrics`);
    await fetch(`http://127.0.0.1:${metricsPort}/metrics`);

    // Redis restarts; both processes complain, reconnect, and work on.
    await redis.stop('SIGTERM');
    await deliver(stack.secret, 'msg_log_down', people[0]);
    await fetch(`${url}/readyz`);
    await sleep(1_500);
    await redis.start();
    await waitFor(
      async () => ((await fetch(`${url}/readyz`)).status === 200 ? true : undefined),
      30_000,
      '/readyz after the restart',
    );

    // Processes refused at start by bad settings, secrets among them.
    for (const role of ['api', 'worker'] as const) {
      const refused = spawnService(
        role,
        {
          ...env,
          REDIS_URL: `redis://:${redisPassword}@127.0.0.1:notaport`,
          DOCSPACE_URL: `ftp://user:${apiKey}@portal.example.com`,
          WEBHOOK_SECRET: `${stack.secret} whsec_${redisPassword}%%`,
          ADMIN_TOKEN: 'short',
          PORT: 'eighty',
        },
        `${role}-refused`,
      );
      processes.push(refused);
      assert.equal((await refused.exited).code, 1, `${role} with bad settings exits 1`);
    }

    await worker.stop();
    await api.stop();

    const named = [
      ...Object.entries(secrets).flatMap(([name, value]) =>
        forms(value).map((form) => [name, form] as const),
      ),
      ['Basic credentials', basic] as const,
      ...[...personio.tokens].map((value) => ['a Personio access token', value] as const),
      ...sentSignatures.flatMap((header) =>
        header.split(' ').map((sig) => ['a webhook signature', sig.replace(/^v1,/, '')] as const),
      ),
    ];
    const lines = processes.flatMap((proc) =>
      proc.lines.map((line) => ({ proc: proc.name, line })),
    );
    const leaks = named.flatMap(([name, form]) =>
      lines
        .filter(({ line }) => line.includes(form))
        .map(({ proc, line }) => `${name} in a ${proc} line: ${line.slice(0, 300)}`),
    );
    assert.deepEqual(leaks, [], 'no secret, key, token or signature in any log line');
    // The grep looked at a real run: the events it covers were logged.
    const text = lines.map((l) => l.line).join('\n');
    for (const event of [
      'webhook accepted',
      'request rejected',
      'hire created',
      'invite batch sent',
      'redis (api) unavailable',
      'DOCSPACE_URL',
    ]) {
      assert.ok(text.includes(event), `the logs show ${event}`);
    }
    t.diagnostic(
      `log secrets: ${lines.length} log lines from ${processes.length} processes searched for ${named.length} forms of ${Object.keys(secrets).length} secrets, ${personio.tokens.size} access tokens and ${sentSignatures.length} signatures: none found`,
    );
  });
});
