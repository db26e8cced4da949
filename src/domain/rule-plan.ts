import { ROOM_ACCESS, type RulesFile } from './rules.js';

/** What the rules give one person: the union of every matching rule. */
export interface GrantPlan {
  /** Group names, as the rules file writes them (first spelling wins), in rule order. */
  readonly groups: readonly string[];
  /** Rooms by id with DocSpace's access integer (the highest when two rules name one room). */
  readonly rooms: readonly RoomGrant[];
  /** The highest user type the matching rules name; undefined: `DOCSPACE_USER_TYPE`. */
  readonly type: UserTypeName | undefined;
  /** Which rules matched (their index in the file), for `--plan` and the logs. */
  readonly matched: readonly number[];
}

export interface RoomGrant {
  readonly id: number;
  readonly access: number;
}

type UserTypeName = 'User' | 'RoomAdmin' | 'DocSpaceAdmin';

/** What a rule may be matched on. */
export interface RuleSubject {
  readonly department?: string | undefined;
  readonly location?: string | undefined;
  readonly title?: string | undefined;
}

/** Higher wins when rules disagree: DocSpace admin over Room admin over User. */
const TYPE_RANK: Readonly<Record<UserTypeName, number>> = {
  User: 0,
  RoomAdmin: 1,
  DocSpaceAdmin: 2,
};

/**
 * Higher wins when two rules share one room: room manager (9) over content creator (11) over
 * editing (10) over read (2), DocSpace's own order of the roles (docs/docspace-lifecycle.md, §8.2).
 */
const ACCESS_RANK: ReadonlyMap<number, number> = new Map([
  [ROOM_ACCESS.read, 0],
  [ROOM_ACCESS.editing, 1],
  [ROOM_ACCESS['content-creator'], 2],
  [ROOM_ACCESS['room-manager'], 3],
]);

/** Nothing: what a person gets when no rule matches (or there is no rules file). */
export const NO_GRANTS: GrantPlan = { groups: [], rooms: [], type: undefined, matched: [] };

/**
 * The plan for one person: every rule whose `when` matches (every key; a list means any of;
 * case-insensitive and exact on trimmed text; a key the person lacks never matches).
 */
export function planFor(file: RulesFile | undefined, person: RuleSubject): GrantPlan {
  if (file === undefined) return NO_GRANTS;
  const groups = new Map<string, string>();
  const rooms = new Map<number, number>();
  let type: UserTypeName | undefined;
  const matched: number[] = [];
  file.rules.forEach((rule, index) => {
    if (!matches(rule.when, person)) return;
    matched.push(index);
    for (const group of rule.groups ?? []) if (!groups.has(group)) groups.set(group, group);
    for (const room of rule.rooms ?? []) {
      const id = Number(room.id);
      const access = ROOM_ACCESS[room.access];
      const before = rooms.get(id);
      if (before === undefined || rank(access) > rank(before)) rooms.set(id, access);
    }
    if (rule.type !== undefined && (type === undefined || TYPE_RANK[rule.type] > TYPE_RANK[type]))
      type = rule.type;
  });
  return {
    groups: [...groups.values()],
    rooms: [...rooms].map(([id, access]) => ({ id, access })),
    type,
    matched,
  };
}

function rank(access: number): number {
  return ACCESS_RANK.get(access) ?? -1;
}

function matches(when: RulesFile['rules'][number]['when'], person: RuleSubject): boolean {
  const keys = ['department', 'location', 'title'] as const;
  return keys.every((key) => {
    const wanted = when[key];
    if (wanted === undefined) return true;
    const value = person[key]?.trim().toLowerCase();
    if (value === undefined || value === '') return false;
    const options = typeof wanted === 'string' ? [wanted] : wanted;
    return options.some((option) => option.trim().toLowerCase() === value);
  });
}
