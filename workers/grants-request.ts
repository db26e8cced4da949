import type { JobsOptions, Queue } from 'bullmq';
import { USER_TYPES } from '../src/config.js';
import type { Hire } from '../src/domain/hire.js';
import { planFor } from '../src/domain/rule-plan.js';
import type { RulesFile } from '../src/domain/rules.js';
import type { Logger } from '../src/logger.js';
import {
  GRANTS_FULL_JOB,
  GRANTS_TICK_JOB,
  type InviteFlushJobData,
} from '../src/queue/contract.js';
import type { GrantsStore } from '../src/queue/grants-store.js';

/** What the provision processor asks of the rules (its one seam for rule 13). */
export interface ProvisionRules {
  /** The EmployeeType integer the rules give this person; undefined: `DOCSPACE_USER_TYPE`. */
  userType(hire: Hire): number | undefined;
  /**
   * The person has a DocSpace account (`fresh`: this run created it): queue the groups and rooms
   * their rules want now, for the next grants flush. Called again for duplicates and updates; the
   * flush gives only what is missing and takes back only what this service gave.
   */
  afterProvisioned(hire: Hire, userId: string | undefined, fresh: boolean): Promise<void>;
}

export interface GrantRequesterDeps {
  readonly rules: RulesFile;
  readonly store: Pick<GrantsStore, 'keyOf' | 'request' | 'get' | 'pendingSize'>;
  readonly flushes: Pick<Queue<InviteFlushJobData>, 'add'>;
  readonly flushOptions: JobsOptions;
  /** People per flush batch (`INVITE_BATCH_SIZE`): a full batch is flushed at once. */
  readonly batchSize: number;
  /** Longest a person waits for a flush (`INVITE_BATCH_MAX_WAIT_MS`). */
  readonly maxWaitMs: number;
  readonly logger: Pick<Logger, 'info' | 'warn'>;
}

/** The rules of `PROVISIONING_RULES` as the provision processor uses them. */
export function createGrantRequester(deps: GrantRequesterDeps): ProvisionRules {
  return {
    userType(hire) {
      const type = planFor(deps.rules, hire).type;
      return type === undefined ? undefined : USER_TYPES[type];
    },
    async afterProvisioned(hire, userId, fresh) {
      const plan = planFor(deps.rules, hire);
      const key = deps.store.keyOf(hire.email);
      if (userId === undefined) {
        deps.logger.warn('groups and rooms skipped: the DocSpace user id is not known', {
          hireId: hire.hireId,
        });
        return;
      }
      if (plan.groups.length === 0 && plan.rooms.length === 0) {
        // Nothing wanted: only someone we gave something before has anything to lose.
        const before = await deps.store.get(key);
        if (before === undefined || (before.groups.length === 0 && before.rooms.size === 0)) return;
      }
      await deps.store.request(key, {
        email: hire.email,
        userId,
        want: { groups: plan.groups, rooms: plan.rooms },
        fresh,
      });
      // A flush after at most the allowed wait (one per wait, whoever asks), and at once for a
      // whole batch.
      await deps.flushes.add(
        GRANTS_TICK_JOB,
        {},
        {
          ...deps.flushOptions,
          delay: deps.maxWaitMs,
          deduplication: { id: GRANTS_TICK_JOB, ttl: deps.maxWaitMs },
        },
      );
      if ((await deps.store.pendingSize()) >= deps.batchSize) {
        await deps.flushes.add(
          GRANTS_FULL_JOB,
          {},
          { ...deps.flushOptions, deduplication: { id: GRANTS_FULL_JOB } },
        );
      }
    },
  };
}
