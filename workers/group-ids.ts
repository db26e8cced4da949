import { setTimeout as sleep } from 'node:timers/promises';
import type { DocspaceClient } from '../src/docspace/client.js';
import { DocspaceError } from '../src/errors.js';
import type { GrantsStore } from '../src/queue/grants-store.js';
import type { Locks } from '../src/queue/locks.js';

export interface GroupIdsDeps {
  readonly docspace: Pick<DocspaceClient, 'findGroupsByName' | 'createGroup'>;
  readonly store: Pick<GrantsStore, 'groupId' | 'rememberGroup' | 'forgetGroup'>;
  readonly locks: Locks;
  readonly lockKey: (name: string) => string;
  /** How long the lease on a name lasts: longer than a lookup and a create together. */
  readonly lockTtlMs: number;
}

/**
 * The DocSpace group id for a rule's group name, creating the group once when none exists.
 *
 * DocSpace's group names are not unique and `POST /group` makes a new group every time
 * (docs/docspace-lifecycle.md, §5.4), so "create once" is ours: a lease on the name in Redis lets
 * one worker at a time look the name up and create it; the id is remembered. A worker killed
 * after the create but before remembering it leaves the group in DocSpace, where the next one
 * finds it by name instead of making a second.
 */
export function createGroupIds(deps: GroupIdsDeps) {
  const self = `group-ids-${process.pid}-${Math.random().toString(36).slice(2)}`;
  let calls = 0;
  return {
    async idOf(name: string): Promise<string> {
      calls += 1;
      const owner = `${self}-${calls}`;
      const known = await deps.store.groupId(name);
      if (known !== undefined) return known;
      const lockKey = deps.lockKey(name);
      const deadline = Date.now() + deps.lockTtlMs;
      while (!(await deps.locks.acquire(lockKey, owner, deps.lockTtlMs))) {
        if (Date.now() > deadline) {
          throw new DocspaceError({
            kind: 'passing',
            endpoint: 'POST /api/2.0/group',
            message: `another worker is still creating group "${name}"`,
          });
        }
        await sleep(50 + Math.floor(Math.random() * 100));
      }
      try {
        const again = await deps.store.groupId(name);
        if (again !== undefined) return again;
        const [found] = await deps.docspace.findGroupsByName(name);
        const id = found ?? (await deps.docspace.createGroup(name));
        await deps.store.rememberGroup(name, id);
        return id;
      } finally {
        await deps.locks.release(lockKey, owner);
      }
    },
    /** The remembered id answered 404 (the group was deleted in DocSpace): look it up again. */
    async forget(name: string): Promise<void> {
      await deps.store.forgetGroup(name);
    },
  };
}

export type GroupIds = ReturnType<typeof createGroupIds>;
