import type { AxiosInstance } from 'axios';
import type { EmploymentReading, Hire } from '../domain/hire.js';
import { isValidEmail } from '../domain/email.js';
import { HireIncompleteError, HrApiError } from '../errors.js';
import { hrRequest } from './hr-http.js';
import type { HireRef } from '../domain/hire-item.js';
import type { HireFetcher, ProviderSettings } from './types.js';
import { isObject } from '../domain/is-object.js';

/**
 * The Bob fields a hire needs, as field IDs in dot notation (the canonical IDs of Bob's Fields
 * metadata). Bob requires `email`, `firstName`, `surname` and `work.startDate` on every employee and
 * recommends `work.department` and `work.title` (https://apidocs.hibob.com/reference/post_people.md);
 * `work.site` (also required at create, same page) is the location the rules match on (docs/rules.md).
 * `root.email` is the work email Bob signs people in with; the private one (`home.privateEmail`) is
 * never used.
 */
export const HIBOB_FIELDS = [
  'root.id',
  'root.email',
  'root.firstName',
  'root.surname',
  'work.department',
  'work.site',
  'work.title',
  'work.startDate',
] as const;

/**
 * The Bob fields a leaver's read needs. `internal.terminationDate` is the termination date (not
 * the last day of work, `employee.lastDayOfWork`, where garden leave begins and `employee.left`
 * fires: https://help.hibob.com/en/articles/1593405-employee-life-cycle-statuses); its id is not
 * in Bob's public reference pages but in the code of many Bob readers and in Bob's fields metadata
 * (`GET /v1/company/people/fields`; docs/hr-systems.md#hibob-bob, "Leavers"). `work.startDate`
 * tells an old termination from a rehire (Bob reuses the employee: "Rehire a terminated employee",
 * https://help.hibob.com/hc/en-us/articles/4409792633361).
 */
export const HIBOB_LEAVER_FIELDS = [
  'root.id',
  'root.email',
  'work.startDate',
  'internal.terminationDate',
] as const;

type Json = Record<string, unknown>;

/**
 * Reads a referenced Bob employee with "Read company employee fields by employee ID",
 * `POST /v1/people/{identifier}` (https://apidocs.hibob.com/reference/post_people-identifier), Bob's
 * single-employee read; it is a POST because the body selects `fields`. The older
 * `GET /v1/people/{id}` is marked deprecated (so is it in the SDK generated from Bob's OpenAPI,
 * https://www.npmjs.com/package/hibob). Unlike Search, it has no active-only default
 * (`showInactive` is a Search option, https://apidocs.hibob.com/docs/people-read-api-contract), so
 * a hire whose start date is ahead ("Hired") is read too, provided the service user's permission
 * group covers that lifecycle status (Merge's setup guide selects Hired, Employed…:
 * https://help.merge.dev/en/articles/6361857-hibob-service-user-authentication). Auth is HTTP
 * Basic with the service user's id and token (https://apidocs.hibob.com/reference/authorization.md).
 *
 * `humanReadable: "APPEND"` keeps machine values (ISO `startDate`) and adds a `humanReadable` node
 * with list items' names (department, title) instead of their ids
 * (https://apidocs.hibob.com/docs/how-to-work-with-lists-public-api).
 */
export function createHibobFetcher(
  settings: ProviderSettings,
  http: (baseURL: string, headers: Record<string, string>) => AxiosInstance,
): HireFetcher {
  const id = settings['HIBOB_SERVICE_USER_ID'] ?? '';
  const token = settings['HIBOB_SERVICE_USER_TOKEN'] ?? '';
  const api = http(settings['HIBOB_API_URL'] ?? '', {
    authorization: `Basic ${Buffer.from(`${id}:${token}`).toString('base64')}`,
  });
  const person = async (id: string, fields: readonly string[]) =>
    (await hrRequest(api, {
      method: 'POST',
      path: `/v1/people/${encodeURIComponent(id)}`,
      data: { fields, humanReadable: 'APPEND' },
      credentialsHint:
        'check HIBOB_SERVICE_USER_ID and HIBOB_SERVICE_USER_TOKEN, and that the service user is active',
    })) as Json;
  return {
    async fetch(ref: HireRef): Promise<Hire> {
      return toHire(ref.employeeId, await person(ref.employeeId, HIBOB_FIELDS));
    },
    async fetchEmployment(ref: HireRef): Promise<EmploymentReading> {
      return toEmployment(ref.employeeId, await person(ref.employeeId, HIBOB_LEAVER_FIELDS));
    },
  };
}

/**
 * A leaver's read of Bob: the work email (unchecked: the worker needs it only for a new leaver),
 * the termination date and the start date.
 */
export function toEmployment(employeeId: string, body: Json): EmploymentReading {
  const terminationDate = read(body, 'internal.terminationDate');
  const startDate = read(body, 'work.startDate');
  return {
    source: 'hibob',
    hireId: employeeId,
    email: read(body, 'root.email') ?? '',
    ...(terminationDate === undefined ? {} : { terminationDate }),
    ...(startDate === undefined ? {} : { startDate }),
  };
}

/**
 * Maps Bob's answer to a {@link Hire}. Bob returns each field twice: under its slash key
 * (`"/root/email": {"value": …}`) and in nested category objects (`email`, `work.department`);
 * fields the service user may not view are silently left out (200, no warning)
 * (https://apidocs.hibob.com/docs/people-read-api-contract). Both shapes are read, slash key first,
 * so either one suffices. Department, site and title come from the `humanReadable` node when
 * there is one, since their machine values are list item ids.
 */
export function toHire(employeeId: string, body: Json): Hire {
  const human = isObject(body['humanReadable']) ? body['humanReadable'] : undefined;
  const machine = (path: string) => read(body, path);
  const named = (path: string) =>
    (human === undefined ? undefined : read(human, path)) ?? machine(path);

  const email = workEmailOf(employeeId, body);
  const department = named('work.department');
  const location = named('work.site');
  const title = named('work.title');
  const startDate = machine('work.startDate');
  return {
    source: 'hibob',
    hireId: employeeId,
    email,
    firstName: machine('root.firstName') ?? '',
    lastName: machine('root.surname') ?? '',
    ...(department === undefined ? {} : { department }),
    ...(location === undefined ? {} : { location }),
    ...(title === undefined ? {} : { title }),
    ...(startDate === undefined ? {} : { startDate }),
  };
}

/** The work email (`root.email`); a passing HrApiError while Bob lags, else HireIncompleteError. */
function workEmailOf(employeeId: string, body: Json): string {
  const email = read(body, 'root.email');
  if (email === undefined) {
    // Bob documents a read-after-write lag ("Recently updated employee data may take a few seconds
    // to become available… Wait up to 20 seconds", https://apidocs.hibob.com/reference/post_people.md):
    // an email still null right after the webhook is a passing failure, retried with backoff;
    // only when the attempts are used up does the job fail, with this reason.
    throw new HrApiError({
      kind: 'passing',
      endpoint: `POST /v1/people/${employeeId}`,
      message:
        `Bob has no work email for employee ${employeeId} yet; retrying (Bob's data may lag the webhook). ` +
        `If it stays empty, add one in Bob, then replay the job (if it has one, give the service ` +
        `user's permission group View on the Email field's category)`,
    });
  }
  if (!isValidEmail(email)) {
    throw new HireIncompleteError(
      `Bob employee ${employeeId} has a work email DocSpace does not accept; fix it in Bob, then replay the job`,
    );
  }
  return email;
}

/** One field by its dot ID: the slash key's `value`, else the nested value; undefined when empty. */
function read(body: Json, fieldId: string): string | undefined {
  const [category = '', field = ''] = fieldId.split('.');
  const slash = body[`/${category}/${field}`];
  const fromSlash = isObject(slash) ? slash['value'] : undefined;
  const container = category === 'root' ? body : body[category];
  const nested = isObject(container) ? container[field] : undefined;
  return text(fromSlash) ?? text(nested);
}

function text(value: unknown): string | undefined {
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  if (typeof value !== 'string') return undefined;
  const trimmed = value.trim();
  return trimmed === '' ? undefined : trimmed;
}
