import { bindGuidList, createBinder, finish, isJsonObject, prop } from './binding.js';
import { EMPLOYEE_STATUS, EMPLOYEE_TYPE } from './constants.js';
import { toEmployeeFullDto } from './dto.js';
import { apiError, success, validationProblem } from './envelope.js';
import type { SimMessages } from './messages.js';
import type { SimGroup, SimOrgStore } from './org-store.js';
import type { Route } from './router.js';
import { stringsIn } from './router.js';
import { keyOwnerViewer } from './routes-people.js';
import type { SimStore } from './store.js';
import type { ApiRequest, SimResponse, SimUser } from './types.js';

/** What the group endpoints need. */
export interface GroupRouteDeps {
  readonly store: SimStore;
  readonly org: SimOrgStore;
  readonly messages: SimMessages;
}

const EMPTY_GUID = '00000000-0000-0000-0000-000000000000';
const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const CONTROLLER = 'ASC.People.Api.GroupController';

/**
 * The group endpoints as DocSpace v3.7 serves them (GroupsController; docs/docspace-lifecycle.md,
 * §5): list by a case-insensitive substring with paging, read one, create (names not unique;
 * every member must exist, be active and not a guest, else 400 and nothing made), add and remove
 * members (unknown, terminated and guest ids silently skipped on add). The key is the portal
 * owner's, who may do all of it.
 */
export function createGroupRoutes(deps: GroupRouteDeps): Route[] {
  const { store, org, messages } = deps;
  const viewer = keyOwnerViewer(store);

  /** `GroupDto` (common/ASC.Api.Core/Model/GroupDto.cs); members only Active or Pending (§5.3). */
  function groupDto(req: ApiRequest, group: SimGroup, withMembers: boolean): object {
    const listed = [...group.members]
      .map((id) => store.findById(id))
      .filter(
        (u): u is SimUser =>
          u !== undefined &&
          (u.status === EMPLOYEE_STATUS.Active || u.status === EMPLOYEE_STATUS.Pending),
      );
    return {
      id: group.id,
      name: group.name,
      category: EMPTY_GUID,
      parent: EMPTY_GUID,
      isLDAP: false,
      ...(withMembers
        ? { members: listed.map((u) => toEmployeeFullDto(u, req.origin, viewer)) }
        : {}),
      membersCount: listed.length,
    };
  }

  function groupOf(req: ApiRequest): SimGroup | SimResponse {
    const id = req.params['id'] ?? '';
    // `{id:guid}` route constraint: anything else does not match the route (404).
    const group = GUID.test(id) ? org.findGroup(id) : undefined;
    return group ?? apiError('notFound', messages.groupNotFound, `${CONTROLLER}.GetGroupInfoAsync`);
  }

  /** Active, not a guest: what `ValidateUserAsync` lets through (§5.4); add skips the rest. */
  const valid = (id: string): boolean => {
    const user = store.findById(id);
    return (
      user !== undefined &&
      user.status !== EMPLOYEE_STATUS.Terminated &&
      user.type !== EMPLOYEE_TYPE.Guest
    );
  };

  function list(req: ApiRequest): SimResponse {
    const filter = (req.query.get('filterValue') ?? '').trim().toLowerCase();
    const count = Math.min(100, Math.max(1, Number(req.query.get('count') ?? 100) || 100));
    const start = Math.max(0, Number(req.query.get('startIndex') ?? 0) || 0);
    const found = org.groups().filter((g) => g.name.toLowerCase().includes(filter));
    const page = found.slice(start, start + count).map((g) => groupDto(req, g, false));
    const response = success(req, page);
    return { ...response, body: { ...(response.body as object), total: found.length } };
  }

  function read(req: ApiRequest): SimResponse {
    const group = groupOf(req);
    return 'status' in group ? group : success(req, groupDto(req, group, true));
  }

  function create(req: ApiRequest): SimResponse {
    const binder = createBinder();
    const body = isJsonObject(req.body) ? req.body : {};
    const name = prop(body, 'groupName');
    if (typeof name !== 'string' || name.length === 0) {
      binder.add('GroupName', 'The GroupName field is required.');
    } else if (name.length > 128) {
      binder.add(
        'GroupName',
        'The field GroupName must be a string with a minimum length of 1 and a maximum length of 128.',
      );
    }
    const members = bindGuidList(binder, prop(body, 'members'), '$.members') ?? [];
    const manager = prop(body, 'groupManager');
    if (finish(binder) || typeof name !== 'string') return validationProblem(req, binder.errors);
    if (name.trim() === '') {
      return apiError(
        'argument',
        "The value cannot be an empty string or composed entirely of whitespace. (Parameter 'GroupName')",
        `${CONTROLLER}.AddGroup`,
      );
    }
    const everyone = [...members, ...(typeof manager === 'string' ? [manager.toLowerCase()] : [])];
    if (everyone.some((id) => !valid(id))) {
      return apiError('argument', messages.userNotFound, `${CONTROLLER}.AddGroup`);
    }
    const group = org.addGroup(name, everyone);
    return success(req, groupDto(req, group, true));
  }

  function members(req: ApiRequest, add: boolean): SimResponse {
    const group = groupOf(req);
    if ('status' in group) return group;
    const binder = createBinder();
    const body = isJsonObject(req.body) ? req.body : {};
    const ids = bindGuidList(binder, prop(body, 'members'), '$.members');
    if (finish(binder)) return validationProblem(req, binder.errors);
    if (add) {
      // `inDto.Members.Members` in a foreach: a null list is a null dereference (§5.5, inference).
      if (ids === null) {
        return apiError(
          'nullReference',
          'Object reference not set to an instance of an object.',
          `${CONTROLLER}.AddMembersTo`,
        );
      }
      for (const id of ids) if (valid(id)) group.members.add(id);
    } else {
      for (const id of ids ?? []) if (store.findById(id) !== undefined) group.members.delete(id);
    }
    return success(req, groupDto(req, group, true));
  }

  const subject = (body: unknown) => ({
    userIds: stringsIn(isJsonObject(body) ? prop(body, 'members') : []),
  });
  return [
    { method: 'GET', path: '/api/2.0/group', body: false, handle: list },
    { method: 'POST', path: '/api/2.0/group', body: true, handle: create, subject },
    { method: 'GET', path: '/api/2.0/group/:id', body: false, handle: read },
    {
      method: 'PUT',
      path: '/api/2.0/group/:id/members',
      body: true,
      handle: (req) => members(req, true),
      subject,
    },
    {
      method: 'DELETE',
      path: '/api/2.0/group/:id/members',
      body: true,
      handle: (req) => members(req, false),
      subject,
    },
  ];
}
