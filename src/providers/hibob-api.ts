import type { AxiosInstance } from 'axios';
import type { Hire } from '../domain/hire.js';
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
  return {
    async fetch(ref: HireRef): Promise<Hire> {
      const body = await hrRequest(api, {
        method: 'POST',
        path: `/v1/people/${encodeURIComponent(ref.employeeId)}`,
        data: { fields: HIBOB_FIELDS, humanReadable: 'APPEND' },
        credentialsHint:
          'check HIBOB_SERVICE_USER_ID and HIBOB_SERVICE_USER_TOKEN, and that the service user is active',
      });
      return toHire(ref.employeeId, body as Json);
    },
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

  const email = machine('root.email');
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
