import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import express from 'express';
import { createErrorHandler } from '../../src/http/errors.js';
import { createLogger } from '../../src/logger.js';
import type { Provider } from '../../src/providers/types.js';
import { startStack, type Stack } from '../helpers/stack.js';

/** An HR system whose adapter has a bug: parsing throws a TypeError (our trouble, not theirs). */
const broken: Provider = {
  name: 'broken',
  title: 'Broken HR',
  enabledBy: 'BROKEN_TOKEN',
  settings: [{ env: 'BROKEN_TOKEN', description: 'token', kind: 'secret' }],
  createWebhook: () => ({
    verify: () => undefined,
    parse: () => {
      throw new TypeError("Cannot read properties of undefined (reading 'id')");
    },
  }),
};

const errorCode = async (response: Response): Promise<string> =>
  ((await response.json()) as { error: { code: string } }).error.code;

/**
 * docs/design.md, rule 11: a sender gets a 4xx only when its delivery is wrong. BambooHR never retries a
 * 4xx ("4xx never retried, 5xx retried 5 times", https://documentation.bamboohr.com/reference/employee-created-webhook)
 * and Personio retries only timeouts and 5xx (https://developer.personio.de/v2.0/reference/webhooks),
 * so any 4xx for load or our own trouble loses the hire for good.
 */
describe('what senders hear under load and when we are in trouble (docs/design.md, rule 11)', () => {
  let stack: Stack;
  before(async () => {
    stack = await startStack(
      { BROKEN_TOKEN: 'broken-hr-token-0123456789' },
      { workers: false, providers: [broken] },
    );
  });
  after(async () => {
    await stack.close();
  });

  it('when an HR bulk import sends 700 signed deliveries from one address within a minute, under default settings every one is answered 200 and stored', async () => {
    const total = 700;
    const statuses = new Map<number, number>();
    let next = 0;
    const sender = async () => {
      while (next < total) {
        const n = next++;
        const response = await stack.post(
          {
            employeeId: `B-${n}`,
            firstName: 'Bulk',
            lastName: 'Import',
            email: `bulk.${n}@example.com`,
          },
          { id: `msg_bulk_${n}` },
        );
        await response.body?.cancel();
        statuses.set(response.status, (statuses.get(response.status) ?? 0) + 1);
      }
    };
    const started = Date.now();
    await Promise.all(Array.from({ length: 20 }, sender));
    const elapsed = Date.now() - started;
    assert.ok(elapsed < 60_000, `all 700 were sent within a minute (${elapsed} ms)`);
    assert.deepEqual([...statuses], [[200, total]], 'every delivery answered 200');
    const counts = await stack.hires.getJobCounts('waiting', 'delayed', 'prioritized');
    assert.equal(
      Object.values(counts).reduce((a, b) => a + b, 0),
      total,
      'every hire was stored as a job',
    );
  });

  it('when our own adapter throws (a bug of ours), the sender gets 503 with Retry-After, not 500', async () => {
    const response = await fetch(`${stack.apiUrl}/webhooks/broken`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{}',
    });
    assert.equal(response.status, 503);
    assert.equal(response.headers.get('retry-after'), '5');
    assert.equal(await errorCode(response), 'ERR_INTERNAL');
  });

  it('when WEBHOOK_SECRET is not set on this server, /webhooks/hires answers 503 with Retry-After (our trouble), not 404', async () => {
    const unset = await startStack({ WEBHOOK_SECRET: '' }, { workers: false });
    try {
      const response = await unset.post({ firstName: 'N', email: 'n@example.com' });
      assert.equal(response.status, 503);
      assert.equal(response.headers.get('retry-after'), '5');
      assert.equal(await errorCode(response), 'ERR_NOT_CONFIGURED');
    } finally {
      await unset.close();
    }
  });
});

describe('body read errors are trouble on the way, not a wrong delivery', () => {
  it('when the body did not arrive whole (aborted, shorter than its Content-Length), the answer is 503 with Retry-After', async (t) => {
    const app = express();
    app.post('/webhooks/hires', (req, _res, next) => {
      const kind = req.get('x-kind') ?? '';
      next(Object.assign(new Error('body-parser'), { type: kind, status: 400 }));
    });
    app.use(createErrorHandler(createLogger({ level: 'error', service: 'test', silent: true })));
    const server = app.listen(0, '127.0.0.1');
    await new Promise((resolve) => server.once('listening', resolve));
    t.after(() => {
      server.closeAllConnections();
      server.close();
    });
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/webhooks/hires`;
    for (const kind of ['request.aborted', 'request.size.invalid', 'stream.not.readable']) {
      const response = await fetch(url, { method: 'POST', headers: { 'x-kind': kind } });
      assert.equal(response.status, 503, kind);
      assert.equal(response.headers.get('retry-after'), '5', kind);
      assert.equal(await errorCode(response), 'ERR_UNAVAILABLE', kind);
    }
    // A body that is wrong in itself stays a 4xx.
    const large = await fetch(url, { method: 'POST', headers: { 'x-kind': 'entity.too.large' } });
    assert.equal(large.status, 413);
  });
});
