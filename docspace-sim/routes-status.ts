import { bindGuidList, createBinder, finish, isJsonObject, prop } from './binding.js';
import { EMPLOYEE_STATUS } from './constants.js';
import { toEmployeeFullDto } from './dto.js';
import { ACCESS_DENIED, apiError, success, validationProblem } from './envelope.js';
import { formatApiDate } from './format.js';
import type { Route } from './router.js';
import { stringsIn } from './router.js';
import type { SimMessages } from './messages.js';
import { keyOwnerViewer, userNotFoundMessage } from './routes-people.js';
import type { SimStore } from './store.js';
import type { ApiRequest, SimResponse, SimUser } from './types.js';

/** What the offboarding endpoints need. */
export interface StatusRouteDeps {
  readonly store: SimStore;
  readonly legacy: boolean;
  readonly messages: SimMessages;
  readonly now: () => number;
}

const STATUS_NAMES: Readonly<Record<string, number>> = {
  active: 1,
  terminated: 2,
  pending: 4,
  default: 5,
};
const UPDATE_STATUS = 'ASC.People.Api.UserController.UpdateUserStatus(EmployeeStatus status)';
const DELETE_MEMBER = 'ASC.People.Api.UserController.DeleteMember(String userid)';

/** `PUT /people/status/{status}` and `DELETE /people/{userid}` (UserController.UpdateUserStatus, UserController.DeleteMember). */
export function createStatusRoutes(deps: StatusRouteDeps): Route[] {
  const { store, legacy, messages, now } = deps;
  const viewer = keyOwnerViewer(store);

  function updateStatus(req: ApiRequest): SimResponse {
    const raw = req.params['status'] ?? '';
    const status = /^\d+$/.test(raw) ? Number(raw) : STATUS_NAMES[raw.toLowerCase()];
    const binder = createBinder();
    if (status === undefined) binder.add('status', `The value '${raw}' is not valid.`);
    const body = isJsonObject(req.body) ? req.body : {};
    const userIds = bindGuidList(binder, prop(body, 'userIds'), '$.userIds');
    if (finish(binder) || status === undefined) return validationProblem(req, binder.errors);
    if (status !== EMPLOYEE_STATUS.Active && status !== EMPLOYEE_STATUS.Terminated) {
      return apiError('argument', 'Incorrect status', UPDATE_STATUS);
    }
    if (userIds === null) {
      const message = 'Object reference not set to an instance of an object.';
      return apiError('nullReference', message, UPDATE_STATUS);
    }
    // UserController.UpdateUserStatus (docs/docspace-lifecycle.md, sections 3.3 and 3.4): every id
    // is loaded first. From v3.7.1 an unknown id, the portal owner or the caller (the key owner,
    // who is the owner here) fails the whole request with 403 before anything changes; up to
    // v3.6.1 (`legacy`) unknown ids are dropped and the owner is returned unchanged. The caller is
    // the owner, so DocSpace admins *are* changed: the server does not protect them from the owner.
    const found = userIds.map((id) => store.findAnyone(id));
    const protectedUser = (user: SimUser) => user.id === store.keyOwner.id;
    if (!legacy && found.some((u) => u === undefined || protectedUser(u))) {
      return apiError('security', ACCESS_DENIED, UPDATE_STATUS);
    }
    const users = found.filter((u): u is SimUser => u !== undefined);
    for (const user of users) {
      if (protectedUser(user)) continue;
      if (status === EMPLOYEE_STATUS.Active && user.status !== EMPLOYEE_STATUS.Terminated) continue;
      user.status = status;
      if (status === EMPLOYEE_STATUS.Terminated) {
        user.terminated = formatApiDate(new Date(now()));
      } else {
        delete user.terminated;
      }
    }
    return success(
      req,
      users.map((u) => toEmployeeFullDto(u, req.origin, viewer)),
    );
  }

  function deleteMember(req: ApiRequest): SimResponse {
    const user = store.findById(req.params['id'] ?? '');
    if (!user) return apiError('notFound', userNotFoundMessage(legacy, messages), DELETE_MEMBER);
    if (user.status !== EMPLOYEE_STATUS.Terminated) {
      return apiError('invalidOperation', 'The user is not suspended', DELETE_MEMBER);
    }
    store.removeUser(user.id);
    return success(req, toEmployeeFullDto(user, req.origin, viewer));
  }

  return [
    {
      method: 'PUT',
      path: '/api/2.0/people/status/:status',
      body: true,
      handle: updateStatus,
      subject: (body) => ({ userIds: stringsIn(isJsonObject(body) ? prop(body, 'userIds') : []) }),
    },
    {
      method: 'DELETE',
      path: '/api/2.0/people/:id',
      body: false,
      handle: deleteMember,
    },
  ];
}
