import assert from 'node:assert/strict';
import { waitFor } from './redis.js';
import type { Stack } from './stack.js';

/**
 * What the simulator shows of people's groups and room shares, for the rules tests (docs/rules.md),
 * and an admin's own work in DocSpace (through the simulator's API, as the portal's UI would).
 * `stackOf` gives the stack once a test's `before` has started it.
 */
/** One rule's group and room (by id), as tests name them. */
export interface RuleGrant {
  readonly group: string;
  readonly room: number;
}

export function grantsView(stackOf: () => Stack, timeoutMs = 10_000) {
  const sim = () => stackOf().sim;
  const call = async (method: string, path: string, body: unknown) => {
    const response = await fetch(`${stackOf().simUrl}${path}`, {
      method,
      headers: { authorization: `Bearer sk-${'0'.repeat(64)}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    assert.equal(response.status, 200, `${method} ${path}`);
  };
  const userOf = (email: string) => {
    const user = sim()
      .state()
      .users.find((u) => u.email === email);
    assert.ok(user, `a DocSpace user for ${email}`);
    return user;
  };
  const groupsOf = (userId: string) =>
    sim()
      .state()
      .groups.filter((g) => g.members.includes(userId))
      .map((g) => g.name)
      .sort();
  const sharesOf = (userId: string) =>
    Object.fromEntries(
      sim()
        .state()
        .rooms.filter((r) => r.shares[userId] !== undefined)
        .map((r) => [r.id, r.shares[userId]]),
    );
  return {
    userOf,
    groupsOf,
    sharesOf,
    /** A check for `grantsSettled`: the user has `mine`'s group and room, and not `other`'s. */
    only:
      (mine: RuleGrant, other: RuleGrant) =>
      (userId: string): boolean =>
        groupsOf(userId).includes(mine.group) &&
        !groupsOf(userId).includes(other.group) &&
        mine.room in sharesOf(userId) &&
        !(other.room in sharesOf(userId)),
    /** An admin adds someone to a group (`PUT /api/2.0/group/{id}/members`). */
    addByHand: (groupId: string, userId: string) =>
      call('PUT', `/api/2.0/group/${groupId}/members`, { members: [userId] }),
    /** An admin makes a group (`POST /api/2.0/group`); its id. */
    groupByHand: async (groupName: string): Promise<string> => {
      await call('POST', '/api/2.0/group', { groupName, members: [] });
      const group = sim()
        .state()
        .groups.find((g) => g.name === groupName);
      assert.ok(group);
      return group.id;
    },
    /** Waits until `check` holds for the person's DocSpace user id. */
    grantsSettled: (email: string, check: (userId: string) => boolean) =>
      waitFor(() => (check(userOf(email).id) ? true : undefined), timeoutMs, `grants of ${email}`),
  };
}
