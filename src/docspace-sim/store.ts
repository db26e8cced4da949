import { randomUUID } from 'node:crypto';
import { normalizeEmail } from '../domain/email.js';
import { ACTIVATION_STATUS, EMPLOYEE_STATUS } from './constants.js';
import { formatApiDate } from './format.js';
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
}

/** The call fields known when a request arrives. */
export type NewCall = Pick<SimCall, 'method' | 'path' | 'emails' | 'userIds'>;

/** The simulator's in-memory portal: users, sent mails and the call log. */
export interface SimStore {
  readonly users: () => readonly SimUser[];
  readonly mails: () => readonly SimMail[];
  readonly calls: () => readonly SimCall[];
  readonly findByEmail: (email: string) => SimUser | undefined;
  readonly findById: (id: string) => SimUser | undefined;
  readonly createUser: (user: NewUser) => SimUser;
  readonly removeUser: (id: string) => void;
  readonly sendMail: (user: SimUser, kind: MailKind) => void;
  readonly recordCall: (call: NewCall) => SimCall;
  readonly clear: () => void;
}

/**
 * Creates the store. Emails are indexed case-insensitively, as DocSpace's MySQL collation
 * compares them (§2.2 step 7); deleted users are forgotten, so their email becomes free again.
 */
export function createSimStore(deps: { now: () => Date }): SimStore {
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

  return {
    users: () => users,
    mails: () => mails,
    calls: () => calls,
    findByEmail: (email) => byEmail.get(normalizeEmail(email)),
    findById: (id) => {
      const wanted = id.toLowerCase();
      return users.find((u) => u.id === wanted);
    },
    createUser: (input) => {
      const key = normalizeEmail(input.email);
      if (byEmail.has(key)) throw new Error(`user ${input.email} already exists`);
      const registrationDate = formatApiDate(deps.now());
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
      byEmail.delete(normalizeEmail(user.email));
    },
    sendMail: (user, kind) => {
      mails.push({ to: user.email, userId: user.id, kind, at: deps.now().getTime() });
    },
    recordCall: (input) => {
      seq += 1;
      const call: SimCall = {
        seq,
        at: deps.now().getTime(),
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
