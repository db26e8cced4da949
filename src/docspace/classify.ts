import { DocspaceError } from '../errors.js';
import { isPassingStatus, networkCode, PASSING_CODES, parseRetryAfter } from '../retry-table.js';
import { isObject } from '../domain/is-object.js';

/** The create call, whose refusals the worker settles by a lookup (see {@link isRefusedCreate}). */
export const CREATE_USER = 'POST /api/2.0/people';

/** What DocSpace answered, as far as the classification needs it. */
export interface Answer {
  readonly status: number;
  readonly body: unknown;
  readonly retryAfter: string | undefined;
}

/**
 * The one place that decides what a DocSpace answer means. Returns the parsed envelope's `response`
 * for a success; throws {@link DocspaceError} (passing or lasting) for everything else.
 */
export function classifyAnswer(
  endpoint: string,
  answer: Answer,
  now: () => number = Date.now,
): unknown {
  const { status, body } = answer;
  if (status >= 200 && status < 300) {
    if (isObject(body) && body['status'] === 0 && 'response' in body) return body['response'];
    throw new DocspaceError({
      kind: 'lasting',
      endpoint,
      status,
      message: `${endpoint} answered ${status} with a body that is not a DocSpace envelope; is DOCSPACE_URL the portal's address?`,
    });
  }
  const detail = errorMessage(body);
  const retryAfterMs = parseRetryAfter(answer.retryAfter, now);
  if (isPassingStatus(status)) {
    return fail(
      'passing',
      endpoint,
      status,
      `${endpoint} answered ${status}${detail ? `: ${detail}` : ''}`,
      retryAfterMs,
      detail,
    );
  }
  return fail(
    'lasting',
    endpoint,
    status,
    lastingMessage(endpoint, status, detail),
    retryAfterMs,
    detail,
  );
}

/**
 * The one "already registered"-style decision: whether DocSpace itself refused a create, with a 400
 * or with a 500 that carries DocSpace's own error (a duplicate email on servers up to v3.0: a plain
 * Exception in web/ASC.Web.Core/Users/UserManagerWrapper.cs at v3.0.4-server). Such a refusal is
 * neither a success nor a sign of an unwell DocSpace: the worker looks the email up, and the account
 * it finds decides (workers/ownership.ts). It never reads the text, which is in the API key owner's
 * language (docs/design.md, rule 10); that there is one is all it asks.
 */
export function isRefusedCreate(endpoint: string, status: number, body: unknown): boolean {
  if (endpoint !== CREATE_USER) return false;
  return status === 400 || (status === 500 && errorMessage(body) !== undefined);
}

/**
 * Classifies a request that got no answer at all (or a programming error around it). The original
 * error is not kept as `cause`: an axios error carries the request headers, API key included.
 */
export function classifyFailure(endpoint: string, err: unknown): DocspaceError {
  const code = networkCode(err);
  if (code !== undefined && PASSING_CODES.has(code)) {
    return new DocspaceError({
      kind: 'passing',
      endpoint,
      message: `${endpoint} got no answer (${code})`,
    });
  }
  const message = err instanceof Error ? err.message : String(err);
  return new DocspaceError({
    kind: 'lasting',
    endpoint,
    message: `${endpoint} could not be sent: ${message}`,
  });
}

/** The message DocSpace put in an error body: `error.message`, or the model-validation `errors`. */
export function errorMessage(body: unknown): string | undefined {
  if (!isObject(body)) return undefined;
  const error = body['error'];
  if (isObject(error) && typeof error['message'] === 'string') return error['message'];
  const response = body['response'];
  if (isObject(response) && isObject(response['errors'])) {
    return Object.entries(response['errors'])
      .map(
        ([field, messages]) =>
          `${field}: ${Array.isArray(messages) ? messages.join(' ') : String(messages)}`,
      )
      .join('; ');
  }
  return undefined;
}

function lastingMessage(endpoint: string, status: number, detail: string | undefined): string {
  const said = detail ? `: ${detail}` : '';
  switch (status) {
    case 401:
      return `${endpoint} answered 401: DocSpace refused the API key; check DOCSPACE_API_KEY (active, not expired, sent as Bearer)`;
    case 402:
      return `${endpoint} answered 402${said}; the portal's plan or seat quota is exhausted`;
    case 403:
      return `${endpoint} answered 403${said}; the API key's owner may lack the right (creating this user type needs a DocSpace admin, DocSpace admins need the owner) or inviting is switched off in the portal`;
    case 404:
      return `${endpoint} answered 404${said}; check DOCSPACE_URL`;
    default:
      return `${endpoint} answered ${status}${said}`;
  }
}

function fail(
  kind: 'passing' | 'lasting',
  endpoint: string,
  status: number,
  message: string,
  retryAfterMs: number | undefined,
  upstreamMessage: string | undefined,
): never {
  throw new DocspaceError({ kind, endpoint, status, message, retryAfterMs, upstreamMessage });
}
