import { randomUUID } from 'node:crypto';
import { ACTIVATION_STATUS, EMPLOYEE_STATUS, EMPLOYEE_TYPE } from './constants.js';
import { formatApiDate } from './format.js';
import { sameEmailKey } from './people-rules.js';
import type { CreatedVia, MailKind, SimCall, SimMail, SimUser } from './types.js';

/** Fields needed to create a user; the store fills id, userName and registrationDate. */
export interface NewUser {
  readonly email: string;
  readonly firstName: string;
  readonly lastName: string;
  readonly type: number;
  readonly status: number;
  readonly activationStatus: number;
  readonly createdVia: CreatedVia;
  readonly createdBy?: string;
  /** When the account was registered; default now (the sim clock). */
  readonly registeredAt?: Date;
}

/** The call fields known when a request arrives. */
export type NewCall = Pick<SimCall, 'method' | 'path' | 'emails' | 'userIds'>;

/** The simulator's in-memory portal: users, sent mails and the call log. */
export interface SimStore {
  /**
   * The portal owner, who made the API key: every request acts as them
   * (ONLYOFFICE/DocSpace-server:common/ASC.Api.Core/Auth/ApiKeyBearerAuthHandler.cs).
   */
  readonly keyOwner: SimUser;
  /** Another DocSpace admin, the maker of seeded accounts marked `createdBy: 'someone-else'`. */
  readonly otherAdmin: SimUser;
  readonly users: () => readonly SimUser[];
  readonly mails: () => readonly SimMail[];
  readonly calls: () => readonly SimCall[];
  readonly findByEmail: (email: string) => SimUser | undefined;
  readonly findById: (id: string) => SimUser | undefined;
  /** A user, the key owner or the other admin, by id (to show who made an account). */
  readonly findAnyone: (id: string) => SimUser | undefined;
  /** Paid seats taken: Room admins and DocSpace admins among the users (CountPaidUserStatistic). */
  readonly paidSeatsUsed: () => number;
  readonly createUser: (user: NewUser) => SimUser;
  readonly removeUser: (id: string) => void;
  readonly sendMail: (user: SimUser, kind: MailKind) => void;
  readonly recordCall: (call: NewCall) => SimCall;
  readonly clear: () => void;
}

/**
 * Creates the store. Emails are indexed case-insensitively, as DocSpace's MySQL collation
 * compares them (UserQueries.UserByEmailAsync, common/ASC.Core.Common/EF/Queries/UserQueries.cs); deleted users are forgotten, so their email becomes free again.
 */
export function createSimStore(deps: { now: () => number }): SimStore {
  let users: SimUser[] = [];
  let byEmail = new Map<string, SimUser>();
  let mails: SimMail[] = [];
  let calls: SimCall[] = [];
  let seq = 0;

  /** `MakeUniqueNameAsync`: the email's local part, with a numeric suffix when taken. */
  function uniqueUserName(email: string): string {
    const base = email.trim().split('@')[0] ?? '';
    const taken = new Set(users.map((u) => u.userName.toLowerCase()));
    let candidate = base;
    for (let i = 1; taken.has(candidate.toLowerCase()); i++) candidate = `${base}${i}`;
    return candidate;
  }

  const staff = (firstName: string, lastName: string, email: string): SimUser => ({
    id: randomUUID(),
    email,
    firstName,
    lastName,
    userName: email.split('@')[0] ?? email,
    type: EMPLOYEE_TYPE.DocSpaceAdmin,
    status: EMPLOYEE_STATUS.Active,
    activationStatus: ACTIVATION_STATUS.Activated,
    registrationDate: formatApiDate(new Date(Date.UTC(2024, 0, 2))),
    createdVia: 'seed',
  });
  const keyOwner = staff('Portal', 'Owner', 'portal.owner@example.com');
  const otherAdmin = staff('Other', 'Admin', 'other.admin@example.com');

  return {
    keyOwner,
    otherAdmin,
    users: () => users,
    mails: () => mails,
    calls: () => calls,
    findByEmail: (email) => byEmail.get(sameEmailKey(email)),
    findById: (id) => {
      const wanted = id.toLowerCase();
      return users.find((u) => u.id === wanted);
    },
    findAnyone: (id) => {
      const wanted = id.toLowerCase();
      return [...users, keyOwner, otherAdmin].find((u) => u.id === wanted);
    },
    paidSeatsUsed: () =>
      users.filter(
        (u) => u.type === EMPLOYEE_TYPE.RoomAdmin || u.type === EMPLOYEE_TYPE.DocSpaceAdmin,
      ).length,
    createUser: (input) => {
      const key = sameEmailKey(input.email);
      if (byEmail.has(key)) throw new Error(`user ${input.email} already exists`);
      const registrationDate = formatApiDate(input.registeredAt ?? new Date(deps.now()));
      const user: SimUser = {
        id: randomUUID(),
        email: input.email.trim(),
        firstName: input.firstName,
        lastName: input.lastName,
        userName: uniqueUserName(input.email),
        type: input.type,
        status: input.status,
        activationStatus: input.activationStatus,
        registrationDate,
        createdVia: input.createdVia,
        ...(input.createdBy === undefined ? {} : { createdBy: input.createdBy }),
      };
      if (user.status === EMPLOYEE_STATUS.Terminated) user.terminated = registrationDate;
      users.push(user);
      byEmail.set(key, user);
      return user;
    },
    removeUser: (id) => {
      const user = users.find((u) => u.id === id);
      if (!user) return;
      users = users.filter((u) => u !== user);
      byEmail.delete(sameEmailKey(user.email));
    },
    sendMail: (user, kind) => {
      mails.push({ to: user.email, userId: user.id, kind, at: deps.now() });
    },
    recordCall: (input) => {
      seq += 1;
      const call: SimCall = {
        seq,
        at: deps.now(),
        method: input.method,
        path: input.path,
        status: 0,
        outcome: 'fault',
      };
      if (input.emails) call.emails = input.emails;
      if (input.userIds) call.userIds = input.userIds;
      calls.push(call);
      return call;
    },
    clear: () => {
      users = [];
      byEmail = new Map();
      mails = [];
      calls = [];
      seq = 0;
    },
  };
}

/** True while the user has not accepted the invitation / activation link. */
export function isPending(user: SimUser): boolean {
  return user.activationStatus === ACTIVATION_STATUS.Pending;
}
