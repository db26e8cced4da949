import type { Queue } from 'bullmq';
import { emailKey } from './keys.js';
import { OFFBOARD_JOB, type OffboardJobData } from './leaver-intake.js';
import type { OffboardingRecord, OffboardingStore } from './offboarding-store.js';

/**
 * Releases held disables (docs/design.md, rule 12): all of them, or those of `emails`. Each one
 * is marked `released` (it never waits for the hourly threshold again) and gets a job that carries
 * out its schedule (the record names the job it belongs to, so a cancellation still wins). Shared
 * by `POST /admin/offboarding/release`, the people page's button and the command line.
 */
export async function releaseOffboardings(
  deps: {
    readonly offboarding: Pick<OffboardingStore, 'release' | 'list'>;
    readonly queue: Pick<Queue, 'add'>;
    readonly now?: () => number;
  },
  emails?: readonly string[],
  personKeys?: readonly string[],
): Promise<OffboardingRecord[]> {
  const now = deps.now ?? Date.now;
  const released = await deps.offboarding.release(emails, personKeys);
  // A release that died between marking a record `released` and adding its job left it with no
  // job, and a record no longer `held` is never released again: add the job of every matching
  // `released` record too. Job ids are fixed, so BullMQ ignores a job it already holds.
  const wanted =
    emails === undefined && personKeys === undefined
      ? undefined
      : new Set([...(emails ?? []).map((email) => emailKey(email)), ...(personKeys ?? [])]);
  const stranded = (await deps.offboarding.list('released')).filter(
    (record) =>
      (wanted === undefined || wanted.has(emailKey(record.email))) &&
      !released.some((r) => r.email === record.email),
  );
  for (const record of [...released, ...stranded]) {
    const data: OffboardJobData = {
      leaver: {
        source: record.source,
        hireId: record.employeeId,
        email: record.email,
        ...(record.terminationDate === undefined
          ? {}
          : { terminationDate: record.terminationDate }),
      },
      deliveryId: 'admin-release',
      receivedAt: now(),
      scheduleJobId: record.jobId,
    };
    await deps.queue.add(OFFBOARD_JOB, data, { jobId: `${record.jobId}-released` });
  }
  return released;
}
