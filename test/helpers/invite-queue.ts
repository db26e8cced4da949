/**
 * The invitations queue on the real Redis under a prefix of its own, for the tests that drive the
 * invite buffer and the invite flush directly (without a whole stack): removed when the test ends.
 */
import type { TestContext } from 'node:test';
import { Queue } from 'bullmq';
import type { InviteFlushJobData } from '../../src/queue/contract.js';
import { createKeys, QUEUES } from '../../src/queue/keys.js';
import { createRedis } from '../../src/queue/redis.js';
import { deletePrefix, REDIS_URL, uniquePrefix } from './redis.js';

export function inviteQueue(t: TestContext, label: string) {
  const prefix = uniquePrefix(label);
  const redis = createRedis(REDIS_URL, 'worker');
  const queue = new Queue<InviteFlushJobData>(QUEUES.invites, { connection: redis, prefix });
  t.after(async () => {
    await queue.close();
    await deletePrefix(prefix);
    redis.disconnect();
  });
  return { redis, queue, keys: createKeys(prefix) };
}
