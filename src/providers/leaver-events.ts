/**
 * The HR systems' own leaver events (docs/hr-systems.md, each provider's "Leavers" paragraph;
 * docs/design.md, rule 12).
 *
 * Every one of them is a thin notification: an employee id, never the work email or the
 * termination date. The ones that may mean a termination (Bob `employee.left`, Personio
 * `employment.terminated` and `employment.updated`, a BambooHR status change) become leaver
 * references (`kind: 'leavers'`): the worker reads the termination from the HR API and schedules
 * the disable; when the record shows none it cancels a disable the same system scheduled for the
 * person, or notes "not a leaver" (workers/offboard.ts). The ambiguous ones (a leave, a deletion)
 * are recorded (the `webhook ignored` log line carries the note below) and answered 200 `ignored`:
 * never guessed into a disable.
 */

/** Bob's "Employee terminated" event: "set as terminated or on Garden leave (whichever occurs first)". */
export const HIBOB_LEAVER_EVENT = 'employee.left';
/** Personio's effective-date event, sent "on the date of occurrence" of the termination. */
export const PERSONIO_LEAVER_EVENT = 'employment.terminated';

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

/** HiBob's lifecycle events about leaving that are not acted on (docs/hr-systems.md#hibob-bob). */
const HIBOB: Readonly<Record<string, string>> = {
  // "set to be on leave or terminated": ambiguous, never a leaver on its own.
  'employee.inactivated': 'ambiguous (fires for a leave as well as a termination): never a disable',
  // Bob access revoked at once; the termination date is unchanged and employee.left still fires.
  'employee.access.revoked.immediately':
    'Bob access revoked; the termination date is unchanged: nothing is disabled early',
  'employee.deleted': 'a deleted employee, not a termination: nothing is disabled',
};

/** Personio's leaver-related events that are not acted on (docs/hr-systems.md#personio). */
const PERSONIO: Readonly<Record<string, string>> = {
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
