import { ROOM_ACCESS } from '../domain/rules.js';
import type { GrantRecord } from '../queue/grants-store.js';

/** What the rules gave a person, as the admin API and the people page show it. */
export interface GrantsView {
  readonly groups?: string[];
  readonly rooms?: { id: number; access: string }[];
}

const ACCESS_NAMES = new Map<number, string>(
  Object.entries(ROOM_ACCESS).map(([name, value]) => [value, name]),
);

/** The groups and rooms this service gave (docs/rules.md); nothing when it never gave any. */
export function grantsOf(grants: GrantRecord | undefined): GrantsView {
  if (grants === undefined) return {};
  return {
    groups: [...grants.groups],
    rooms: [...grants.rooms].map(([id, access]) => ({
      id,
      access: ACCESS_NAMES.get(access) ?? String(access),
    })),
  };
}
