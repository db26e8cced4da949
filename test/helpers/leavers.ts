/**
 * Leavers whose disable waits held (docs/design.md, rule 12: `OFFBOARDING_MAX_PER_HOUR=0` holds
 * every disable for an admin), for the tests of the people page and of `npm run replay -- held`.
 */
import assert from 'node:assert/strict';
import { dayIn } from '../../src/domain/effective-date.js';
import { createKeys } from '../../src/queue/keys.js';
import {
  createOffboardingStore,
  type OffboardingStore,
} from '../../src/queue/offboarding-store.js';
import { waitFor } from './redis.js';
import type { Stack } from './stack.js';

/** The person's offboarding record once it is in `state` (waits up to 15 s). */
export async function offboardingIn(offboarding: OffboardingStore, key: string, state: string) {
  return await waitFor(
    async () => {
      const record = await offboarding.get(key);
      return record?.state === state ? record : undefined;
    },
    15_000,
    `the offboarding record ${state}`,
  );
}

/** Settings under which every disable is held: offboarding on, no disable an hour without an admin. */
export const HOLD_DISABLES = { OFFBOARDING: 'disable', OFFBOARDING_MAX_PER_HOUR: '0' } as const;

export interface Person {
  readonly employeeId: string;
  readonly firstName: string;
  readonly lastName: string;
  readonly email: string;
}

/**
 * Hires `people` on `stack` (started with {@link HOLD_DISABLES}), then terminates `leavers` (all
 * of them by default) as of yesterday, and resolves once each one's disable is held.
 */
export async function holdLeavers(
  stack: Stack,
  people: readonly Person[],
  leavers: readonly Person[] = people,
): Promise<OffboardingStore> {
  const offboarding = createOffboardingStore({
    redis: stack.redis,
    keys: createKeys(stack.prefix),
  });
  assert.equal((await stack.post(people)).status, 200, 'the hires are accepted');
  await stack.settled(people.map((p) => p.email));
  const yesterday = dayIn('UTC', Date.now() - 86_400_000);
  await stack.post(
    leavers.map((p) => ({ employeeId: p.employeeId, email: p.email, terminationDate: yesterday })),
    { type: 'employee.terminated' },
  );
  await waitFor(
    async () => {
      const records = await Promise.all(
        leavers.map((p) => offboarding.get(offboarding.keyOf(p.email))),
      );
      return records.every((r) => r?.state === 'held') ? true : undefined;
    },
    15_000,
    `${leavers.length} held disables`,
  );
  return offboarding;
}

/**
 * The hire record of `email` once in `state` after a cancelled termination put a withdrawn joiner
 * back (docs/design.md, rule 14). The job it adds (`<cancelling job>-joiner`) may meet the
 * cancelling job's lease and wait, parked by a test clock days ahead: promoted here, as the real
 * clock would a second later. Its wait for the start date (`scheduledFor`) is left alone.
 */
export async function reinstated(stack: Stack, email: string, state: string) {
  return await waitFor(
    async () => {
      const record = await stack.store.get(stack.store.keyOf(email));
      if (record?.state === state) return record;
      for (const job of await stack.hires.getDelayed()) {
        const data = job.data as { scheduledFor?: number };
        if (job.id?.endsWith('-joiner') === true && data.scheduledFor === undefined) {
          await job.promote().catch(() => undefined);
        }
      }
      return undefined;
    },
    15_000,
    `the hire record ${state}`,
  );
}
