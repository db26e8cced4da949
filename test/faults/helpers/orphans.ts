import { Job, type Queue } from 'bullmq';

/** A job that was active in a worker when it was killed. */
interface Orphan {
  readonly queue: Queue;
  readonly id: string;
  readonly killedAt: number;
  resumedAt?: number;
}

/**
 * Watches the jobs a killed worker held: each is "resumed" once a live worker has taken it up again
 * (BullMQ's `processedOn` later than the kill), or once it is gone (finished flush jobs are removed).
 * The time from kill to resume is what WORKER_LOCK_DURATION_MS and WORKER_STALLED_INTERVAL_MS tune.
 */
export function createOrphanWatch(queues: readonly Queue[]) {
  const orphans: Orphan[] = [];
  let timer: NodeJS.Timeout | undefined;
  let polling = false;

  const poll = async (): Promise<void> => {
    if (polling) return;
    polling = true;
    try {
      for (const orphan of orphans.filter((o) => o.resumedAt === undefined)) {
        const job = await Job.fromId(orphan.queue, orphan.id);
        const now = Date.now();
        if (job === undefined) {
          orphan.resumedAt = now;
        } else if ((job.processedOn ?? 0) > orphan.killedAt) {
          orphan.resumedAt = job.processedOn ?? now;
        } else if ((job.finishedOn ?? 0) > orphan.killedAt) {
          orphan.resumedAt = job.finishedOn ?? now;
        }
      }
    } finally {
      polling = false;
    }
  };

  return {
    /** Records the jobs active right now (call it just after the kill, before a restart). */
    async afterKill(killedAt: number): Promise<number> {
      let found = 0;
      for (const queue of queues) {
        for (const job of await queue.getActive()) {
          if (job.id === undefined) continue;
          orphans.push({ queue, id: job.id, killedAt });
          found += 1;
        }
      }
      timer ??= setInterval(() => void poll(), 100);
      return found;
    },
    /** How many orphans have not been taken up again yet. */
    async pending(): Promise<number> {
      await poll();
      return orphans.filter((o) => o.resumedAt === undefined).length;
    },
    /** Milliseconds from kill to resume of every orphan, sorted. */
    resumeTimes(): number[] {
      return orphans
        .flatMap((o) => (o.resumedAt === undefined ? [] : [o.resumedAt - o.killedAt]))
        .sort((a, b) => a - b);
    },
    count: () => orphans.length,
    stop(): void {
      clearInterval(timer);
    },
  };
}
