import { randomUUID } from 'node:crypto';
import { PERSONIO_TOKEN_PATH } from '../../src/providers/personio-api.js';
import { startHrApi, type HrApiCall } from './hr-api.js';

export const WEBHOOK_TOKEN = `pw-${randomUUID()}`;
export const CLIENT_ID = 'papi-client-7c1d';
export const CLIENT_SECRET = `papi-secret-${randomUUID()}`;

/**
 * A fake Personio API v2: `POST /v2/auth/token` (form-encoded client credentials, as
 * developer.personio.de/reference/post_v2-auth-token documents) issues tokens; `GET
 * /v2/persons/{id}` answers only to a token it issued and still holds.
 */
export async function startPersonioApi(expiresIn = 86_400) {
  const tokens = new Set<string>();
  const state = { acceptCredentials: true, personsAlways401: false };
  const api = await startHrApi((call) => {
    if (call.method === 'POST' && call.path === PERSONIO_TOKEN_PATH) {
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
  return { ...api, tokens, state, callsTo, tokenCalls: () => callsTo(PERSONIO_TOKEN_PATH).length };
}

export type PersonioApi = Awaited<ReturnType<typeof startPersonioApi>>;
