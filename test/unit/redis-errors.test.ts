import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Request, Response } from 'express';
import { createErrorHandler } from '../../src/http/errors.js';
import { createLogger } from '../../src/logger.js';

/** What the error handler wrote: status, headers and JSON body. */
function handle(err: unknown): { status: number; headers: Record<string, string>; body: unknown } {
  const written = { status: 0, headers: {} as Record<string, string>, body: undefined as unknown };
  const res = {
    headersSent: false,
    hasHeader(name: string) {
      return name.toLowerCase() in written.headers;
    },
    setHeader(name: string, value: string) {
      written.headers[name.toLowerCase()] = value;
      return res;
    },
    status(code: number) {
      written.status = code;
      return res;
    },
    json(body: unknown) {
      written.body = body;
      return res;
    },
  };
  const req = { method: 'GET', path: '/admin/jobs' };
  const handler = createErrorHandler(
    createLogger({ level: 'error', service: 'test', silent: true }),
  );
  handler(err, req as unknown as Request, res as unknown as Response, () => undefined);
  return written;
}

describe('errors from a Redis failover or a Cluster that is not ready', () => {
  // Messages as ioredis and Redis word them (ioredis built/connectors/SentinelConnector,
  // built/cluster/index.js; Redis' READONLY and CLUSTERDOWN replies).
  const messages = [
    'All sentinels are unreachable. Retrying from scratch after 10ms.',
    "READONLY You can't write against a read only replica.",
    'CLUSTERDOWN The cluster is down',
    "Cluster isn't ready and enableOfflineQueue options is false",
    'None of startup nodes is available',
    'Failed to refresh slots cache.',
  ];
  for (const message of messages) {
    it(`when a request meets "${message.slice(0, 40)}…", then 503 with Retry-After, not 500`, () => {
      const answer = handle(new Error(message));

      assert.equal(answer.status, 503);
      assert.equal(answer.headers['retry-after'], '5');
      assert.equal(
        (answer.body as { error: { code: string } }).error.code,
        'ERR_QUEUE_UNAVAILABLE',
      );
    });
  }

  it('when an error has nothing to do with Redis, then it stays a 500', () => {
    assert.equal(handle(new Error('something else')).status, 500);
  });
});
