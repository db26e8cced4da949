import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createHealth } from '../../src/http/health.js';

describe('createHealth: the checks the API and a worker-only process both answer', () => {
  it('when the process runs, /healthz is 200 whatever Redis does', () => {
    const health = createHealth({ ping: () => Promise.reject(new Error('down')) });
    assert.deepEqual(health.live(), { status: 200, body: { status: 'ok' } });
  });

  it('when Redis answers the PING, /readyz is 200', async () => {
    const health = createHealth({ ping: () => Promise.resolve('PONG') });
    assert.deepEqual(await health.ready(), {
      status: 200,
      body: { status: 'ready', redis: 'ok' },
    });
  });

  it('when Redis refuses or does not answer within the timeout, /readyz is 503', async () => {
    const refused = createHealth({ ping: () => Promise.reject(new Error('ECONNREFUSED')) });
    const silent = createHealth({ ping: () => new Promise(() => undefined), timeoutMs: 20 });
    for (const health of [refused, silent]) {
      assert.deepEqual(await health.ready(), {
        status: 503,
        body: { status: 'unavailable', redis: 'unreachable' },
      });
    }
  });

  it('when the process is stopping, /readyz is 503 "stopping" without asking Redis', async () => {
    let pinged = false;
    const health = createHealth({
      ping: () => {
        pinged = true;
        return Promise.resolve('PONG');
      },
      stopping: () => true,
    });
    assert.deepEqual(await health.ready(), { status: 503, body: { status: 'stopping' } });
    assert.equal(pinged, false);
  });
});
