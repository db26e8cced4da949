import { DocspaceError } from '../errors.js';
import { isPassingStatus, networkCode, PASSING_CODES, parseRetryAfter } from '../retry-table.js';

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

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
