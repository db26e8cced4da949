import type { Binder } from './binding.js';
import {
  bindBool,
  bindEmployeeType,
  bindGuidList,
  bindString,
  createBinder,
  emailAttributeMessage,
  finish,
  isJsonObject,
  passesEmailAttribute,
  prop,
} from './binding.js';
import {
  ACTIVATION_STATUS,
  EMPLOYEE_STATUS,
  EMPLOYEE_TYPE,
  TYPE_RANK,
  effectiveType,
} from './constants.js';
import { toEmployeeDto, toEmployeeFullDto } from './dto.js';
import { ACCESS_DENIED, apiError, success, validationProblem } from './envelope.js';
import type { SimMessages } from './messages.js';
import type { Route } from './router.js';
import { testEmailPunyCode, testEmailRegex } from './people-rules.js';
import { keyOwnerViewer } from './routes-people.js';
import { stringsIn } from './router.js';
import type { SimStore } from './store.js';
import { isPending } from './store.js';
import type { ApiRequest, SimResponse, SimUser } from './types.js';

/** What the invitation endpoints need. */
export interface InviteRouteDeps {
  readonly store: SimStore;
  /** ≤ v3.6 server: bad emails, Guest and terminated users are skipped, not errors (UserController.InviteUsers before v3.7.1-server). */
  readonly legacy: boolean;
  /** Most emails per `POST /people/invite`, or null for no limit (web/ASC.Web.Core/Users/UserInvitationLimitHelper.cs). */
  readonly invitationLimit: () => number | null;
  /** Texts in the key owner's language (messages.ts). */
  readonly messages: SimMessages;
  /** Paid seats the plan allows (null: no limit). */
  readonly paidSeats: () => number | null;
}

interface Invitation {
  readonly email: string | null;
  readonly type: number;
}

const INVITE = 'ASC.People.Api.UserController.InviteUsers(InviteUsersRequestDto inDto)';
const RESEND = 'ASC.People.Api.UserController.ResendUserInvites(UpdateMembersRequestDto inDto)';

/** `POST /people/invite` and `PUT /people/invite` (UserController.InviteUsers, UserController.ResendUserInvites). */
export function createInviteRoutes(deps: InviteRouteDeps): Route[] {
  const { store, legacy, messages } = deps;
  const viewer = keyOwnerViewer(store);

  function invite(req: ApiRequest): SimResponse {
    const binder = createBinder();
    const invitations = bindInvitations(binder, req.body, deps.invitationLimit());
    if (finish(binder) || invitations === null) return validationProblem(req, binder.errors);

    // UserController.InviteUsers checks seats before anything else: every RoomAdmin and
    // DocSpaceAdmin invitation counts, existing emails included, and the whole batch is refused.
    const seats = deps.paidSeats();
    const paid = invitations.filter(
      ({ type }) => type === EMPLOYEE_TYPE.RoomAdmin || type === EMPLOYEE_TYPE.DocSpaceAdmin,
    ).length;
    if (paid > 0 && seats !== null && seats < store.paidSeatsUsed() + paid) {
      const message = messages.adminsExceedLimit(paid, seats - store.paidSeatsUsed());
      return apiError('quota', message, INVITE);
    }

    // One by one, no transaction: an error leaves the earlier invitations processed.
    for (const { email, type } of invitations) {
      // UserController.InviteUsers: `!invite.Email.TestEmailRegex() || invite.Email.TestEmailPunyCode()`.
      if (email === null || !testEmailRegex(email) || testEmailPunyCode(email)) {
        if (legacy) continue;
        return apiError('argument', messages.incorrectEmail, INVITE);
      }
      if (type === EMPLOYEE_TYPE.Guest) {
        if (legacy) continue;
        return apiError('security', ACCESS_DENIED, INVITE);
      }
      const existing = store.findByEmail(email);
      if (existing) {
        if (existing.status !== EMPLOYEE_STATUS.Terminated) {
          upgradeType(existing, type);
          continue; // silently: no mail, nothing reported
        }
        if (legacy) continue;
        return apiError('argument', `${messages.userDisabled}: ${email}`, INVITE);
      }
      const user = store.createUser({
        email,
        firstName: '',
        lastName: '',
        type: effectiveType(type),
        status: EMPLOYEE_STATUS.Pending,
        activationStatus: ACTIVATION_STATUS.Pending,
        createdVia: 'invite',
      });
      store.sendMail(user, 'invitation');
    }
    // All pending users of the portal, not only the invited ones, and without emails.
    const pending = store.users().filter(isPending);
    return success(
      req,
      pending.map((u) => toEmployeeDto(u, req.origin)),
    );
  }

  function resend(req: ApiRequest): SimResponse {
    const binder = createBinder();
    const body = isJsonObject(req.body) ? req.body : {};
    if (!isJsonObject(req.body)) {
      binder.add('$', 'The JSON value could not be converted to UpdateMembersRequestDto. Path: $.');
    }
    const userIds = bindGuidList(binder, prop(body, 'userIds'), '$.userIds');
    const resendAll = bindBool(binder, prop(body, 'resendAll'), '$.resendAll');
    if (finish(binder)) return validationProblem(req, binder.errors);

    let targets: SimUser[];
    if (resendAll) {
      targets = store.users().filter(isPending);
    } else if (userIds === null) {
      const message = 'Object reference not set to an instance of an object.';
      return apiError('nullReference', message, RESEND);
    } else {
      targets = userIds.map((id) => store.findById(id)).filter((u) => u !== undefined);
    }
    for (const user of targets) {
      const activated = user.activationStatus === ACTIVATION_STATUS.Activated;
      if (activated || user.status === EMPLOYEE_STATUS.Terminated) continue;
      store.sendMail(user, 'resend');
    }
    return success(
      req,
      targets.map((u) => toEmployeeFullDto(u, req.origin, viewer)),
    );
  }

  return [
    {
      method: 'POST',
      path: '/api/2.0/people/invite',
      body: true,
      handle: invite,
      subject: (body) => {
        const list = isJsonObject(body) ? prop(body, 'invitations') : undefined;
        const items = Array.isArray(list) ? (list as unknown[]) : [];
        return { emails: stringsIn(items.map((i) => (isJsonObject(i) ? prop(i, 'email') : i))) };
      },
    },
    {
      method: 'PUT',
      path: '/api/2.0/people/invite',
      body: true,
      handle: resend,
      subject: (body) => ({ userIds: stringsIn(isJsonObject(body) ? prop(body, 'userIds') : []) }),
    },
  ];
}

/** Model binding and validation of `InviteUsersRequestDto`; null when binding failed. */
function bindInvitations(binder: Binder, body: unknown, limit: number | null): Invitation[] | null {
  if (!isJsonObject(body)) {
    binder.add('$', 'The JSON value could not be converted to InviteUsersRequestDto. Path: $.');
    return null;
  }
  bindString(binder, prop(body, 'culture'), '$.culture');
  const list = prop(body, 'invitations');
  if (list === undefined || list === null) {
    binder.add('Invitations', 'The Invitations field is required.');
    return null;
  }
  if (!Array.isArray(list)) {
    binder.add(
      '$.invitations',
      'The JSON value could not be converted to List. Path: $.invitations.',
    );
    return null;
  }
  const invitations = (list as unknown[]).map((item, i): Invitation => {
    const path = `$.invitations[${i}]`;
    if (!isJsonObject(item)) {
      binder.add(
        path,
        `The JSON value could not be converted to EmailInvitationDto. Path: ${path}.`,
      );
      return { email: null, type: 0 };
    }
    const email = bindString(binder, prop(item, 'email'), `${path}.email`);
    const type = bindEmployeeType(binder, prop(item, 'type'), `${path}.type`);
    return { email, type };
  });
  if (binder.bindingFailed()) return null;
  invitations.forEach(({ email }, i) => {
    if (!passesEmailAttribute(email)) {
      binder.add(`Invitations[${i}].Email`, emailAttributeMessage('Email'));
    }
    if (email !== null && email.length > 255) {
      const message =
        "The field Email must be a string or array type with a maximum length of '255'.";
      binder.add(`Invitations[${i}].Email`, message);
    }
  });
  const requested = invitations.filter(({ email }) => email !== null && email.trim() !== '');
  if (limit !== null && requested.length > limit) {
    binder.add('Invitations', 'Invitation limit is exceeded');
  }
  return invitations;
}

/** Raises an existing user's type when the invitation asks for a higher one (UserController.InviteUsers). */
function upgradeType(user: SimUser, requested: number): void {
  const wanted = TYPE_RANK[requested];
  const current = TYPE_RANK[user.type] ?? 0;
  if (wanted !== undefined && wanted > current) user.type = requested;
}
