/**
 * The HR systems' own leaver events, recognised but not turned into disables (docs/hr-systems.md,
 * each provider's "Leavers" paragraph; docs/design.md, rule 12).
 *
 * Every one of them is a thin notification: an employee id, never the work email or the
 * termination date an `offboard` job needs (src/queue/leaver-intake.ts). Both must be fetched from
 * the HR system's API first, which the worker does not do for leavers yet; some are ambiguous on
 * their own (a leave, a deletion). So each is recorded (the `webhook ignored` log line carries the
 * note below) and answered 200 `ignored`: never guessed into a disable. The generic
 * `employee.terminated` on `/webhooks/hires` is the way to offboard someone today.
 */

const FETCH_NEEDED =
  'names the employee only: the work email and termination date must be fetched from the HR API, which is not built for leavers';

/**
 * BambooHR has no termination event: a leaver arrives as `employee.updated` (or a legacy
 * `Updated` entry) whose changed fields name the status (docs/hr-systems.md#bamboohr).
 */
export const BAMBOOHR_STATUS_CHANGE = `possible leaver (employment status changed); ${FETCH_NEEDED}`;
export const BAMBOOHR_DELETED = 'a deleted employee, not a termination: nothing is disabled';

/** Field names (event-based aliases and legacy field names) that carry a BambooHR employment status. */
const BAMBOOHR_STATUS_FIELDS: ReadonlySet<string> = new Set([
  'status',
  'employmentstatus',
  'employmenthistorystatus',
]);

/** Whether an update's `changedFields` name a status field (`status`, "Employment Status"…). */
export function namesStatusField(changedFields: unknown): boolean {
  return (
    Array.isArray(changedFields) &&
    changedFields.some(
      (field) =>
        typeof field === 'string' &&
        BAMBOOHR_STATUS_FIELDS.has(field.replace(/[\s_-]/g, '').toLowerCase()),
    )
  );
}

/** HiBob's lifecycle events about leaving (docs/hr-systems.md#hibob-bob). */
const HIBOB: Readonly<Record<string, string>> = {
  // "set as terminated or on Garden leave (whichever occurs first)": may come before the
  // termination date, which must be fetched.
  'employee.left': `leaver (terminated or garden leave); ${FETCH_NEEDED}`,
  // "set to be on leave or terminated": ambiguous, never a leaver on its own.
  'employee.inactivated': 'ambiguous (fires for a leave as well as a termination): never a disable',
  // Bob access revoked at once; the termination date is unchanged and employee.left still fires.
  'employee.access.revoked.immediately':
    'Bob access revoked; the termination date is unchanged: nothing is disabled early',
  'employee.deleted': 'a deleted employee, not a termination: nothing is disabled',
};

/** Personio's leaver-related events (docs/hr-systems.md#personio). */
const PERSONIO: Readonly<Record<string, string>> = {
  // Effective-date event, "on the date of occurrence" of the termination; dataless.
  'employment.terminated': `leaver (termination date reached); ${FETCH_NEEDED}`,
  // Its trigger attributes are not documented: a termination set or removed cannot be told apart.
  'employment.updated': 'employment changed (may set or remove a termination): not acted on',
  'employment.deleted': 'an employment removed, not a termination: nothing is disabled',
  'person.deleted': 'a deleted profile, not a termination: nothing is disabled',
};

/** The note for a HiBob event type that is about leaving, if it is one. */
export function hibobLeaverNote(type: string): string | undefined {
  return Object.hasOwn(HIBOB, type) ? HIBOB[type] : undefined;
}

/** The note for a Personio event name that is about leaving, if it is one. */
export function personioLeaverNote(type: string): string | undefined {
  return Object.hasOwn(PERSONIO, type) ? PERSONIO[type] : undefined;
}
