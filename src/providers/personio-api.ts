import type { AxiosInstance } from 'axios';
import { isValidEmail } from '../domain/email.js';
import type { EmploymentReading, Hire } from '../domain/hire.js';
import { HireIncompleteError, HrApiError } from '../errors.js';
import { hrRequest } from './hr-http.js';
import { isSafeId } from './safe-id.js';
import type { HireRef } from '../domain/hire-item.js';
import type { HireFetcher } from './types.js';

/**
 * The worker side of Personio: reads a person named by a webhook from the Personio API v2.
 *
 * - Token: `POST /v2/auth/token`, "Endpoint to obtain an OAuth 2.0 access token using the Client
 *   Credentials Grant… The request must be formatted using the `application/x-www-form-urlencoded`
 *   media type"; among its documented 400 examples is "Bad Request - Invalid Credentials"
 *   (https://developer.personio.de/reference/post_v2-auth-token.md). The answer is read as a standard
 *   OAuth 2.0 token answer (`access_token`, `expires_in` seconds, RFC 6749 §5.1).
 * - Person: `GET /v2/persons/{id}` returns the `Person` (`id`, `email`, `first_name`,
 *   `last_name`, `preferred_name`) and "requires the personio:persons:read scope"
 *   (https://developer.personio.de/reference/get_v2-persons-id.md).
 * - Department and position live on the employment (`GET /v2/persons/{person_id}/employments`,
 *   "sorted order, with the most recent employments appearing first",
 *   https://developer.personio.de/reference/get_v2-persons-person-id-employments.md): `org_units`,
 *   "All Org Units, i.e. department and team, that are to be associated with the Employment", and
 *   `position`, "The position object"
 *   (https://developer.personio.de/reference/patch_v2-persons-person-id-employments-employment-id).
 *   The items' fields were not in the stored copies: an org unit is read as `{type, id}` (the Org
 *   Unit schema's first property is `type`), the position's text as `position.title` (or a plain
 *   string); anything else leaves them unknown. The department's name is read with
 *   `GET /v2/org-units/{id}?type=department` ("The ID of the Org Unit to be retrieved, e.g. the Org
 *   Unit ID associated with an Employment"; `type` is required; the single resource carries "full
 *   details (e.g. name, description, abbreviation)"; 404 "could not be found",
 *   https://developer.personio.de/reference/getorgunit). Office names cannot be read through API v2
 *   (vendor forum, https://developer.personio.de/discuss/67d02dda07caa4000f0a4d10), so no location.
 *   An employment or org unit these credentials may not read (403, 404) leaves the department and
 *   title unknown: the hire goes on without them (rules on department then do not match).
 * - Leavers: the termination lives on the employment too, read with
 *   `GET /v2/persons/{person_id}/employments` (list answers wrap in `_data`): its
 *   `"termination": {"last_working_date", "reason", "terminated_at", "termination_date", "type"}`
 *   (a user's answer on Personio's forum, https://developer.personio.de/discuss/696a61c9486fbb2362d81955;
 *   `terminated_at` confirmed by https://developer.personio.de/changelog/v2-post-persons-supports-writing-of-full_time_weekly_working_hours).
 *   `termination_date` is "the date employment officially ends", not the last working day
 *   (https://support.personio.de/hc/en-us/articles/4405573920285).
 */
export const PERSONIO_TOKEN_PATH = '/v2/auth/token';

/** A token is renewed this long before Personio says it expires. */
export const TOKEN_REFRESH_MARGIN_MS = 60_000;
/** How long a token is kept when the answer has no usable `expires_in` (a 401 renews it anyway). */
export const DEFAULT_TOKEN_TTL_MS = 10 * 60_000;

/**
 * Personio gives API credentials only the employee attributes ticked under "Readable employee
 * attributes" (Settings > Integrations > API credentials) and leaves the others out of its
 * answers; when the credentials may not read attributes, "the employment comes back with only
 * `id`, `person` and `status`" (vendor forum, https://developer.personio.de/discuss/696a61c9486fbb2362d81955;
 * setup: https://developers.apideck.com/connectors/personio/docs/consumer+connection). So an
 * attribute missing from the answer means the credentials cannot read it; one that is there but
 * empty means it is not filled in.
 */
const READABLE_ATTRIBUTES_FIX =
  'in Personio, Settings > Integrations > API credentials, add Email, First name and Last name to ' +
  "these credentials' readable employee attributes, then replay the job";

const CREDENTIALS_HINT =
  'check PERSONIO_CLIENT_ID and PERSONIO_CLIENT_SECRET, and that the API credentials have the personio:persons:read scope';

export interface PersonioFetcherDeps {
  /** From `createHrHttp(PERSONIO_API_URL, {})`: every status is handed to `hrRequest`. */
  readonly http: AxiosInstance;
  readonly clientId: string;
  readonly clientSecret: string;
  readonly now?: () => number;
}

interface Token {
  readonly value: string;
  readonly expiresAt: number;
}

/**
 * A {@link HireFetcher} for Personio. The access token is kept until shortly before it expires and
 * shared by concurrent fetches (one token request at a time: Personio rate-limits its auth
 * endpoint). A 401 on a kept token drops it and repeats the call once with a new token; a 401 on a
 * token just issued is lasting, with a hint about the credentials.
 */
export function createPersonioFetcher(deps: PersonioFetcherDeps): HireFetcher {
  const now = deps.now ?? Date.now;
  let cached: Token | undefined;
  let pending: Promise<Token> | undefined;

  async function requestToken(): Promise<Token> {
    const form = new URLSearchParams({
      grant_type: 'client_credentials',
      client_id: deps.clientId,
      client_secret: deps.clientSecret,
    });
    let answer: unknown;
    try {
      answer = await hrRequest(deps.http, {
        method: 'POST',
        path: PERSONIO_TOKEN_PATH,
        data: form.toString(),
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        credentialsHint: CREDENTIALS_HINT,
      });
    } catch (err: unknown) {
      if (err instanceof HrApiError && err.status === 400) {
        throw new HrApiError({
          kind: 'lasting',
          endpoint: err.endpoint,
          status: 400,
          message: `${err.message}: ${CREDENTIALS_HINT}`,
        });
      }
      throw err;
    }
    const value = field(answer, 'access_token');
    if (typeof value !== 'string' || value === '') {
      throw new HrApiError({
        kind: 'lasting',
        endpoint: `POST ${PERSONIO_TOKEN_PATH}`,
        message: `POST ${PERSONIO_TOKEN_PATH} answered without an access_token; check PERSONIO_API_URL`,
      });
    }
    const expiresIn = field(answer, 'expires_in');
    const ttl =
      typeof expiresIn === 'number' && expiresIn > 0 ? expiresIn * 1000 : DEFAULT_TOKEN_TTL_MS;
    return { value, expiresAt: now() + Math.max(ttl / 2, ttl - TOKEN_REFRESH_MARGIN_MS) };
  }

  async function token(): Promise<{ value: string; fresh: boolean }> {
    if (cached !== undefined && now() < cached.expiresAt) {
      return { value: cached.value, fresh: false };
    }
    pending ??= requestToken()
      .then((issued) => (cached = issued))
      .finally(() => {
        pending = undefined;
      });
    return { value: (await pending).value, fresh: true };
  }

  async function get(path: string, params?: Record<string, string>): Promise<unknown> {
    const call = (value: string) =>
      hrRequest(deps.http, {
        method: 'GET',
        path,
        ...(params === undefined ? {} : { params }),
        headers: { authorization: `Bearer ${value}` },
        credentialsHint: CREDENTIALS_HINT,
      });
    const first = await token();
    try {
      return await call(first.value);
    } catch (err: unknown) {
      if (!(err instanceof HrApiError) || err.status !== 401 || first.fresh) throw err;
      // Personio no longer takes the kept token (revoked, or expired early): get a new one, once.
      if (cached?.value === first.value) cached = undefined;
      return await call((await token()).value);
    }
  }

  async function readPerson(id: string, needed: readonly string[]): Promise<unknown> {
    const body = await get(`/v2/persons/${encodeURIComponent(id)}`);
    // The reference shows the Person itself; list answers wrap in `_data`, so accept both.
    const inner = field(body, '_data');
    const person = typeof inner === 'object' && inner !== null ? inner : body;
    const unreadable = needed.filter(
      (name) => !has(person, name) && (name !== 'first_name' || !has(person, 'preferred_name')),
    );
    if (unreadable.length > 0) {
      throw new HireIncompleteError(
        `Personio does not show ${unreadable.join(', ')} of employee ${id} to these API ` +
          `credentials (PERSONIO_CLIENT_ID); ${READABLE_ATTRIBUTES_FIX}`,
      );
    }
    const email = text(person, 'email');
    if (email === '') {
      throw new HireIncompleteError(
        `Personio employee ${id} has no work email; add one in Personio, then replay the job`,
      );
    }
    if (!isValidEmail(email)) {
      throw new HireIncompleteError(
        `Personio employee ${id} has an email DocSpace does not accept; correct it in Personio, then replay the job`,
      );
    }
    return person;
  }

  /** The employment the event named; else the person's most recent (one profile, one employment). */
  async function employmentOf(ref: HireRef): Promise<unknown> {
    const list = field(
      await get(`/v2/persons/${encodeURIComponent(ref.employeeId)}/employments`),
      '_data',
    );
    const employments = Array.isArray(list) ? (list as unknown[]) : [];
    const wanted = ref.context?.['employmentId'];
    return (
      employments.find((e) => wanted !== undefined && idText(field(e, 'id')) === wanted) ??
      employments[0]
    );
  }

  /** Department name and title of the person's employment, where these credentials may read them. */
  async function jobOf(ref: HireRef): Promise<{ department?: string; title?: string }> {
    const employment = await unlessUnreadable(() => employmentOf(ref));
    const position = field(employment, 'position');
    const title = typeof position === 'string' ? position.trim() : text(position, 'title');
    const units = field(employment, 'org_units');
    const unit = (Array.isArray(units) ? (units as unknown[]) : []).find(
      (u) => text(u, 'type').toLowerCase() === 'department',
    );
    const unitId = idText(field(unit, 'id'));
    const body =
      unitId !== undefined && isSafeId(unitId)
        ? await unlessUnreadable(() => get(`/v2/org-units/${unitId}`, { type: 'department' }))
        : undefined;
    const department = text(field(body, '_data') ?? body, 'name');
    return {
      ...(department === '' ? {} : { department }),
      ...(title === '' ? {} : { title }),
    };
  }

  return {
    async fetchEmployment(ref: HireRef): Promise<EmploymentReading> {
      const id = ref.employeeId;
      const person = await get(`/v2/persons/${encodeURIComponent(id)}`);
      const employment = await employmentOf(ref);
      // An attribute the credentials may not read is left out: never read that as "no termination".
      if (!has(employment, 'termination')) {
        throw new HrApiError({
          kind: 'lasting',
          endpoint: 'GET /v2/persons/{id}/employments',
          message:
            `Personio does not show the termination of employee ${id}'s employment to these API ` +
            'credentials (PERSONIO_CLIENT_ID); in Personio, Settings > Integrations > API ' +
            "credentials, add the termination attributes to these credentials' readable employee " +
            'attributes, then replay the job',
        });
      }
      const terminationDate = text(field(employment, 'termination'), 'termination_date');
      return {
        source: 'personio',
        hireId: id,
        // Unchecked: the worker needs it only for a new leaver, not for the read before a disable.
        email: text(field(person, '_data') ?? person, 'email'),
        ...(terminationDate === '' ? {} : { terminationDate }),
      };
    },
    async fetch(ref: HireRef): Promise<Hire> {
      const id = ref.employeeId;
      const person = await readPerson(id, ['email', 'first_name', 'last_name']);
      return {
        source: 'personio',
        hireId: id,
        email: text(person, 'email'),
        firstName: text(person, 'first_name') || text(person, 'preferred_name'),
        lastName: text(person, 'last_name'),
        ...(await jobOf(ref)),
      };
    },
  };
}

/** What `read` answers; undefined when these credentials may not read it (403) or it is gone (404). */
async function unlessUnreadable(read: () => Promise<unknown>): Promise<unknown> {
  try {
    return await read();
  } catch (err: unknown) {
    if (err instanceof HrApiError && (err.status === 403 || err.status === 404)) return undefined;
    throw err;
  }
}

function field(value: unknown, name: string): unknown {
  return typeof value === 'object' && value !== null
    ? (value as Record<string, unknown>)[name]
    : undefined;
}

function idText(value: unknown): string | undefined {
  return typeof value === 'string' || typeof value === 'number' ? String(value) : undefined;
}

function has(value: unknown, name: string): boolean {
  return typeof value === 'object' && value !== null && Object.hasOwn(value, name);
}

function text(value: unknown, name: string): string {
  const raw = field(value, name);
  return typeof raw === 'string' ? raw.trim() : '';
}
