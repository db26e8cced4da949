import { PayloadError, ServiceError, type ErrorDetail } from '../errors.js';
import { isSafeId, SAFE_ID_RULE } from './safe-id.js';
import type { HireItem } from '../domain/hire-item.js';
import type { ProviderEvent, WebhookRequest } from './types.js';
import { isObject } from '../domain/is-object.js';
import { BAMBOOHR_DELETED, namesStatusField } from './leaver-events.js';
import { bambooHrNamesMoverField, moverItem } from './mover-events.js';

/**
 * Reading BambooHR webhook bodies, in both of its structures and both of its encodings.
 *
 * - Event-based (recommended): `{"type":"employee.created","timestamp":…,"data":{"companyId",
 *   "employeeId","changedFields"}}`; `employee.created` names the person only, so the worker fetches
 *   them (https://documentation.bamboohr.com/docs/event-based-webhooks,
 *   https://documentation.bamboohr.com/reference/employee-created-webhook).
 * - Field-based (legacy "global"): `{"employees":[{"action":"Created","id":"123","fields":{…},
 *   "changedFields":[…]}]}`, several employees per delivery; for Created, `fields` and
 *   `changedFields` are empty (https://documentation.bamboohr.com/docs/field-based-webhooks).
 * - Both can be posted as JSON or as a form post (URL-encoded, PHP-style brackets: `type=…&
 *   data[companyId]=…&data[changedFields][0]=firstName`, same pages).
 *
 * "Create-then-initialize": a new employee fires `employee.created` and then `employee.updated`
 * (employee-created-webhook page). The create provisions. An update that changes the work email
 * (`changedFields` names it, or names nothing) becomes a reference marked `onlyIfAwaitingEmail`:
 * the worker provisions the person only if their create was skipped for lacking a work email
 * (create first, fill in later is common), and does nothing for anyone else, so an email change
 * never makes a second account. An update that names a department, location or job title is a
 * mover (src/providers/mover-events.ts): with `PROVISIONING_RULES` the worker moves the person's
 * rule groups and rooms. Other updates and deletes are ignored.
 */

const SOURCE = 'bamboohr';
const MAX_FORM_DEPTH = 8;
/**
 * Most parameters read from a form post (body-parser's `urlencoded` stops at 1000 and answers 413;
 * BambooHR's legacy deliveries list several fields for each of a batch of employees, so more room).
 */
export const MAX_FORM_PARAMETERS = 10_000;

/** Reads a verified delivery: hires to fetch, or an event we do not act on. */
export function parseBambooHr(request: WebhookRequest): ProviderEvent {
  const body = decodeBody(request);
  if (!isObject(body)) throw new PayloadError('the body must be an object');
  if ('employees' in body) return parseFieldBased(body['employees']);
  const type = body['type'];
  if (typeof type !== 'string' || type === '') {
    throw new PayloadError('"type" must be a non-empty string (or "employees" for field-based)', [
      { path: 'type', message: 'required' },
    ]);
  }
  if (type === 'employee.deleted') return { kind: 'ignored', type, note: BAMBOOHR_DELETED };
  if (type !== 'employee.created' && type !== 'employee.updated') return { kind: 'ignored', type };
  const data = body['data'];
  if (!isObject(data)) {
    throw new PayloadError('"data" must be an object', [{ path: 'data', message: 'required' }]);
  }
  const problems: ErrorDetail[] = [];
  const employeeId = readId(data['employeeId'], 'data.employeeId', problems);
  // Every documented example carries companyId; without one the key is still stable.
  const companyId = readOptionalId(data['companyId'], 'data.companyId', problems);
  if (employeeId === undefined || problems.length > 0) {
    throw new PayloadError(`the payload has ${problems.length} problem(s)`, problems);
  }
  if (type === 'employee.updated') {
    const email = namesWorkEmail(data['changedFields']);
    const mover = bambooHrNamesMoverField(data['changedFields']);
    // A person is updated many times: the event's own timestamp (kept across retries, unlike the
    // signature's) tells one update from the next.
    const at = typeof body['timestamp'] === 'string' ? body['timestamp'] : '';
    // A leaver arrives this way, with the status among the changed fields: the worker reads the
    // employee and acts only on a termination it shows (docs/hr-systems.md#bamboohr). An update
    // that also names the work email or a department, location or title is both: a leaver
    // reference and a hire reference, stored under two delivery ids.
    const leaver = namesStatusField(data['changedFields'])
      ? {
          deliveryId: `employee.updated:status:${companyId ?? ''}:${employeeId}:${at}`,
          refs: [
            {
              source: SOURCE,
              employeeId,
              ...(companyId === undefined ? {} : { context: { companyId } }),
            },
          ],
        }
      : undefined;
    if (!email && !mover) {
      return leaver === undefined
        ? { kind: 'ignored', type }
        : { kind: 'leavers', type, ...leaver };
    }
    return {
      kind: 'hires',
      type,
      ...(leaver === undefined ? {} : { leavers: leaver }),
      deliveryId: `employee.updated:${companyId ?? ''}:${employeeId}:${at}`,
      items: [
        mover
          ? moverItem(SOURCE, employeeId, companyId === undefined ? undefined : { companyId }, {
              onlyIfAwaitingEmail: email,
            })
          : {
              kind: 'ref',
              ref: {
                source: SOURCE,
                employeeId,
                ...(companyId === undefined ? {} : { context: { companyId } }),
                onlyIfAwaitingEmail: true,
              },
            },
      ],
    };
  }
  return {
    kind: 'hires',
    type,
    // No delivery id header exists: event type + company + employee is stable across retries.
    deliveryId: `employee.created:${companyId ?? ''}:${employeeId}`,
    items: [
      {
        kind: 'ref',
        ref: {
          source: SOURCE,
          employeeId,
          ...(companyId === undefined ? {} : { context: { companyId } }),
        },
      },
    ],
  };
}

/**
 * The legacy structure: every `Created` entry becomes a reference (once, however often it repeats);
 * an `Updated` entry whose `changedFields` name the work email becomes one marked
 * `onlyIfAwaitingEmail`, one that names a department, location or job title a mover (see above);
 * other `Updated` and `Deleted` entries are ignored, also when
 * the create and its follow-up update come batched in one delivery. Post Fields are not used even
 * when configured: their names are admin-chosen aliases, and the API gives the same values under
 * stable names.
 */
function parseFieldBased(employees: unknown): ProviderEvent {
  if (!Array.isArray(employees)) {
    throw new PayloadError('"employees" must be an array', [
      { path: 'employees', message: 'must be an array' },
    ]);
  }
  const problems: ErrorDetail[] = [];
  const created: string[] = [];
  const updated: string[] = [];
  const updateKeys: string[] = [];
  /** Updated ids that may move the person (src/providers/mover-events.ts): id → names the email. */
  const movers = new Map<string, boolean>();
  const actions = new Set<string>();
  const statusChanges: string[] = [];
  const statusKeys: string[] = [];
  employees.forEach((entry: unknown, index) => {
    const path = `employees[${index}]`;
    if (!isObject(entry)) {
      problems.push({ path, message: 'must be an object' });
      return;
    }
    const action = entry['action'];
    if (typeof action !== 'string' || action === '') {
      problems.push({ path: `${path}.action`, message: 'required' });
      return;
    }
    actions.add(action.toLowerCase());
    // A status change is a possible leaver; the same entry may name other fields too (below).
    if (action.toLowerCase() === 'updated' && namesStatusField(entry['changedFields'])) {
      const id = readId(entry['id'], `${path}.id`, problems);
      if (id !== undefined && !statusChanges.includes(id)) {
        statusChanges.push(id);
        const at = entry['timestamp'];
        statusKeys.push(`${id}@${typeof at === 'string' || typeof at === 'number' ? at : ''}`);
      }
    }
    const email = namesWorkEmail(entry['changedFields']);
    const mover = bambooHrNamesMoverField(entry['changedFields']);
    if (action.toLowerCase() === 'updated' && (email || mover)) {
      const id = readId(entry['id'], `${path}.id`, problems);
      if (id !== undefined && !updated.includes(id)) {
        updated.push(id);
        if (mover) movers.set(id, email);
        const at = entry['timestamp'];
        updateKeys.push(`${id}@${typeof at === 'string' || typeof at === 'number' ? at : ''}`);
      }
      return;
    }
    if (action.toLowerCase() !== 'created') return;
    const id = readId(entry['id'], `${path}.id`, problems);
    if (id !== undefined && !created.includes(id)) created.push(id);
  });
  if (problems.length > 0) {
    throw new PayloadError(`the payload has ${problems.length} problem(s)`, problems);
  }
  const onlyUpdates = updated.filter((id) => !created.includes(id));
  // Status changes: possible leavers, read by the worker (see parseBambooHr), stored beside any
  // hires of the same body.
  const leavers =
    statusChanges.length === 0
      ? undefined
      : {
          deliveryId: `status:${statusKeys.join(',')}`,
          refs: statusChanges.map((employeeId) => ({ source: SOURCE, employeeId })),
        };
  if (created.length === 0 && onlyUpdates.length === 0) {
    const type = `employee_with_fields.${[...actions].join('+') || 'none'}`;
    if (leavers === undefined) return { kind: 'ignored', type };
    // Status changes only: possible leavers, read by the worker (see parseBambooHr).
    return { kind: 'leavers', type: 'employee_with_fields.updated', ...leavers };
  }
  const items: HireItem[] = [
    ...created.map((employeeId): HireItem => ({
      kind: 'ref',
      ref: { source: SOURCE, employeeId },
    })),
    ...onlyUpdates.map((employeeId): HireItem =>
      movers.has(employeeId)
        ? moverItem(SOURCE, employeeId, undefined, {
            onlyIfAwaitingEmail: movers.get(employeeId) === true,
          })
        : { kind: 'ref', ref: { source: SOURCE, employeeId, onlyIfAwaitingEmail: true } },
    ),
  ];
  return {
    kind: 'hires',
    type: created.length > 0 ? 'employee_with_fields.created' : 'employee_with_fields.updated',
    ...(leavers === undefined ? {} : { leavers }),
    // Field-based bodies carry no company id; the created ids (and each update's own timestamp)
    // are the stable part.
    deliveryId:
      onlyUpdates.length === 0
        ? `created:${created.join(',')}`
        : `created:${created.join(',')};updated:${updateKeys.join(',')}`,
    items,
  };
}

/**
 * Whether an update may have set the work email: `changedFields` names it (`workEmail` in the
 * event-based form, "Work Email" in the field-based one), or names nothing we can read.
 */
function namesWorkEmail(changedFields: unknown): boolean {
  if (!Array.isArray(changedFields) || changedFields.length === 0) return true;
  return changedFields.some(
    (field) =>
      typeof field === 'string' && field.replace(/[\s_-]/g, '').toLowerCase() === 'workemail',
  );
}

function readId(value: unknown, path: string, problems: ErrorDetail[]): string | undefined {
  if (value === undefined || value === null || value === '') {
    problems.push({ path, message: 'required' });
    return undefined;
  }
  return readOptionalId(value, path, problems);
}

function readOptionalId(value: unknown, path: string, problems: ErrorDetail[]): string | undefined {
  if (value === undefined || value === null || value === '') return undefined;
  const id = typeof value === 'number' && Number.isSafeInteger(value) ? String(value) : value;
  // BambooHR ids are numeric strings; anything else is refused before it reaches a URL path.
  if (typeof id !== 'string' || !isSafeId(id.trim())) {
    problems.push({ path, message: `must be an id (${SAFE_ID_RULE})` });
    return undefined;
  }
  return id.trim();
}

/**
 * JSON or a form post, by Content-Type; without one, by the first character (tolerant: the docs do
 * not name the header values). Anything else is answered 415.
 */
function decodeBody(request: WebhookRequest): unknown {
  const text = request.raw.toString('utf8');
  const type = request.contentType?.split(';')[0]?.trim().toLowerCase() ?? '';
  const json =
    type === 'application/json' || type.endsWith('+json') || (type === '' && /^\s*[{[]/.test(text));
  if (json) {
    try {
      return JSON.parse(text) as unknown;
    } catch {
      throw new PayloadError('the body is not valid JSON');
    }
  }
  if (type === 'application/x-www-form-urlencoded' || type === '') return decodeForm(text);
  throw new ServiceError(
    'ERR_UNSUPPORTED_MEDIA_TYPE',
    `BambooHR posts application/json or application/x-www-form-urlencoded, not ${type}`,
  );
}

/**
 * `a[b][0]=x&a[b][1]=y` → `{a:{b:['x','y']}}`, as PHP reads it (what BambooHR's format follows).
 * More than {@link MAX_FORM_PARAMETERS} parameters are refused (413) before any is decoded, and the
 * work per parameter is constant, so no body costs more than a pass over its bytes.
 */
export function decodeForm(text: string): Record<string, unknown> {
  let parameters = 0;
  for (let start = 0; start <= text.length;) {
    const end = text.indexOf('&', start);
    const stop = end === -1 ? text.length : end;
    if (stop > start) parameters += 1;
    start = stop + 1;
  }
  if (parameters > MAX_FORM_PARAMETERS) {
    throw new ServiceError(
      'ERR_BODY_TOO_LARGE',
      `the form post has ${parameters} parameters; at most ${MAX_FORM_PARAMETERS} are read`,
    );
  }
  const root: Record<string, unknown> = {};
  // Keys per object, so that `[]` appends without counting them again (which made it quadratic).
  const sizes = new WeakMap<object, number>();
  for (const [key, value] of new URLSearchParams(text)) {
    const match = /^([^[\]]+)((?:\[[^[\]]*\])*)$/.exec(key);
    const path = match
      ? [match[1] ?? '', ...[...(match[2] ?? '').matchAll(/\[([^[\]]*)\]/g)].map((m) => m[1] ?? '')]
      : [key];
    if (path.length > MAX_FORM_DEPTH || path.some(isUnsafeKey)) continue;
    assign(root, path, value, sizes);
  }
  return arrayify(root) as Record<string, unknown>;
}

/** Sets `value` at `path`; `[]` appends; the first value wins; a clash with a value is skipped. */
function assign(
  root: Record<string, unknown>,
  path: readonly string[],
  value: string,
  sizes: WeakMap<object, number>,
): void {
  let node = root;
  for (const [index, segment] of path.entries()) {
    const size = sizes.get(node) ?? 0;
    const name = segment === '' ? String(size) : segment;
    if (!Object.hasOwn(node, name)) sizes.set(node, size + 1);
    if (index === path.length - 1) {
      if (!Object.hasOwn(node, name)) node[name] = value;
      return;
    }
    const next = Object.hasOwn(node, name) ? node[name] : (node[name] = {});
    if (!isObject(next)) return;
    node = next;
  }
}

/** Objects keyed exactly 0..n-1 become arrays, depth first. */
function arrayify(value: unknown): unknown {
  if (!isObject(value)) return value;
  const keys = Object.keys(value);
  for (const key of keys) value[key] = arrayify(value[key]);
  const indexed = keys.length > 0 && keys.every((key, index) => key === String(index));
  return indexed ? keys.map((key) => value[key]) : value;
}

function isUnsafeKey(key: string): boolean {
  return key === '__proto__' || key === 'constructor' || key === 'prototype';
}
