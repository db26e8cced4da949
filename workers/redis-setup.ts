import type { JobsOptions, Queue } from 'bullmq';
import type { Logger } from '../src/logger.js';
import type { Metrics } from '../src/metrics.js';
import { FLUSH_TICK_JOB, type InviteFlushJobData } from '../src/queue/contract.js';
import { withTimeout } from '../src/timeout.js';

/** What a worker keeps in Redis for the invite batches (nothing when `INVITE_MODE=none`). */
export interface InviteSetup {
  /** The flush tick's period: half the allowed wait (see `ensure`). */
  readonly tickEveryMs: number;
  /** Options of every flush job (attempts, backoff, retention). */
  readonly jobOptions: JobsOptions;
}

export interface RedisSetupDeps {
  readonly invites: Pick<
    Queue<InviteFlushJobData>,
    | 'getJobScheduler'
    | 'upsertJobScheduler'
    | 'removeJobScheduler'
    | 'getGlobalConcurrency'
    | 'setGlobalConcurrency'
  >;
  /** Undefined with `INVITE_MODE=none`: no tick, and none left behind by an earlier mode. */
  readonly invite: InviteSetup | undefined;
  readonly logger: Pick<Logger, 'info' | 'warn'>;
  readonly metrics?: Pick<Metrics, 'redisSetupRestored'>;
}

/**
 * What a worker sets up in Redis rather than in its own memory: the invite tick (a BullMQ job
 * scheduler, which bounds every person's wait, docs/design.md, rule 3) and the invites queue's global
 * concurrency of 1 (one flush at a time across all workers). A Redis that forgets (a restart
 * without persistence, a failover to a replica that lagged, a flush) loses both while every
 * process keeps running; without the tick, people created afterwards wait for a full batch that
 * may never come (docs/design.md, rule 9).
 *
 * `ensure()` writes both at start; afterwards it reads both (two cheap reads) and puts back only
 * what is missing, so it can run on every reconnect and every few seconds on every worker without
 * moving the tick's schedule. Returns what it wrote.
 */
export function createRedisSetup(deps: RedisSetupDeps) {
  const { invites, invite, logger } = deps;
  let started = false;

  const restored = (what: string): void => {
    if (!started) return;
    deps.metrics?.redisSetupRestored(what);
    logger.warn('Redis had forgotten what this worker set up; put back', {
      restored: what,
      cause:
        'Redis restarted without persistence, failed over to a replica that lagged, or was flushed',
    });
  };

  return {
    async ensure(): Promise<string[]> {
      const done: string[] = [];
      if (invite === undefined) {
        if (!started) await invites.removeJobScheduler(FLUSH_TICK_JOB);
      } else {
        // At start both are written whatever is there (a changed INVITE_BATCH_MAX_WAIT_MS takes
        // effect); afterwards only what is missing, so the tick keeps its schedule.
        if (!started || (await invites.getGlobalConcurrency()) !== 1) {
          await invites.setGlobalConcurrency(1);
          done.push('invites-global-concurrency');
        }
        if (!started || (await invites.getJobScheduler(FLUSH_TICK_JOB)) === undefined) {
          // The tick bounds every person's wait: half the allowed wait, so a person created just
          // after a tick is still sent in time at the next one, with room for the call itself.
          await invites.upsertJobScheduler(
            FLUSH_TICK_JOB,
            { every: invite.tickEveryMs },
            { name: FLUSH_TICK_JOB, data: {}, opts: invite.jobOptions },
          );
          done.push('invite-tick');
        }
      }
      for (const what of done) restored(what);
      started = true;
      return done;
    },
  };
}

export type RedisSetup = ReturnType<typeof createRedisSetup>;

export interface KeeperDeps {
  /** The worker's connection: its `ready` event fires on every reconnect. */
  readonly connection: { on(event: 'ready', listener: () => void): unknown } & {
    off(event: 'ready', listener: () => void): unknown;
  };
  readonly setup: RedisSetup;
  /** The invite reconciler (none with `INVITE_MODE=none`). */
  readonly reconcile?: () => Promise<number>;
  readonly intervalMs: number;
  readonly logger: Pick<Logger, 'warn'>;
}

/**
 * Runs `setup.ensure()` whenever the connection is ready again (a restart or failover drops it),
 * and `ensure()` then the reconciler every `intervalMs` (a flush, or a failover that kept the
 * connection, is only seen by looking). One pass at a time: while Redis is away a pass simply
 * waits for it, and no others pile up behind. Returns how to stop.
 */
export function keepRedisSetup(deps: KeeperDeps): () => Promise<void> {
  let running: Promise<void> | undefined;
  let stopped = false;
  const pass = (reconcile: boolean): void => {
    if (stopped || running !== undefined) return;
    running = (async () => {
      try {
        await deps.setup.ensure();
        if (reconcile) await deps.reconcile?.();
      } catch (err: unknown) {
        deps.logger.warn('redis setup check failed; trying again at the next one', {
          error: err instanceof Error ? err.message : String(err),
        });
      } finally {
        running = undefined;
      }
    })();
  };
  const onReady = (): void => {
    pass(false);
  };
  deps.connection.on('ready', onReady);
  const timer = setInterval(() => {
    pass(true);
  }, deps.intervalMs);
  timer.unref();
  return async () => {
    stopped = true;
    clearInterval(timer);
    deps.connection.off('ready', onReady);
    // A pass waiting for an absent Redis must not hold up shutdown.
    if (running !== undefined) await withTimeout(running, 2_000).catch(() => undefined);
  };
}
