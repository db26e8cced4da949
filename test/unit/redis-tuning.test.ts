import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Redis } from 'ioredis';
import { createRedis } from '../../src/queue/redis.js';

// Nothing listens on port 1: these connections are only built and inspected, never used.
const NOWHERE = 'redis://127.0.0.1:1';

describe('Redis connection tuning (docs/performance.md#intake-levers)', () => {
  it('auto-pipelines a connection only when asked, on one server and on a Cluster', () => {
    const plain = createRedis(NOWHERE, 'producer');
    const piped = createRedis(NOWHERE, 'producer', { autoPipelining: true });
    const cluster = createRedis(
      { url: NOWHERE, clusterNodes: [{ host: '127.0.0.1', port: 1 }] },
      'producer',
      { autoPipelining: true },
    );
    try {
      assert.equal(plain.options.enableAutoPipelining, false);
      assert.equal(piped.options.enableAutoPipelining, true);
      assert.equal(cluster.options.enableAutoPipelining, true);
      // The role's own settings stay: the producer still fails fast (rule 11).
      assert.ok(piped instanceof Redis);
      assert.equal(piped.options.maxRetriesPerRequest, 1);
      assert.equal(piped.options.enableOfflineQueue, false);
    } finally {
      for (const connection of [plain, piped, cluster]) connection.disconnect();
    }
  });
});
