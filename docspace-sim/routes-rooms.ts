import { isJsonObject, prop } from './binding.js';
import { EMPLOYEE_STATUS, EMPLOYEE_TYPE } from './constants.js';
import { toEmployeeFullDto } from './dto.js';
import { ACCESS_DENIED, apiError, success } from './envelope.js';
import type { SimMessages } from './messages.js';
import type { SimOrgStore, SimRoom, SimRoomType } from './org-store.js';
import type { Route } from './router.js';
import { keyOwnerViewer } from './routes-people.js';
import type { SimStore } from './store.js';
import type { ApiRequest, SimResponse } from './types.js';

export interface RoomRouteDeps {
  readonly store: SimStore;
  readonly org: SimOrgStore;
  readonly messages: SimMessages;
}

/** `FileShare` (products/ASC.Files/Core/Core/Security/FileShare.cs; docs/docspace-lifecycle.md, §8.2). */
const FILE_SHARE: Readonly<Record<string, number>> = {
  None: 0,
  ReadWrite: 1,
  Read: 2,
  Restrict: 3,
  Varies: 4,
  Review: 5,
  Comment: 6,
  FillForms: 7,
  CustomFilter: 8,
  RoomManager: 9,
  Editing: 10,
  ContentCreator: 11,
};
const ROOM_MANAGER = 9;
const NONE = 0;

/** What each room type lets a user hold (FileSecurity.AvailableRoomAccesses, §8.3). */
const USER_ACCESSES: Readonly<Record<SimRoomType, readonly number[]>> = {
  CustomRoom: [9, 11, 10, 5, 6, 2, 0],
  EditingRoom: [9, 11, 10, 2, 0],
  PublicRoom: [9, 11, 0],
};
const CONTROLLER = 'ASC.Files.Api.VirtualRoomsController';

/**
 * Room shares as DocSpace v3.7 serves them (VirtualRoomsController.SetRoomSecurity and
 * GetRoomSecurityInfo; docs/docspace-lifecycle.md, §8): a missing room is 404, a room the key's
 * owner neither made nor manages is 403 "Access denied" (an admin key is not enough); entries are
 * applied one after another, so a refused one (403, the role is not available for the room or
 * user type) leaves the earlier ones applied; terminated and unknown users are skipped; `access`
 * as a string is parsed case-sensitively and anything else (or none) is None, a removal.
 */
export function createRoomRoutes(deps: RoomRouteDeps): Route[] {
  const { store, org, messages } = deps;
  const viewer = keyOwnerViewer(store);

  const roomOf = (req: ApiRequest): SimRoom | undefined => {
    const raw = req.params['id'] ?? '';
    return /^\d+$/.test(raw) ? org.findRoom(Number(raw)) : undefined;
  };

  const member = (req: ApiRequest, userId: string, access: number): object | undefined => {
    const user = store.findAnyone(userId);
    if (user === undefined) return undefined;
    return {
      access,
      sharedTo: toEmployeeFullDto(user, req.origin, viewer),
      isLocked: false,
      isOwner: false,
      canEditAccess: true,
      subjectType: 0,
    };
  };

  function share(req: ApiRequest): SimResponse {
    if (!/^\d+$/.test(req.params['id'] ?? '')) return apiError('notFound', 'Not Found', CONTROLLER);
    const body = isJsonObject(req.body) ? req.body : {};
    const invitations = prop(body, 'invitations');
    const notify = prop(body, 'notify') === true;
    if (!Array.isArray(invitations) || invitations.length === 0) {
      return success(req, { members: [], warning: null, error: 0 });
    }
    const room = roomOf(req);
    if (room === undefined) {
      return apiError('notFound', messages.folderNotFound, `${CONTROLLER}.SetRoomSecurity`);
    }
    const owner = store.keyOwner.id;
    if (room.createdBy !== owner && room.shares.get(owner) !== ROOM_MANAGER) {
      return apiError(
        'security',
        ACCESS_DENIED,
        'ASC.Files.Core.FileSharingAceHelper.SetAceObjectAsync',
      );
    }
    const members: object[] = [];
    for (const entry of invitations) {
      const record = isJsonObject(entry) ? entry : {};
      const id =
        typeof prop(record, 'id') === 'string' ? String(prop(record, 'id')).toLowerCase() : '';
      const access = parseAccess(prop(record, 'access'));
      const user = store.findById(id);
      const had = room.shares.has(id);
      if (
        user === undefined ||
        (user.status === EMPLOYEE_STATUS.Terminated && (access !== NONE || !had))
      ) {
        continue; // skipped silently (FileSharing.cs; vendor test BUG 79020)
      }
      const canManage = user.type !== EMPLOYEE_TYPE.User && user.type !== EMPLOYEE_TYPE.Guest;
      if (!USER_ACCESSES[room.type].includes(access) || (access === ROOM_MANAGER && !canManage)) {
        return apiError(
          'invalidOperation',
          messages.roleNotAvailable,
          'ASC.Files.Core.FileSharingAceHelper.SetAceObjectAsync',
        );
      }
      if (access === NONE) room.shares.delete(id);
      else room.shares.set(id, access);
      if (notify && access !== NONE) org.sendRoomMail({ roomId: room.id, userId: id, access });
      const shown = member(req, id, access);
      if (shown !== undefined) members.push(shown);
    }
    return success(req, { members, warning: null, error: 0 });
  }

  function list(req: ApiRequest): SimResponse {
    const room = roomOf(req);
    if (room === undefined)
      return apiError('notFound', 'Item not found', `${CONTROLLER}.GetRoomSecurityInfo`);
    const count = Math.min(100, Math.max(1, Number(req.query.get('count') ?? 100) || 100));
    const start = Math.max(0, Number(req.query.get('startIndex') ?? 0) || 0);
    const all = [...room.shares].flatMap(([id, access]) => member(req, id, access) ?? []);
    const response = success(req, all.slice(start, start + count));
    return { ...response, body: { ...(response.body as object), total: all.length } };
  }

  return [
    { method: 'PUT', path: '/api/2.0/files/rooms/:id/share', body: true, handle: share },
    { method: 'GET', path: '/api/2.0/files/rooms/:id/share', body: false, handle: list },
  ];
}

/**
 * `FileShare` from JSON (FileShare.cs converter, §8.2): a number as is; a string by its exact
 * name or as a number; anything else, or nothing, is None.
 */
export function parseAccess(value: unknown): number {
  if (typeof value === 'number' && Number.isInteger(value)) return value;
  if (typeof value === 'string') {
    if (/^-?\d+$/.test(value)) return Number(value);
    return FILE_SHARE[value] ?? NONE;
  }
  return NONE;
}
