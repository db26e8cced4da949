import type { DocspaceUser, DocspaceUserType } from '../src/docspace/client.js';
import { CircuitOpenError, DocspaceError } from '../src/errors.js';

/**
 * How far DocSpace's clock may lag ours when we decide, after a lost answer, whether a user was
 * created by our earlier attempt (registrationDate ≥ first attempt − tolerance).
 */
export const CLOCK_SKEW_TOLERANCE_MS = 2 * 60 * 1000;

export interface OwnershipQuestion {
  /** The account DocSpace has for the email (found by `GET /people/email`). */
  readonly user: DocspaceUser;
  /** The HTTP status DocSpace refused this run's create with. */
  readonly refusedWith: number | undefined;
  /** When we first sent a create for this person (any run), and when this run began. */
  readonly firstAttemptAt: number;
  readonly runStartedAt: number;
  /** The API key's owner (`GET /people/@self`), asked only when `createdBy` can settle it. */
  readonly keyOwner: () => Promise<Pick<DocspaceUser, 'id'>>;
}

/**
 * After DocSpace refused a create, whether the account it has for the email is ours: made by an
 * earlier create of ours whose answer was lost (then it is invited, docs/design.md, rule 7), or not (then
 * it existed and is never invited, rule 2). Decided from the account, never from DocSpace's text
 * (rule 10):
 *
 * - a 400 to this run's first create: not ours. DocSpace refuses with 400 before it writes
 *   anything (UserManagerWrapper.AddUserAsync checks names and the email first,
 *   ONLYOFFICE/DocSpace-server:web/ASC.Web.Core/Users/UserManagerWrapper.cs), so the account was
 *   there before we tried;
 * - registered before our first attempt (less the clock tolerance): not ours;
 * - `createdBy` names someone other than the API key's owner: not ours, whatever its date.
 *   `createdBy` cannot rule an account in on its own: the key owner may have made accounts by
 *   hand (UserController.AddMember sets `CreatedBy` to the caller,
 *   ONLYOFFICE/DocSpace-server:products/ASC.People/Server/Api/UserController.cs);
 * - otherwise ours.
 */
export async function madeByUs(question: OwnershipQuestion): Promise<boolean> {
  const { user, firstAttemptAt, runStartedAt } = question;
  if (question.refusedWith === 400 && firstAttemptAt >= runStartedAt) return false;
  if (!registeredSince(user, firstAttemptAt - CLOCK_SKEW_TOLERANCE_MS)) return false;
  if (user.createdById === undefined) return true;
  return user.createdById.toLowerCase() === (await question.keyOwner()).id.toLowerCase();
}

/** Whether DocSpace registered `user` at or after `since` (ms); unknown dates count as "no". */
function registeredSince(user: DocspaceUser, since: number): boolean {
  const at = user.registrationDate === undefined ? Number.NaN : Date.parse(user.registrationDate);
  return !Number.isNaN(at) && at >= since;
}

/** Errors after which DocSpace certainly did not create the user (a 400 refusal included). */
export function provablyNotCreated(err: unknown): boolean {
  return (
    err instanceof CircuitOpenError ||
    (err instanceof DocspaceError && (err.rateLimited || err.kind === 'lasting'))
  );
}

/** EmployeeType integers by name (ONLYOFFICE/DocSpace-server:common/ASC.Core.Common/Core/EmployeeType.cs). */
const TYPE_NAMES: Readonly<Record<number, DocspaceUserType>> = {
  1: 'RoomAdmin',
  2: 'Guest',
  3: 'DocSpaceAdmin',
  4: 'User',
};

/**
 * The paid type asked for, when DocSpace made a User instead: with the paid seats used up,
 * UserController.AddMember catches the TenantQuotaException and adds the user again as
 * `EmployeeType.User`, answering 200 (ONLYOFFICE/DocSpace-server:products/ASC.People/Server/Api/UserController.cs).
 * Undefined when the account has the type asked (or its flags are missing).
 */
export function downgradedFrom(
  requested: number,
  user: DocspaceUser,
): DocspaceUserType | undefined {
  const asked = TYPE_NAMES[requested];
  if (asked !== 'RoomAdmin' && asked !== 'DocSpaceAdmin') return undefined;
  return user.type === 'User' ? asked : undefined;
}
