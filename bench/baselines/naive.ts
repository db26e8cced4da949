import { Worker } from 'bullmq';
import { cleanName } from '../../src/domain/names.js';
import type { ProvisionJobData } from '../../src/queue/contract.js';
import { QUEUES } from '../../src/queue/keys.js';
import { baselineDeps } from './common.js';

/**
 * The naive worker: per hire, look the email up, create the user when there is none, and invite
 * that one user at once. Three calls per new hire, one per existing one; `DOCSPACE_CONCURRENCY`
 * jobs at a time through the same request gate as the service.
 */
export async function startNaiveBaseline(): Promise<{ close: () => Promise<void> }> {
  const { config, connection, docspace, userType, settings } = baselineDeps();
  const worker = new Worker<ProvisionJobData>(
    QUEUES.hires,
    async (job) => {
      const hire = job.data.hire;
      if (hire === undefined) return;
      if ((await docspace.findUserByEmail(hire.email)) !== undefined) return;
      const result = await docspace.createUser({
        email: hire.email,
        firstName: cleanName(hire.firstName),
        lastName: cleanName(hire.lastName),
        type: userType,
      });
      if (result.kind === 'created') await docspace.inviteByEmail([hire.email], userType);
    },
    { connection, prefix: config.queuePrefix, concurrency: config.docspace.concurrency, settings },
  );
  await worker.waitUntilReady();
  return {
    close: async () => {
      await worker.close();
      await connection.quit();
    },
  };
}
