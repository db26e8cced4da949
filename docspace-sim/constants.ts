/**
 * DocSpace enums and fixed values the simulator shares with its callers
 * (ONLYOFFICE/DocSpace-server: common/ASC.Core.Common/Core/EmployeeType.cs, common/ASC.Api.Core/Model/EmployeeFullDto.cs; docs/docspace.md).
 */

/**
 * The documented demo key: `sk-` + 64 zeros. It has the shape of a real DocSpace API key
 * (`sk-` + 64 lowercase hex chars, ApiKeyManager.cs) so clients that check the format accept it.
 */
export const DEMO_API_KEY = `sk-${'0'.repeat(64)}`;

/** `EmployeeType` (v3.0+ names; integers are stable across versions). */
export const EMPLOYEE_TYPE = {
  All: 0,
  RoomAdmin: 1,
  Guest: 2,
  DocSpaceAdmin: 3,
  User: 4,
} as const;

/** One of the `EmployeeType` names. */
export type EmployeeTypeName = keyof typeof EMPLOYEE_TYPE;

/** `EmployeeStatus`. */
export const EMPLOYEE_STATUS = { Active: 1, Terminated: 2, Pending: 4 } as const;

/** `EmployeeActivationStatus`. */
export const ACTIVATION_STATUS = { NotActivated: 0, Activated: 1, Pending: 2 } as const;

/**
 * Rank used by `POST /people/invite` to decide whether an existing user's type is upgraded:
 * DocSpaceAdmin > RoomAdmin > User > Guest > All (UserController.InviteUsers).
 */
export const TYPE_RANK: Readonly<Record<number, number>> = {
  [EMPLOYEE_TYPE.All]: 0,
  [EMPLOYEE_TYPE.Guest]: 1,
  [EMPLOYEE_TYPE.User]: 2,
  [EMPLOYEE_TYPE.RoomAdmin]: 3,
  [EMPLOYEE_TYPE.DocSpaceAdmin]: 4,
};

/** Maps a type name (case-insensitive, as System.Text.Json does) to its integer. */
export function employeeTypeFromName(name: string): number | undefined {
  const wanted = name.trim().toLowerCase();
  for (const [key, value] of Object.entries(EMPLOYEE_TYPE)) {
    if (key.toLowerCase() === wanted) return value;
  }
  return undefined;
}

/**
 * The type a user ends up with: DocSpace derives it from group membership and only Guest,
 * DocSpaceAdmin and User get a group, so `All` and anything else becomes Room admin (UserController.AddMember).
 */
export function effectiveType(type: number): number {
  return type === EMPLOYEE_TYPE.Guest ||
    type === EMPLOYEE_TYPE.DocSpaceAdmin ||
    type === EMPLOYEE_TYPE.User
    ? type
    : EMPLOYEE_TYPE.RoomAdmin;
}

/** Largest request body the simulator reads (bytes). */
export const MAX_BODY_BYTES = 1024 * 1024;
