import type { HireItem } from '../domain/hire-item.js';
import { isObject } from '../domain/is-object.js';

/**
 * The HR systems' own update events that may move a person between rule groups and rooms
 * (docs/design.md, rule 13; docs/rules.md; docs/hr-systems.md, each provider's "Movers").
 *
 * Each is a thin notification naming the person (and, where the vendor says so, which fields
 * changed), never the new values: the worker fetches the person as they are now, and only with
 * `PROVISIONING_RULES` set (workers/resolve-hire.ts). So an update is a mover here only when the
 * fields it names are ones the rules match on (department, location, title), or when it names
 * none we can read; an update of anything else calls neither the HR API nor DocSpace.
 *
 * The mapping follows the vendors' documents as summarised in the project's reference notes on HR
 * webhooks (section "Leavers, rehires and movers", table L0):
 * - BambooHR `employee.updated` whose `changedFields` has `department`, `location` or `jobTitle`
 *   ("The changedFields array contains the API aliases for fields that changed",
 *   https://documentation.bamboohr.com/reference/employee-updated-webhook); the legacy
 *   field-based `Updated` entries name the fields as "Department", "Location", "Job Title"
 *   (https://documentation.bamboohr.com/docs/field-based-webhooks). `division` moves nobody: the
 *   rules file has no division key (src/domain/rules.ts).
 * - HiBob `employee.updated` whose `data.fieldUpdates` names `work.department`, `work.site` or
 *   `work.title` ("the payload then contains the affected field IDs in fieldUpdates",
 *   https://apidocs.hibob.com/reference/post_webhook_employee-updated), and `table.entry.created`
 *   / `table.entry.updated` with `tableId: work` (the work table holds department, site and
 *   title; https://apidocs.hibob.com/reference/post_webhook_table-entry-updated).
 * - Personio `employment.updated`, "When an employment for an employee is changed"
 *   (https://developer.personio.de/docs/event-driven-data-from-personio): ids only, and its trigger
 *   attributes are not documented, so every one is a mover reference (inference; department and
 *   position live on the employment). The same delivery is a possible leaver as well
 *   (src/providers/personio.ts).
 */

/** Personio's employment change: a mover reference and a leaver reference (see above). */
export const PERSONIO_MOVER_EVENT = 'employment.updated';

/** Rule keys (src/domain/rules.ts) by the BambooHR field names that carry them, normalised. */
const BAMBOOHR_MOVER_FIELDS: ReadonlySet<string> = new Set(['department', 'location', 'jobtitle']);

/** Bob field IDs that carry a rule key: department, site (location) and title. */
const HIBOB_MOVER_FIELDS: ReadonlySet<string> = new Set([
  'work.department',
  'work.site',
  'work.title',
]);

/** The Bob table whose entries hold department, site and title. */
const HIBOB_WORK_TABLE = 'work';

/**
 * Whether a BambooHR update's `changedFields` may move the person: it names a department, location
 * or job title (event-based alias or legacy field name), or names nothing we can read.
 */
export function bambooHrNamesMoverField(changedFields: unknown): boolean {
  if (!Array.isArray(changedFields) || changedFields.length === 0) return true;
  return changedFields.some(
    (field) =>
      typeof field === 'string' &&
      BAMBOOHR_MOVER_FIELDS.has(field.replace(/[\s_-]/g, '').toLowerCase()),
  );
}

/**
 * Whether a Bob event may move the person: `employee.updated` whose `fieldUpdates` name a work
 * department, site or title, or a `table.entry.*` of the work table.
 * `fieldUpdates` is read as field IDs, as strings or as objects with `fieldId` (Bob's reference
 * names the IDs but its stored copy shows no example of the list's items).
 */
export function hibobIsMover(type: string, data: Readonly<Record<string, unknown>>): boolean {
  if (type === 'table.entry.created' || type === 'table.entry.updated') {
    return data['tableId'] === HIBOB_WORK_TABLE;
  }
  if (type !== 'employee.updated') return false;
  const updates = data['fieldUpdates'];
  // v2 always names the changed field IDs ("If it's an update, the payload includes the updated
  // field IDs", https://apidocs.hibob.com/reference/api-calls-for-webhook-events): none, no move.
  if (!Array.isArray(updates)) return false;
  return updates.some((update) => {
    const id: unknown = isObject(update) ? update['fieldId'] : update;
    return (
      typeof id === 'string' &&
      HIBOB_MOVER_FIELDS.has(id.trim().replace(/^\//, '').replace('/', '.'))
    );
  });
}

/** The job item of a mover update: a reference the worker fetches only with rules set. */
export function moverItem(
  source: string,
  employeeId: string,
  context: Readonly<Record<string, string>> | undefined,
  options: { readonly onlyIfAwaitingEmail?: boolean } = {},
): HireItem {
  return {
    kind: 'ref',
    ref: {
      source,
      employeeId,
      ...(context === undefined ? {} : { context }),
      ...(options.onlyIfAwaitingEmail === true ? { onlyIfAwaitingEmail: true } : {}),
      mover: true,
    },
  };
}
