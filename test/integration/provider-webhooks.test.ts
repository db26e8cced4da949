import assert from 'node:assert/strict';
import { timingSafeEqual } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { isValidEmail } from '../../src/domain/email.js';
import { PayloadError, SignatureError } from '../../src/errors.js';
import { HireIncompleteError } from '../../src/errors.js';
import { hrRequest } from '../../src/providers/hr-http.js';
import type { Provider } from '../../src/providers/types.js';
import { startHrApi } from '../helpers/hr-api.js';
import { waitFor } from '../helpers/redis.js';
import { inviteCounts, startStack, type Stack } from '../helpers/stack.js';

/** The test provider's webhook token (16+ characters, as every provider secret must be). */
const ACME_TOKEN = 'acme-webhook-token-16+';

/**
 * A made-up HR system exercising the provider framework: token auth, full and id-only deliveries,
 * a ping, a delay, and a fetch from its API. Each real adapter has its own tests.
 */
const acme: Provider = {
  name: 'acme',
  title: 'Acme HR',
  enabledBy: 'ACME_TOKEN',
  settings: [
    { env: 'ACME_TOKEN', description: 'webhook token', kind: 'secret' },
    { env: 'ACME_API_URL', description: 'API base URL', kind: 'url', requiredForWorker: true },
  ],
  createWebhook: (settings) => ({
    verify(request) {
      const expected = Buffer.from(settings['ACME_TOKEN'] ?? '');
      const offered = Buffer.from(request.header('x-acme-token') ?? '');
      if (offered.length !== expected.length || !timingSafeEqual(offered, expected)) {
        throw new SignatureError('bad Acme token');
      }
    },
    parse(request) {
      const body = JSON.parse(request.raw.toString('utf8')) as Record<string, string>;
      if (body['event'] === 'ping') return { kind: 'ping' };
      if (body['event'] !== 'hired') return { kind: 'ignored', type: body['event'] ?? '' };
      const employeeId = body['employeeId'];
      if (employeeId === undefined) throw new PayloadError('no employeeId');
      const email = body['email'];
      return {
        kind: 'hires',
        type: 'hired',
        deliveryId: `hired:${employeeId}`,
        ...(body['delay'] ? { delayMs: Number(body['delay']) } : {}),
        items: [
          email === undefined
            ? { kind: 'ref', ref: { source: 'acme', employeeId } }
            : {
                kind: 'full',
                hire: {
                  source: 'acme',
                  hireId: employeeId,
                  email,
                  firstName: 'Ann',
                  lastName: 'Acme',
                },
              },
        ],
      };
    },
  }),
  createFetcher: (settings, http) => {
    const api = http(settings['ACME_API_URL'] ?? '', { authorization: 'Bearer acme-api-key' });
    return {
      async fetch(ref) {
        const person = (await hrRequest(api, {
          method: 'GET',
          path: `/people/${ref.employeeId}`,
          credentialsHint: 'check ACME_API_KEY',
        })) as Record<string, string>;
        const email = person['workEmail'];
        if (email === undefined || !isValidEmail(email)) {
          throw new HireIncompleteError(`Acme employee ${ref.employeeId} has no usable work email`);
        }
        return {
          source: 'acme',
          hireId: ref.employeeId,
          email,
          firstName: person['first'] ?? '',
          lastName: person['last'] ?? '',
        };
      },
    };
  },
};

const off: Provider = {
  ...acme,
  name: 'off',
  enabledBy: 'OFF_TOKEN',
  settings: [{ env: 'OFF_TOKEN', description: 'x', kind: 'secret' }],
};

describe('POST /webhooks/<provider>: the provider framework, with a made-up HR system', () => {
  let stack: Stack;
  let hr: Awaited<ReturnType<typeof startHrApi>>;
  const send = (body: object, token = ACME_TOKEN) =>
    fetch(`${stack.apiUrl}/webhooks/acme`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-acme-token': token },
      body: JSON.stringify(body),
    });

  before(async () => {
    hr = await startHrApi((call) => {
      const id = call.path.split('/').pop() ?? '';
      if (id === 'gone') return { status: 404, body: { error: 'not found' } };
      if (id === 'noemail') return { status: 200, body: { first: 'No', last: 'Mail' } };
      return {
        status: 200,
        body: { first: 'Fern', last: 'Fetched', workEmail: `fern.${id}@example.com` },
      };
    });
    stack = await startStack({ ACME_TOKEN, ACME_API_URL: hr.url }, { providers: [acme, off] });
  });
  after(async () => {
    await stack.close();
    await hr.close();
  });

  it('answers 503 with Retry-After for a provider whose setting is unset (our trouble), 404 for an unknown one', async () => {
    const post = (name: string) =>
      fetch(`${stack.apiUrl}/webhooks/${name}`, { method: 'POST', body: '{}' });
    const off = await post('off');
    assert.equal(off.status, 503);
    assert.equal(off.headers.get('retry-after'), '5');
    assert.equal(
      ((await off.json()) as { error: { code: string } }).error.code,
      'ERR_NOT_CONFIGURED',
    );
    assert.equal((await post('nobody')).status, 404);
  });

  it('answers 401 for a bad token, 400 for a bad payload, and 200 to a ping, storing nothing', async () => {
    assert.equal((await send({ event: 'hired', employeeId: '1' }, 'wrong-token')).status, 401);
    assert.equal((await send({ event: 'hired' })).status, 400);
    const ping = await send({ event: 'ping' });
    assert.equal(ping.status, 200);
    assert.deepEqual(await ping.json(), { status: 'ok' });
    assert.equal((await send({ event: 'promoted', employeeId: '1' })).status, 200);
    const counts = await stack.hires.getJobCounts();
    assert.equal(
      Object.values(counts).reduce((a, b) => a + b, 0),
      0,
    );
  });

  it('provisions a complete hire, and a redelivery is a duplicate', async () => {
    const first = await send({ event: 'hired', employeeId: 'A1', email: 'ann.a1@example.com' });
    assert.deepEqual(await first.json(), { status: 'accepted', hires: 1 });
    const again = await send({ event: 'hired', employeeId: 'A1', email: 'ann.a1@example.com' });
    assert.deepEqual(await again.json(), { status: 'duplicate', hires: 1 });
    await stack.settled(['ann.a1@example.com']);
    assert.equal(inviteCounts(stack.sim).get('ann.a1@example.com'), 1);
  });

  it('fetches a person the webhook only names, retrying a passing HR API failure', async () => {
    hr.script.push({ status: 503 }, { status: 'reset' });
    await send({ event: 'hired', employeeId: 'F1' });
    await stack.settled(['fern.F1@example.com'], ['invited']);
    const record = await stack.store.get(stack.store.keyOf('fern.F1@example.com'));
    assert.equal(record?.source, 'acme');
    assert.equal(record.hireId, 'F1');
    const fetches = hr.calls.filter((c) => c.path === '/people/F1');
    assert.equal(fetches.length, 3);
    assert.equal(fetches[0]?.headers.authorization, 'Bearer acme-api-key');
    const user = stack.sim.state().users.find((u) => u.email === 'fern.F1@example.com');
    assert.equal(user?.firstName, 'Fern');
  });

  it('fails at once, with the reason, when the HR API does not know the person or has no email', async () => {
    await send({ event: 'hired', employeeId: 'gone' });
    await send({ event: 'hired', employeeId: 'noemail' });
    const failed = await waitFor(
      async () => {
        const jobs = await stack.hires.getFailed();
        return jobs.length === 2 ? jobs : undefined;
      },
      10_000,
      'two failed jobs',
    );
    const reasons = failed.map((job) => job.failedReason).sort();
    assert.match(reasons[0] ?? '', /Acme employee noemail has no usable work email/);
    assert.match(
      reasons[1] ?? '',
      /GET \/people\/gone answered 404: the HR system does not know this employee/,
    );
    assert.ok(failed.every((job) => job.attemptsMade === 1));
  });

  it('waits the delay the adapter asks for before working on the hire', async () => {
    await send({ event: 'hired', employeeId: 'D1', delay: '600' });
    const delayed = await stack.hires.getDelayed();
    assert.equal(delayed.length, 1);
    assert.equal((delayed[0]?.data as { ref?: { employeeId: string } }).ref?.employeeId, 'D1');
    await stack.settled(['fern.D1@example.com'], ['invited']);
  });
});
