import { Worker } from 'bullmq';
import { cleanName } from '../../src/domain/names.js';
import type { ProvisionJobData } from '../../src/queue/contract.js';
import { QUEUES } from '../../src/queue/keys.js';
import { baselineDeps } from './common.js';

/**
 * The seed algorithm: hires one by one (one job at a time, one create call each), and one invite
 * call for everyone created once the queue runs dry. No records, no lookups, no retries.
 */
export async function startSeedBaseline(): Promise<{ close: () => Promise<void> }> {
  const { config, connection, docspace, userType, settings } = baselineDeps(1);
  const created: string[] = [];
  const worker = new Worker<ProvisionJobData>(
    QUEUES.hires,
    async (job) => {
      const hire = job.data.hire;
      if (hire === undefined) return;
      const result = await docspace.createUser({
        email: hire.email,
        firstName: cleanName(hire.firstName),
        lastName: cleanName(hire.lastName),
        type: userType,
      });
      if (result.kind === 'created') created.push(hire.email);
    },
    { connection, prefix: config.queuePrefix, concurrency: 1, settings },
  );
  worker.on('drained', () => {
    const batch = created.splice(0);
    if (batch.length > 0) void docspace.inviteByEmail(batch, userType);
  });
  await worker.waitUntilReady();
  return {
    close: async () => {
      await worker.close();
      await connection.quit();
    },
  };
}
