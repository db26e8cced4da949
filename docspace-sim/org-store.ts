import { randomUUID } from 'node:crypto';

/** A custom group (DbGroup): names are not unique (docs/docspace-lifecycle.md, §5.4). */
export interface SimGroup {
  readonly id: string;
  name: string;
  /** Member user ids, terminated ones included (their rows stay, §5.3). */
  readonly members: Set<string>;
}

/** Room types the simulator knows, with DocSpace's `FolderType` names (§8.3). */
export const ROOM_TYPES = ['CustomRoom', 'EditingRoom', 'PublicRoom'] as const;
export type SimRoomType = (typeof ROOM_TYPES)[number];

/** A room (a numeric folder id) and its shares, user id → `FileShare` integer. */
export interface SimRoom {
  readonly id: number;
  readonly title: string;
  readonly type: SimRoomType;
  /** Who made the room: only they and room managers may change its shares (§8.4). */
  readonly createdBy: string;
  readonly shares: Map<string, number>;
}

/** A room made before the test or demo starts (`addRoom`, `POST /sim/rooms`). */
export interface SeedRoom {
  readonly title: string;
  /** Default CustomRoom. */
  readonly type?: SimRoomType;
  /** false: another admin made it, so the key cannot share it (403). Default true. */
  readonly createdByKeyOwner?: boolean;
}

/** Reads a room seed from a JSON body; a text naming the problem when it is not one. */
export function parseSeedRoom(value: unknown): SeedRoom | string {
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    return 'room must be a JSON object';
  const record = value as Record<string, unknown>;
  const title = record['title'];
  const type = record['type'];
  const mine = record['createdByKeyOwner'];
  if (typeof title !== 'string' || title.trim() === '') return 'title must be a non-empty string';
  if (type !== undefined && !ROOM_TYPES.includes(type as SimRoomType)) {
    return `type must be one of ${ROOM_TYPES.join(', ')}`;
  }
  if (mine !== undefined && typeof mine !== 'boolean')
    return 'createdByKeyOwner must be true or false';
  return {
    title,
    ...(type === undefined ? {} : { type: type as SimRoomType }),
    ...(mine === undefined ? {} : { createdByKeyOwner: mine }),
  };
}

/** A letter DocSpace would send when `notify` is true on a room share. */
export interface SimRoomMail {
  readonly roomId: number;
  readonly userId: string;
  readonly access: number;
  readonly at: number;
}

/** The simulator's groups and rooms (apart from the people store, which they only reference). */
export interface SimOrgStore {
  readonly groups: () => readonly SimGroup[];
  readonly rooms: () => readonly SimRoom[];
  readonly roomMails: () => readonly SimRoomMail[];
  readonly findGroup: (id: string) => SimGroup | undefined;
  readonly findRoom: (id: number) => SimRoom | undefined;
  readonly addGroup: (name: string, members?: readonly string[]) => SimGroup;
  readonly addRoom: (room: { title: string; type: SimRoomType; createdBy: string }) => SimRoom;
  readonly sendRoomMail: (mail: Omit<SimRoomMail, 'at'>) => void;
  readonly clear: () => void;
}

export function createOrgStore(deps: { now: () => number }): SimOrgStore {
  let groups: SimGroup[] = [];
  let rooms: SimRoom[] = [];
  let roomMails: SimRoomMail[] = [];
  let nextRoomId = 1000;
  return {
    groups: () => groups,
    rooms: () => rooms,
    roomMails: () => roomMails,
    findGroup: (id) => groups.find((g) => g.id === id.toLowerCase()),
    findRoom: (id) => rooms.find((r) => r.id === id),
    addGroup: (name, members = []) => {
      const group: SimGroup = { id: randomUUID(), name, members: new Set(members) };
      groups.push(group);
      return group;
    },
    addRoom: (input) => {
      nextRoomId += 1;
      const room: SimRoom = { id: nextRoomId, ...input, shares: new Map() };
      room.shares.set(input.createdBy, 9);
      rooms.push(room);
      return room;
    },
    sendRoomMail: (mail) => {
      roomMails.push({ ...mail, at: deps.now() });
    },
    clear: () => {
      groups = [];
      rooms = [];
      roomMails = [];
    },
  };
}
