import { DocspaceError } from '../errors.js';
import type { CircuitGuard } from './circuit-guard.js';
import type { PortalHttp, PortalResponse } from './http.js';
import { classifyAnswer, classifyFailure, CREATE_USER, isRefusedCreate } from './classify.js';
import type { RequestBudget } from './request-budget.js';

/** DocSpace's user types by name, as read from an EmployeeFullDto's flags. */
export type DocspaceUserType = 'User' | 'RoomAdmin' | 'DocSpaceAdmin' | 'Guest';

/** The parts of a DocSpace user (EmployeeFullDto) the worker uses. */
export interface DocspaceUser {
  readonly id: string;
  readonly email: string;
  /** ISO date string; compared with our first attempt after a crash (docs/design.md, rule 7). */
  readonly registrationDate: string | undefined;
  /** The type the account has, from its flags; undefined when the answer carries none. */
  readonly type: DocspaceUserType | undefined;
  /** `createdBy.id`: who made the account (shown to DocSpace admin callers only). */
  readonly createdById: string | undefined;
  /** `EmployeeStatus`: 1 active, 2 terminated (disabled), 4 pending. */
  readonly status: number | undefined;
  /**
   * What the server will not let the service disable, or must not (docs/docspace-lifecycle.md,
   * section 3.3): a DocSpace admin (`isAdmin`), the portal owner (`isOwner`), an LDAP account.
   */
  readonly isAdmin?: boolean;
  readonly isOwner?: boolean;
  readonly isLDAP?: boolean;
}

/** The two statuses the service sets (`EmployeeStatus`, docs/docspace-lifecycle.md, section 3.1). */
export type SettableStatus = 'Terminated' | 'Active';

/**
 * A create call's outcome: the user DocSpace made, or DocSpace's refusal (a 400, or a 500 that
 * carries its own error, as servers up to v3.0 answer a duplicate email). What a refusal means is
 * decided from the account (`GET /people/email`), never from its text, which is in the API key
 * owner's language (docs/design.md, rule 10).
 */
export type CreateUserResult =
  | { readonly kind: 'created'; readonly user: DocspaceUser }
  | { readonly kind: 'refused'; readonly error: DocspaceError };

export interface NewUser {
  readonly email: string;
  readonly firstName: string;
  readonly lastName: string;
  /** EmployeeType integer: 4 User, 1 RoomAdmin, 3 DocSpaceAdmin. */
  readonly type: number;
}

/** What a finished request reports, for metrics and logs (never bodies, keys or query values). */
export interface RequestReport {
  readonly endpoint: string;
  readonly status: number | undefined;
  readonly durationMs: number;
}

export interface DocspaceClientDeps {
  /** The portal's HTTP client (src/docspace/http.ts). */
  readonly http: PortalHttp;
  /** The shared request budget (rate and concurrency limits). */
  readonly budget: RequestBudget;
  /** The shared circuit; none when `DOCSPACE_CIRCUIT_THRESHOLD` is 0. */
  readonly circuit?: CircuitGuard | undefined;
  readonly onRequest?: ((report: RequestReport) => void) | undefined;
}

/**
 * The DocSpace people API, as the worker needs it. Every request takes a slot of the shared budget
 * and the circuit's admission (one script when the budget has the circuit), and every answer goes
 * through {@link classifyAnswer}.
 */
export function createDocspaceClient(deps: DocspaceClientDeps) {
  const { http, budget, circuit } = deps;
  let keyOwner: Promise<DocspaceUser> | undefined;

  const call = async (
    method: 'GET' | 'POST' | 'PUT' | 'DELETE',
    path: string,
    options: { data?: unknown; params?: Record<string, string> } = {},
  ): Promise<PortalResponse> => {
    const endpoint = `${method} ${path}`;
    const send = async (): Promise<PortalResponse> => {
      const started = performance.now();
      try {
        const response = await http.request({ method, url: path, ...options });
        deps.onRequest?.({
          endpoint,
          status: response.status,
          durationMs: performance.now() - started,
        });
        return response;
      } catch (err: unknown) {
        deps.onRequest?.({ endpoint, status: undefined, durationMs: performance.now() - started });
        throw classifyFailure(endpoint, err);
      }
    };
    return await budget.run((admitted) =>
      circuit ? circuit.run(endpoint, send, admitted) : send(),
    );
  };

  const answer = (endpoint: string, response: PortalResponse): unknown =>
    classifyAnswer(endpoint, {
      status: response.status,
      body: response.data,
      retryAfter: response.headers['retry-after'],
    });

  return {
    /**
     * `POST /api/2.0/people`. A refusal by DocSpace itself ({@link isRefusedCreate}) is a
     * `refused`: the caller looks the email up.
     */
    async createUser(user: NewUser): Promise<CreateUserResult> {
      const response = await call('POST', '/api/2.0/people', { data: user });
      try {
        return { kind: 'created', user: toUser(CREATE_USER, answer(CREATE_USER, response)) };
      } catch (err: unknown) {
        if (
          err instanceof DocspaceError &&
          isRefusedCreate(CREATE_USER, response.status, response.data)
        ) {
          return { kind: 'refused', error: err };
        }
        throw err;
      }
    },

    /**
     * `GET /api/2.0/people/@self`: the API key's owner (an API key acts as the user who made it,
     * ONLYOFFICE/DocSpace-server:common/ASC.Api.Core/Auth/ApiKeyBearerAuthHandler.cs). Asked once per process; a failure is not kept.
     */
    async keyOwner(): Promise<DocspaceUser> {
      const endpoint = 'GET /api/2.0/people/@self';
      keyOwner ??= call('GET', '/api/2.0/people/@self').then((response) =>
        toUser(endpoint, answer(endpoint, response)),
      );
      const pending = keyOwner;
      try {
        return await pending;
      } catch (err: unknown) {
        if (keyOwner === pending) keyOwner = undefined;
        throw err;
      }
    },

    /** `GET /api/2.0/people/email`; undefined when DocSpace has no such user (404). */
    async findUserByEmail(email: string): Promise<DocspaceUser | undefined> {
      const endpoint = 'GET /api/2.0/people/email';
      const response = await call('GET', '/api/2.0/people/email', { params: { email } });
      if (response.status === 404) return undefined;
      return toUser(endpoint, answer(endpoint, response));
    },

    /** `POST /api/2.0/people/invite`: one call for the whole batch. */
    async inviteByEmail(emails: readonly string[], type: number): Promise<void> {
      const endpoint = 'POST /api/2.0/people/invite';
      const data = { invitations: emails.map((email) => ({ email, type })) };
      answer(endpoint, await call('POST', '/api/2.0/people/invite', { data }));
    },

    /**
     * `PUT /api/2.0/people/status/{Terminated|Active}` with `{userIds}`
     * (docs/docspace-lifecycle.md, section 3): the users as DocSpace answers them. One protected or
     * unknown id fails the whole request (403) on servers from v3.7.1; older ones skip it silently,
     * so the caller checks each user's `status` in the answer.
     */
    async setStatus(userIds: readonly string[], status: SettableStatus): Promise<DocspaceUser[]> {
      const endpoint = `PUT /api/2.0/people/status/${status}`;
      const response = await call('PUT', `/api/2.0/people/status/${status}`, {
        data: { userIds },
      });
      const users = answer(endpoint, response);
      if (!Array.isArray(users)) return [];
      return users.map((user: unknown) => toUser(endpoint, user));
    },

    /** `PUT /api/2.0/people/invite`: re-sends the join link to users that exist. */
    async resendInvites(userIds: readonly string[]): Promise<void> {
      const endpoint = 'PUT /api/2.0/people/invite';
      const data = { userIds, resendAll: false };
      answer(endpoint, await call('PUT', '/api/2.0/people/invite', { data }));
    },

    /**
     * Ids of the groups named exactly `name`. `GET /api/2.0/group?filterValue=` matches a
     * case-insensitive substring and names are not unique, so every page is read and the names
     * compared here (docs/docspace-lifecycle.md, §5.2).
     */
    async findGroupsByName(name: string): Promise<string[]> {
      const endpoint = 'GET /api/2.0/group';
      const found: string[] = [];
      for (let start = 0; ; start += GROUP_PAGE) {
        const response = await call('GET', '/api/2.0/group', {
          params: { filterValue: name, count: String(GROUP_PAGE), startIndex: String(start) },
        });
        const page = answer(endpoint, response);
        const items = Array.isArray(page) ? (page as unknown[]) : [];
        for (const item of items) {
          const group = item as Record<string, unknown>;
          if (typeof group['id'] === 'string' && group['name'] === name) found.push(group['id']);
        }
        const total = (response.data as Record<string, unknown>)['total'];
        if (items.length < GROUP_PAGE || typeof total !== 'number' || start + GROUP_PAGE >= total)
          return found;
      }
    },

    /** `POST /api/2.0/group` with no members and no manager (a manager would become a member, §5.4). */
    async createGroup(name: string): Promise<string> {
      const endpoint = 'POST /api/2.0/group';
      const data = { groupName: name, members: [] };
      const group = answer(endpoint, await call('POST', '/api/2.0/group', { data }));
      const id = (group as Record<string, unknown> | null)?.['id'];
      if (typeof id === 'string' && id !== '') return id;
      throw new DocspaceError({
        kind: 'lasting',
        endpoint,
        message: `${endpoint} answered without a group id`,
      });
    },

    /** `GET /api/2.0/group/{id}`: the ids of its (active and pending) members. */
    async groupMembers(groupId: string): Promise<Set<string>> {
      const endpoint = 'GET /api/2.0/group/{id}';
      const path = `/api/2.0/group/${encodeURIComponent(groupId)}`;
      return memberIds(answer(endpoint, await call('GET', path)));
    },

    /**
     * `PUT /api/2.0/group/{id}/members`: adds; unknown, terminated and guest ids are skipped
     * without a word, so the answer's members (all of them) are returned for the caller to check.
     */
    async addGroupMembers(groupId: string, userIds: readonly string[]): Promise<Set<string>> {
      const endpoint = 'PUT /api/2.0/group/{id}/members';
      const path = `/api/2.0/group/${encodeURIComponent(groupId)}/members`;
      return memberIds(answer(endpoint, await call('PUT', path, { data: { members: userIds } })));
    },

    /** `DELETE /api/2.0/group/{id}/members` (never `POST …/members`, which replaces everyone). */
    async removeGroupMembers(groupId: string, userIds: readonly string[]): Promise<void> {
      const endpoint = 'DELETE /api/2.0/group/{id}/members';
      const path = `/api/2.0/group/${encodeURIComponent(groupId)}/members`;
      answer(endpoint, await call('DELETE', path, { data: { members: userIds } }));
    },

    /**
     * `PUT /api/2.0/files/rooms/{id}/share` with `access` as an integer, always present (a string
     * or none means a removal, §8.2), by user id, and `notify: false`: the person already has
     * DocSpace's join letter. Returns the access the answer shows for each person it lists.
     */
    async shareRoom(
      roomId: number,
      invitations: readonly { readonly id: string; readonly access: number }[],
    ): Promise<Map<string, number>> {
      const endpoint = 'PUT /api/2.0/files/rooms/{id}/share';
      const path = `/api/2.0/files/rooms/${roomId}/share`;
      const data = {
        invitations: invitations.map(({ id, access }) => ({ id, access })),
        notify: false,
      };
      const result = answer(endpoint, await call('PUT', path, { data }));
      return sharesOf((result as Record<string, unknown> | null)?.['members']);
    },

    /** `GET /api/2.0/files/rooms/{id}/share`: user id → access of everyone the room is shared with. */
    async roomShares(roomId: number): Promise<Map<string, number>> {
      const endpoint = 'GET /api/2.0/files/rooms/{id}/share';
      const path = `/api/2.0/files/rooms/${roomId}/share`;
      const shares = new Map<string, number>();
      for (let start = 0; ; start += GROUP_PAGE) {
        const response = await call('GET', path, {
          params: { count: String(GROUP_PAGE), startIndex: String(start) },
        });
        const page = answer(endpoint, response);
        for (const [id, access] of sharesOf(page)) shares.set(id, access);
        const total = (response.data as Record<string, unknown>)['total'];
        const items = Array.isArray(page) ? page.length : 0;
        if (items < GROUP_PAGE || typeof total !== 'number' || start + GROUP_PAGE >= total)
          return shares;
      }
    },
  };
}

/** The most items DocSpace gives in one page of a list (`count` ≤ 100). */
const GROUP_PAGE = 100;

function memberIds(group: unknown): Set<string> {
  const members = (group as Record<string, unknown> | null)?.['members'];
  const ids = new Set<string>();
  if (Array.isArray(members)) {
    for (const member of members as unknown[]) {
      const id = (member as Record<string, unknown> | null)?.['id'];
      if (typeof id === 'string') ids.add(id.toLowerCase());
    }
  }
  return ids;
}

/** `[{access, sharedTo: {id, …}}]` as user id (lower case) → access. */
function sharesOf(members: unknown): Map<string, number> {
  const shares = new Map<string, number>();
  if (!Array.isArray(members)) return shares;
  for (const member of members as unknown[]) {
    const record = member as Record<string, unknown> | null;
    const sharedTo = record?.['sharedTo'] as Record<string, unknown> | null | undefined;
    const id = sharedTo?.['id'];
    const access = record?.['access'];
    if (typeof id === 'string' && typeof access === 'number') shares.set(id.toLowerCase(), access);
  }
  return shares;
}

export type DocspaceClient = ReturnType<typeof createDocspaceClient>;

function toUser(endpoint: string, response: unknown): DocspaceUser {
  if (typeof response === 'object' && response !== null) {
    const record = response as Record<string, unknown>;
    const id = record['id'];
    const email = record['email'];
    const registrationDate = record['registrationDate'];
    const status = record['status'];
    const createdBy = record['createdBy'];
    const creator =
      typeof createdBy === 'object' && createdBy !== null
        ? (createdBy as Record<string, unknown>)['id']
        : undefined;
    if (typeof id === 'string' && id !== '') {
      return {
        id,
        email: typeof email === 'string' ? email : '',
        registrationDate: typeof registrationDate === 'string' ? registrationDate : undefined,
        type: typeOf(record),
        createdById: typeof creator === 'string' && creator !== '' ? creator : undefined,
        status: typeof status === 'number' ? status : undefined,
        ...(record['isAdmin'] === true ? { isAdmin: true } : {}),
        ...(record['isOwner'] === true ? { isOwner: true } : {}),
        ...(record['isLDAP'] === true ? { isLDAP: true } : {}),
      };
    }
  }
  throw new DocspaceError({
    kind: 'lasting',
    endpoint,
    message: `${endpoint} answered without a user id; is DOCSPACE_URL a DocSpace portal?`,
  });
}

/**
 * The user type from EmployeeFullDto's flags, as the server sets them
 * (ONLYOFFICE/DocSpace-server:common/ASC.Api.Core/Model/EmployeeFullDto.cs, `GetFullAsync`):
 * `isAdmin` DocSpaceAdmin (false for the owner, who has `isOwner`), `isRoomAdmin`,
 * `isCollaborator` User, `isVisitor` Guest.
 */
function typeOf(record: Record<string, unknown>): DocspaceUserType | undefined {
  if (record['isAdmin'] === true || record['isOwner'] === true) return 'DocSpaceAdmin';
  if (record['isRoomAdmin'] === true) return 'RoomAdmin';
  if (record['isCollaborator'] === true) return 'User';
  if (record['isVisitor'] === true) return 'Guest';
  return undefined;
}
