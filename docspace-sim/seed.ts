import {
  ACTIVATION_STATUS,
  EMPLOYEE_STATUS,
  EMPLOYEE_TYPE,
  effectiveType,
  employeeTypeFromName,
} from './constants.js';
import type { EmployeeTypeName } from './constants.js';
import { parseMailAddress } from './mail-address.js';
import { testEmailRegex } from './people-rules.js';
import type { SimStore } from './store.js';
import type { SimUser } from './types.js';

/** A user that exists before the test or demo starts. */
export interface SeedUser {
  readonly email: string;
  readonly firstName: string;
  readonly lastName?: string;
  /** `EmployeeType` int or name; default `User` (4). */
  readonly type?: number | EmployeeTypeName;
  /** `EmployeeStatus`: 1 Active (default), 2 Terminated, 4 Pending. */
  readonly status?: number;
  /** Default: Activated (1), or Pending (2) for status 4. */
  readonly activationStatus?: number;
  /**
   * Who made the account (`createdBy`): the API key's owner (by hand, say), or another DocSpace
   * admin. Default: nobody known (self-registered through an invitation link, no `createdBy`).
   */
  readonly createdBy?: SeedCreator;
  /** When the account was registered (ISO 8601); default now. */
  readonly registeredAt?: string;
}

export const SEED_CREATORS = ['key-owner', 'someone-else'] as const;
export type SeedCreator = (typeof SEED_CREATORS)[number];

/** A seed the simulator refuses (bad field, email taken). */
export class SeedUserError extends Error {
  override name = 'SeedUserError' as const;
}

/**
 * Adds an existing account directly, without any API rule or mail (an account made earlier).
 * @throws SeedUserError
 */
export function seedUser(store: SimStore, input: SeedUser): SimUser {
  if (!testEmailRegex(input.email) || parseMailAddress(input.email) === undefined) {
    throw new SeedUserError(`invalid email: ${input.email}`);
  }
  if (store.findByEmail(input.email)) {
    throw new SeedUserError(`email already registered: ${input.email}`);
  }
  const type = typeof input.type === 'string' ? employeeTypeFromName(input.type) : input.type;
  if (type === undefined && input.type !== undefined) {
    throw new SeedUserError(`unknown type: ${String(input.type)}`);
  }
  const status = input.status ?? EMPLOYEE_STATUS.Active;
  if (!(Object.values(EMPLOYEE_STATUS) as number[]).includes(status)) {
    throw new SeedUserError(`status must be 1, 2 or 4, not ${status}`);
  }
  const pending = status === EMPLOYEE_STATUS.Pending;
  return store.createUser({
    email: input.email,
    firstName: input.firstName,
    lastName: input.lastName ?? '',
    type: effectiveType(type ?? EMPLOYEE_TYPE.User),
    status,
    activationStatus:
      input.activationStatus ?? (pending ? ACTIVATION_STATUS.Pending : ACTIVATION_STATUS.Activated),
    createdVia: 'seed',
    ...(input.registeredAt === undefined ? {} : { registeredAt: registeredAt(input.registeredAt) }),
    ...(input.createdBy === undefined
      ? {}
      : {
          createdBy: input.createdBy === 'key-owner' ? store.keyOwner.id : store.otherAdmin.id,
        }),
  });
}

function registeredAt(value: string): Date {
  const at = new Date(value);
  if (Number.isNaN(at.getTime())) throw new SeedUserError(`registeredAt is not a date: ${value}`);
  return at;
}

/**
 * Reads a seed from a JSON body (`POST /sim/users`).
 * @throws SeedUserError
 */
export function parseSeedUser(value: unknown): SeedUser {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new SeedUserError('user must be a JSON object');
  }
  const record = value as Record<string, unknown>;
  const email = record['email'];
  const firstName = record['firstName'] ?? '';
  const lastName = record['lastName'] ?? '';
  if (typeof email !== 'string') throw new SeedUserError('email must be a string');
  if (typeof firstName !== 'string' || typeof lastName !== 'string') {
    throw new SeedUserError('firstName and lastName must be strings');
  }
  const type = record['type'];
  const status = record['status'];
  const activationStatus = record['activationStatus'];
  if (type !== undefined && typeof type !== 'number' && typeof type !== 'string') {
    throw new SeedUserError('type must be a number or a type name');
  }
  if (status !== undefined && typeof status !== 'number') {
    throw new SeedUserError('status must be a number');
  }
  if (activationStatus !== undefined && typeof activationStatus !== 'number') {
    throw new SeedUserError('activationStatus must be a number');
  }
  const createdBy = SEED_CREATORS.find((c) => c === record['createdBy']);
  if (record['createdBy'] !== undefined && createdBy === undefined) {
    throw new SeedUserError(`createdBy must be one of ${SEED_CREATORS.join(', ')}`);
  }
  return {
    email,
    firstName,
    lastName,
    ...(type === undefined ? {} : { type: type as number | EmployeeTypeName }),
    ...(status === undefined ? {} : { status }),
    ...(activationStatus === undefined ? {} : { activationStatus }),
    ...(createdBy === undefined ? {} : { createdBy }),
    ...(typeof record['registeredAt'] === 'string' ? { registeredAt: record['registeredAt'] } : {}),
  };
}
