import { randomUUID } from 'node:crypto';
import { startHrApi, type FakeEmployment, type HrApiCall } from './hr-api.js';

/** "Endpoint to obtain an OAuth 2.0 access token" (https://developer.personio.de/reference/post_v2-auth-token.md). */
const TOKEN_PATH = '/v2/auth/token';

export const WEBHOOK_TOKEN = `pw-${randomUUID()}`;
export const CLIENT_ID = 'papi-client-7c1d';
export const CLIENT_SECRET = `papi-secret-${randomUUID()}`;

/**
 * A fake Personio API v2: `POST /v2/auth/token` (form-encoded client credentials, as
 * developer.personio.de/reference/post_v2-auth-token documents) issues tokens; `GET
 * /v2/persons/{id}` answers only to a token it issued and still holds.
 *
 * People put in `employments` (by person id) are answered from there, and so is `GET
 * /v2/persons/{id}/employments`: a list (`_data`, as Personio's list answers wrap) of one
 * employment (id `e-<person id>`) with its `termination` object `{last_working_date, reason, terminated_at,
 * termination_date, type}` (the shape a user's answer on Personio's forum shows:
 * https://developer.personio.de/discuss/696a61c9486fbb2362d81955), all null without a termination;
 * `down` answers 503. A test edits an employment in place (a termination set or removed, another
 * department) and then sends `employment.updated`, as HR would.
 *
 * Department and position: the employment carries `org_units`, "All Org Units, i.e. department and
 * team, that are to be associated with the Employment", here `[{type: 'department', id}]`, and
 * `position`, "The position object", here `{title}`
 * (https://developer.personio.de/reference/patch_v2-persons-person-id-employments-employment-id;
 * the items' fields are not in the stored copy of the reference, so these are this fake's reading).
 * `GET /v2/org-units/{id}?type=department` ("The ID of the Org Unit to be retrieved, e.g. the Org
 * Unit ID associated with an Employment", `type` required, 404 "The Org Unit with the provided id
 * could not be found", https://developer.personio.de/reference/getorgunit) answers the unit put in
 * `orgUnits` as `{id, type, name}`; a unit marked `forbidden` answers 403, as for credentials that
 * may not read it.
 */
export async function startPersonioApi(expiresIn = 86_400) {
  const tokens = new Set<string>();
  const state = { acceptCredentials: true, personsAlways401: false, down: false };
  const employments = new Map<string, PersonioEmployment>();
  const orgUnits = new Map<string, { name: string; forbidden?: boolean }>();
  const api = await startHrApi((call) => {
    if (state.down) return { status: 503, body: { errors: [{ title: 'Service Unavailable' }] } };
    if (call.method === 'POST' && call.path === TOKEN_PATH) {
      const form = new URLSearchParams(call.body);
      const ok =
        state.acceptCredentials &&
        call.headers['content-type'] === 'application/x-www-form-urlencoded' &&
        form.get('grant_type') === 'client_credentials' &&
        form.get('client_id') === CLIENT_ID &&
        form.get('client_secret') === CLIENT_SECRET;
      if (!ok) return { status: 400, body: { error: 'invalid_client' } };
      const token = `papi-${randomUUID()}`;
      tokens.add(token);
      return {
        status: 200,
        body: { access_token: token, token_type: 'Bearer', expires_in: expiresIn },
      };
    }
    const bearer = /^Bearer (.+)$/.exec(call.headers.authorization ?? '')?.[1];
    if (state.personsAlways401 || bearer === undefined || !tokens.has(bearer)) {
      return { status: 401, body: { errors: [{ title: 'Unauthorized' }] } };
    }
    const url = new URL(call.path, 'http://personio');
    const unitId = /^\/v2\/org-units\/([^/]+)$/.exec(url.pathname)?.[1];
    if (unitId !== undefined) {
      const type = url.searchParams.get('type');
      if (type === null) return { status: 400, body: { errors: [{ title: 'type is required' }] } };
      const unit = orgUnits.get(unitId);
      if (unit === undefined || type !== 'department') return { status: 404, body: { errors: [] } };
      if (unit.forbidden === true)
        return { status: 403, body: { errors: [{ title: 'Forbidden' }] } };
      return { status: 200, body: { id: unitId, type, name: unit.name } };
    }
    const listed = /^\/v2\/persons\/([^/?]+)\/employments$/.exec(call.path)?.[1];
    const personId = listed ?? /^\/v2\/persons\/([^/?]+)$/.exec(call.path)?.[1] ?? '';
    const employed = employments.get(personId);
    if (employed !== undefined && listed !== undefined) {
      const ended = employed.terminationDate;
      return {
        status: 200,
        body: {
          _data: [
            {
              id: `e-${listed}`,
              person: { id: listed },
              status: employed.active ? 'ACTIVE' : 'INACTIVE',
              ...(employed.departmentId === undefined
                ? {}
                : { org_units: [{ type: 'department', id: employed.departmentId }] }),
              ...(employed.position === undefined
                ? {}
                : { position: { title: employed.position } }),
              termination: {
                last_working_date: ended,
                reason: null,
                terminated_at: ended === null ? null : `${ended}T09:00:00Z`,
                termination_date: ended,
                type: ended === null ? null : 'EMPLOYEE',
              },
            },
          ],
        },
      };
    }
    if (employed !== undefined) {
      return {
        status: 200,
        body: { id: personId, email: employed.email, first_name: 'Lena', last_name: 'Personio' },
      };
    }
    const id = /^\/v2\/persons\/([^/?]+)$/.exec(call.path)?.[1];
    if (id === undefined || id === 'gone') return { status: 404, body: { errors: [] } };
    // Credentials without email and names among their readable attributes: Personio leaves them out.
    if (id === 'unreadable') return { status: 200, body: { id } };
    return {
      status: 200,
      body: {
        id,
        email: id === 'noemail' ? '' : `hire.${id}@example.com`,
        first_name: 'Lena',
        last_name: 'Personio',
        preferred_name: 'Len',
      },
    };
  });
  const callsTo = (path: string): HrApiCall[] => api.calls.filter((c) => c.path === path);
  return {
    ...api,
    tokens,
    state,
    employments,
    orgUnits,
    callsTo,
    tokenCalls: () => callsTo(TOKEN_PATH).length,
  };
}

/** An employment as the fake holds it: the shared leaver fields, plus its department and position. */
export interface PersonioEmployment extends FakeEmployment {
  /** The id of its department org unit (see `orgUnits`). */
  departmentId?: string;
  position?: string;
}

export type PersonioApi = Awaited<ReturnType<typeof startPersonioApi>>;
