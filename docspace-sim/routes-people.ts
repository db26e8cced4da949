import {
  bindEmployeeType,
  bindString,
  createBinder,
  emailAttributeMessage,
  finish,
  isJsonObject,
  passesEmailAttribute,
  prop,
  stringLengthMessage,
} from './binding.js';
import { ACTIVATION_STATUS, EMPLOYEE_STATUS, EMPLOYEE_TYPE, effectiveType } from './constants.js';
import { toEmployeeFullDto, type Viewer } from './dto.js';
import { ACCESS_DENIED, apiError, success, validationProblem } from './envelope.js';
import { parseMailAddress } from './mail-address.js';
import { isValidUserName, storedName } from './people-rules.js';
import type { SimMessages } from './messages.js';
import type { Route } from './router.js';
import type { SimStore } from './store.js';
import type { ApiRequest, SimResponse, SimUser } from './types.js';

/** What the people endpoints need. */
export interface PeopleRouteDeps {
  readonly store: SimStore;
  /** ≤ v3.0 server: duplicate email is a plain Exception (500), 404 text "The record…". */
  readonly legacy: boolean;
  /** Texts in the key owner's language (messages.ts). */
  readonly messages: SimMessages;
  /** Paid seats the plan allows (null: no limit). */
  readonly paidSeats: () => number | null;
}

const ADD_MEMBER = 'ASC.People.Api.UserController.AddMember(MemberRequestDto inDto)';
const BY_EMAIL = 'ASC.People.Api.UserController.GetProfileByEmail(String email)';
const BY_ID = 'ASC.People.Api.UserController.GetById(String userid)';
/**
 * Message of DocSpace's ItemNotFoundException for users, by server version (ResponseWrapper.cs): up to v3.1 the
 * server wrote its own English text, since then the resource `ErrorUserNotFound`.
 */
export function userNotFoundMessage(legacy: boolean, messages: SimMessages): string {
  return legacy ? 'The record could not be found' : messages.userNotFound;
}

/**
 * The viewer of every answer: the key owner, a DocSpace admin (an API key acts as the user who made
 * it: ONLYOFFICE/DocSpace-server:common/ASC.Api.Core/Auth/ApiKeyBearerAuthHandler.cs).
 */
export function keyOwnerViewer(store: SimStore): Viewer {
  return { ownerId: store.keyOwner.id, findAnyone: store.findAnyone };
}

/** `POST /people`, `GET /people/email`, `GET /people/:id` (UserController.AddMember, GetProfileByEmail, GetProfileByUserId). */
export function createPeopleRoutes(deps: PeopleRouteDeps): Route[] {
  const { store, legacy, messages } = deps;
  const viewer = keyOwnerViewer(store);

  function addMember(req: ApiRequest): SimResponse {
    const binder = createBinder();
    const body = isJsonObject(req.body) ? req.body : {};
    if (!isJsonObject(req.body)) {
      binder.add('$', 'The JSON value could not be converted to MemberRequestDto. Path: $.');
    }
    const email = bindString(binder, prop(body, 'email'), '$.email');
    const firstName = bindString(binder, prop(body, 'firstName'), '$.firstName');
    const lastName = bindString(binder, prop(body, 'lastName'), '$.lastName');
    const type = bindEmployeeType(binder, prop(body, 'type'), '$.type');
    if (!binder.bindingFailed()) {
      if (!passesEmailAttribute(email)) binder.add('Email', emailAttributeMessage('Email'));
      const members: [string, string | null][] = [
        ['Email', email],
        ['FirstName', firstName],
        ['LastName', lastName],
      ];
      for (const [member, value] of members) {
        if (value !== null && value.length > 255) binder.add(member, stringLengthMessage(member));
      }
    }
    if (finish(binder)) return validationProblem(req, binder.errors);

    // Guests cannot be created here by anyone (UserController.AddMember).
    if (type === EMPLOYEE_TYPE.Guest) return apiError('security', ACCESS_DENIED, ADD_MEMBER);
    if (email === null) {
      return apiError('argumentNull', "Value cannot be null. (Parameter 'address')", ADD_MEMBER);
    }
    const address = parseMailAddress(email);
    if (address === undefined) {
      const message = 'The specified string is not in the form required for an e-mail address.';
      return apiError('format', message, 'System.Net.Mail.MailAddress..ctor(String address)');
    }
    if (firstName === null) {
      return apiError('argumentNull', "Value cannot be null. (Parameter 'input')", ADD_MEMBER);
    }
    const lastOk = lastName === null || lastName === '' || isValidUserName(lastName);
    if (!isValidUserName(firstName) || !lastOk) {
      return apiError('argument', messages.incorrectUserName, ADD_MEMBER);
    }
    if (store.findByEmail(address)) {
      const where = 'ASC.Web.Core.Users.UserManagerWrapper.AddUserAsync(UserInfo userInfo)';
      return apiError(legacy ? 'exception' : 'argument', messages.emailAlreadyExists, where);
    }
    const user = store.createUser({
      email: address,
      firstName: storedName(firstName),
      lastName: storedName(lastName ?? ''),
      type: withinPaidSeats(effectiveType(type)),
      status: EMPLOYEE_STATUS.Active,
      activationStatus: ACTIVATION_STATUS.Pending,
      createdVia: 'people',
      // UserController.AddMember: `user.CreatedBy = securityContext.CurrentAccount.ID`.
      createdBy: store.keyOwner.id,
    });
    // POST /people sends the activation letter itself (UserController.AddMember).
    store.sendMail(user, 'activation');
    return success(req, toEmployeeFullDto(user, req.origin, viewer));
  }

  /**
   * UserController.AddMember catches the `TenantQuotaException` of a paid type over the plan's
   * seats and adds the user again as `EmployeeType.User`: a 200 with a User, not an error.
   */
  function withinPaidSeats(type: number): number {
    const paid = type === EMPLOYEE_TYPE.RoomAdmin || type === EMPLOYEE_TYPE.DocSpaceAdmin;
    const seats = deps.paidSeats();
    return paid && seats !== null && store.paidSeatsUsed() + 1 > seats ? EMPLOYEE_TYPE.User : type;
  }

  function getByEmail(req: ApiRequest): SimResponse {
    // ASP.NET binds an empty query value as null.
    const raw = req.query.get('email');
    const email = raw === null || raw === '' ? null : raw;
    if (email !== null) {
      const binder = createBinder();
      if (!passesEmailAttribute(email)) binder.add('email', emailAttributeMessage('email'));
      if (email.length > 255) binder.add('email', stringLengthMessage('email'));
      if (finish(binder)) return validationProblem(req, binder.errors);
    }
    if (email === null || email.trim() === '') {
      return apiError('argumentNull', "Value cannot be null. (Parameter 'email')", BY_EMAIL);
    }
    const user = store.findByEmail(email);
    if (!user) return apiError('notFound', userNotFoundMessage(legacy, messages), BY_EMAIL);
    return success(req, toEmployeeFullDto(user, req.origin, viewer));
  }

  function getById(req: ApiRequest): SimResponse {
    const wanted = req.params['id'] ?? '';
    const user = store.findById(wanted) ?? findByUserName(store.users(), wanted);
    if (!user) return apiError('notFound', userNotFoundMessage(legacy, messages), BY_ID);
    return success(req, toEmployeeFullDto(user, req.origin, viewer));
  }

  /** `GET /people/@self` (UserController.GetSelfProfile): the key owner's own profile. */
  function getSelf(req: ApiRequest): SimResponse {
    return success(req, toEmployeeFullDto(store.keyOwner, req.origin, viewer));
  }

  return [
    {
      method: 'POST',
      path: '/api/2.0/people',
      body: true,
      handle: addMember,
      subject: (body) => {
        const email = isJsonObject(body) ? prop(body, 'email') : undefined;
        return typeof email === 'string' ? { emails: [email] } : {};
      },
    },
    {
      method: 'GET',
      path: '/api/2.0/people/email',
      body: false,
      handle: getByEmail,
      subject: (_body, query) => {
        const email = query.get('email');
        return email === null ? {} : { emails: [email] };
      },
    },
    { method: 'GET', path: '/api/2.0/people/@self', body: false, handle: getSelf },
    { method: 'GET', path: '/api/2.0/people/:id', body: false, handle: getById },
  ];
}

/** `GET /people/{userid}` also accepts a user name. */
function findByUserName(users: readonly SimUser[], name: string): SimUser | undefined {
  const wanted = name.toLowerCase();
  return users.find((u) => u.userName.toLowerCase() === wanted);
}
