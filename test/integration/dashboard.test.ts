import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { Queue, Worker } from 'bullmq';
import express from 'express';
import { maskEmail, maskName, maskPii } from '../../src/domain/pii.js';
import { createDashboard } from '../../src/http/dashboard.js';
import { waitFor } from '../helpers/redis.js';
import { startStack, type Stack } from '../helpers/stack.js';

const TOKEN = 'dashboard-test-token';
const BASE = '/admin/queues';
const hire = {
  employeeId: 'D-1',
  firstName: 'Dorothea',
  lastName: 'Quenby',
  email: 'dorothea.quenby@example.com',
};
/** Nothing of the person may appear anywhere in an answer. */
const PII = /dorothea|quenby/i;

const basic = (user: string, password: string) =>
  `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
const ADMIN = { authorization: basic('admin', TOKEN) };

/** Listens on port 0 with only the dashboard mounted; returns its base URL and a closer. */
async function serve(router: express.Router): Promise<{ url: string; close: () => Promise<void> }> {
  const app = express();
  app.use(router);
  const server = app.listen(0, '127.0.0.1');
  await new Promise<void>((resolve) => server.once('listening', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => {
          resolve();
        });
      }),
  };
}

describe('dashboard (bull-board at /admin/queues)', () => {
  let stack: Stack;
  let url: string;
  let close: () => Promise<void>;
  let failedId: string;

  before(async () => {
    // A wrong DocSpace key fails the provision job at once with a 401 reason.
    stack = await startStack({ DOCSPACE_API_KEY: `sk-${'f'.repeat(64)}` });
    await stack.post(hire);
    const failed = await waitFor(
      async () => (await stack.hires.getFailed())[0],
      10_000,
      'the provision job to fail',
    );
    failedId = failed.id ?? '';
    ({ url, close } = await serve(
      createDashboard({ token: TOKEN, queues: [stack.hires, stack.invites], logger: stack.logger }),
    ));
  });
  after(async () => {
    await close();
    await stack.close();
  });

  it('when ADMIN_TOKEN is unset, then the page, its API and its assets answer 404', async (t) => {
    const off = await serve(
      createDashboard({
        token: undefined,
        queues: [stack.hires, stack.invites],
        logger: stack.logger,
      }),
    );
    t.after(off.close);
    for (const path of [BASE, `${BASE}/`, `${BASE}/api/queues`, `${BASE}/static/favicon.ico`]) {
      const res = await fetch(`${off.url}${path}`, { headers: ADMIN });
      assert.equal(res.status, 404, path);
      assert.equal(res.headers.get('www-authenticate'), null, path);
      assert.equal(((await res.json()) as { error: { code: string } }).error.code, 'ERR_NOT_FOUND');
    }
  });

  it('when no credentials are sent, then 401 with a Basic challenge, so browsers ask', async () => {
    for (const path of [BASE, `${BASE}/api/queues`, `${BASE}/static/favicon.ico`]) {
      const res = await fetch(`${url}${path}`);
      assert.equal(res.status, 401, path);
      assert.match(res.headers.get('www-authenticate') ?? '', /^Basic realm="/, path);
      assert.equal(
        ((await res.json()) as { error: { code: string } }).error.code,
        'ERR_UNAUTHORIZED',
      );
    }
  });

  it('when Basic admin:<token> or Bearer <token> is sent, then the page is served', async () => {
    for (const authorization of [ADMIN.authorization, `Bearer ${TOKEN}`]) {
      const res = await fetch(`${url}${BASE}`, { headers: { authorization } });
      assert.equal(res.status, 200, authorization.split(' ')[0]);
      assert.match(res.headers.get('content-type') ?? '', /^text\/html/);
      assert.match(await res.text(), /<div id="root">/);
    }
  });

  it('when the Basic user is not admin or the password is wrong, then 401', async () => {
    for (const authorization of [
      basic('root', TOKEN),
      basic('admin', `${TOKEN}x`),
      basic('', TOKEN),
      `Bearer ${TOKEN}x`,
    ]) {
      const res = await fetch(`${url}${BASE}`, { headers: { authorization } });
      assert.equal(res.status, 401, authorization);
    }
  });

  it('when the page is served, then every script and stylesheet it names loads under the base path', async () => {
    const html = await (await fetch(`${url}${BASE}`, { headers: ADMIN })).text();
    const base = /<base href="([^"]+)"/.exec(html)?.[1];
    assert.equal(base, `${BASE}/`, '<base href> is the dashboard path');
    const assets = [...html.matchAll(/<(?:script|link)\b[^>]*?(?:src|href)="([^"]+)"/g)]
      .map((m) => new URL(m[1] ?? '', `${url}${base}`))
      .filter((u) => u.origin === url)
      .map((u) => u.pathname);
    const scripts = assets.filter((p) => p.endsWith('.js'));
    const styles = assets.filter((p) => p.endsWith('.css'));
    assert.ok(scripts.length >= 1 && styles.length >= 1, `assets found: ${assets.join(', ')}`);
    for (const path of [...scripts, ...styles]) {
      assert.ok(path.startsWith(`${BASE}/static/`), `${path} is under ${BASE}/static/`);
      const res = await fetch(`${url}${path}`, { headers: ADMIN });
      assert.equal(res.status, 200, path);
      assert.match(
        res.headers.get('content-type') ?? '',
        path.endsWith('.js') ? /javascript/ : /text\/css/,
        path,
      );
      assert.equal(res.headers.get('x-content-type-options'), 'nosniff', path);
      await res.arrayBuffer();
    }
  });

  it('when the API lists queues, then both queues of the service are there with readable names', async () => {
    const res = await fetch(`${url}${BASE}/api/queues`, { headers: ADMIN });
    assert.equal(res.status, 200);
    const body = (await res.json()) as { queues: { name: string; displayName?: string }[] };
    assert.deepEqual(body.queues.map((q) => q.name).sort(), ['hires', 'invites']);
    for (const queue of body.queues) assert.ok(queue.displayName, `${queue.name} has a name`);
  });

  it('when a failed job is shown, then its email and names are masked and its reason is kept', async () => {
    const list = await fetch(`${url}${BASE}/api/queues?activeQueue=hires&status=failed`, {
      headers: ADMIN,
    });
    const listText = await list.text();
    assert.equal(list.status, 200);
    const hires = (
      JSON.parse(listText) as {
        queues: { name: string; jobs: { id: string; data: unknown; failedReason: string }[] }[];
      }
    ).queues.find((q) => q.name === 'hires');
    const job = hires?.jobs.find((j) => j.id === failedId);
    assert.ok(job, `failed job ${failedId} listed`);
    assert.deepEqual((job.data as { hire: unknown }).hire, {
      source: 'hires',
      hireId: 'D-1',
      email: 'd***@e***.com',
      firstName: 'D***',
      lastName: 'Q***',
    });
    assert.match(job.failedReason, /401.*DOCSPACE_API_KEY/);
    assert.doesNotMatch(listText, PII, 'no email or name anywhere in the list');

    const one = await fetch(`${url}${BASE}/api/queues/hires/${failedId}`, { headers: ADMIN });
    const oneText = await one.text();
    assert.equal(one.status, 200);
    assert.match(oneText, /d\*\*\*@e\*\*\*\.com/);
    assert.doesNotMatch(oneText, PII, 'no email or name anywhere in the job view');
  });

  it('when answers leave the dashboard, then they carry safe headers and are not cached', async () => {
    for (const path of [BASE, `${BASE}/api/queues`]) {
      const res = await fetch(`${url}${path}`, { headers: ADMIN });
      await res.arrayBuffer();
      const csp = res.headers.get('content-security-policy') ?? '';
      for (const directive of [
        "default-src 'none'",
        "script-src 'self'",
        "style-src 'self'",
        "connect-src 'self'",
        "frame-ancestors 'none'",
        "base-uri 'self'",
      ])
        assert.ok(csp.includes(directive), `${path}: CSP has ${directive}: ${csp}`);
      assert.ok(!csp.includes("'unsafe-inline'") && !csp.includes("'unsafe-eval'"), csp);
      assert.equal(res.headers.get('x-content-type-options'), 'nosniff');
      assert.equal(res.headers.get('x-frame-options'), 'SAMEORIGIN');
      assert.equal(res.headers.get('referrer-policy'), 'no-referrer');
      assert.equal(res.headers.get('cross-origin-opener-policy'), 'same-origin');
      assert.equal(res.headers.get('cache-control'), 'no-store', path);
      assert.equal(res.headers.get('x-powered-by'), null);
    }
  });

  it('when a change comes from another site, then it is refused and nothing changes', async () => {
    const retryAll = `${url}${BASE}/api/queues/hires/retry/failed`;
    for (const headers of [
      { ...ADMIN, 'sec-fetch-site': 'cross-site', origin: 'https://evil.example' },
      { ...ADMIN, 'sec-fetch-site': 'same-site', origin: 'https://other.example.com' },
      { ...ADMIN, origin: 'https://evil.example' },
      { ...ADMIN, origin: 'null' },
    ]) {
      for (const method of ['PUT', 'POST']) {
        const res = await fetch(retryAll, { method, headers });
        assert.equal(res.status, 403, `${method} ${JSON.stringify(headers)}`);
        assert.equal(
          ((await res.json()) as { error: { code: string } }).error.code,
          'ERR_FORBIDDEN',
        );
      }
    }
    assert.equal(await (await stack.hires.getJob(failedId))?.getState(), 'failed');

    // The dashboard's own calls (same origin) and tools without browser headers get through.
    const invitesRetry = `${url}${BASE}/api/queues/invites/retry/failed`;
    const sameOrigin = await fetch(invitesRetry, {
      method: 'PUT',
      headers: { ...ADMIN, 'sec-fetch-site': 'same-origin', origin: url },
    });
    assert.equal(sameOrigin.status, 200);
    const tool = await fetch(invitesRetry, {
      method: 'PUT',
      headers: { authorization: `Bearer ${TOKEN}` },
    });
    assert.equal(tool.status, 200);
  });

  it('when the UI would write masked data back (edit data, add or duplicate a job), then 405', async () => {
    const headers = { ...ADMIN, 'content-type': 'application/json' };
    const edit = await fetch(`${url}${BASE}/api/queues/hires/${failedId}/update-data`, {
      method: 'PATCH',
      headers,
      body: JSON.stringify({ jobData: { hire: { email: 'd***@e***.com' } } }),
    });
    assert.equal(edit.status, 405);
    const add = await fetch(`${url}${BASE}/api/queues/hires/add`, {
      method: 'POST',
      headers,
      body: JSON.stringify({ name: 'provision', data: {}, options: {} }),
    });
    assert.equal(add.status, 405);
    const job = await stack.hires.getJob(failedId);
    assert.equal((job?.data as { hire: { email: string } }).hire.email, hire.email);
    assert.equal(await stack.hires.count(), 0, 'nothing added');
  });

  it('when failure reasons, stack traces, logs and return values hold emails, then those are masked too', async (t) => {
    const probe = new Queue('probe', { connection: stack.redis, prefix: stack.prefix });
    const worker = new Worker(
      'probe',
      async (job) => {
        await job.log(`looked up ${hire.email}`);
        if (job.name === 'fail') throw new Error(`User disabled: ${hire.email}`);
        return { invited: [hire.email] };
      },
      { connection: stack.redis, prefix: stack.prefix },
    );
    t.after(async () => {
      await worker.close();
      await probe.close();
    });
    const failing = await probe.add('fail', { note: 'no PII in here' }, { attempts: 1 });
    const passing = await probe.add(`for ${hire.email}`, {});
    await waitFor(async () => ((await failing.getState()) === 'failed' ? true : undefined));
    await waitFor(async () => ((await passing.getState()) === 'completed' ? true : undefined));
    const view = await serve(
      createDashboard({ token: TOKEN, queues: [probe], logger: stack.logger }),
    );
    t.after(view.close);

    for (const path of [
      `/api/queues/probe/${failing.id ?? ''}`,
      `/api/queues/probe/${failing.id ?? ''}/logs`,
      `/api/queues/probe/${passing.id ?? ''}`,
      `/api/queues?activeQueue=probe&status=latest`,
    ]) {
      const res = await fetch(`${view.url}${BASE}${path}`, { headers: ADMIN });
      const text = await res.text();
      assert.equal(res.status, 200, path);
      assert.doesNotMatch(text, PII, `${path}: ${text.slice(0, 300)}`);
      assert.match(text, /d\*\*\*@e\*\*\*\.com/, path);
    }
  });

  it('masks emails to their first letters and top-level domain, names to their initial', () => {
    assert.equal(maskEmail('alice.smith@example.com'), 'a***@e***.com');
    assert.equal(maskEmail('x@sub.example.co.uk'), 'x***@s***.uk');
    assert.equal(maskName('  Émile '), 'É***');
    assert.equal(maskName(''), '');
    const masked = maskPii({
      email: 'bob@localhost',
      emails: ['a@b.io', 'c@d.io'],
      first_name: 'Bob',
      lastName: 'Stone',
      displayName: 'Hires',
      note: 'contact bob.stone@corp.example or <eve@x.org>',
      nested: [{ givenName: 'Eve', count: 3, ok: true, none: null }],
    });
    assert.deepEqual(masked, {
      email: 'b***@l***',
      emails: ['a***@b***.io', 'c***@d***.io'],
      first_name: 'B***',
      lastName: 'S***',
      displayName: 'Hires',
      note: 'contact b***@c***.example or <e***@x***.org>',
      nested: [{ givenName: 'E***', count: 3, ok: true, none: null }],
    });
    assert.deepEqual(maskPii(masked), masked, 'masking twice changes nothing');
  });
});
