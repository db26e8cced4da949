import axios, { type AxiosInstance } from 'axios';
import { HrApiError } from '../errors.js';
import { isPassingStatus, networkCode, PASSING_CODES, parseRetryAfter } from '../retry-table.js';

/** An axios instance for an HR API: JSON, a timeout, every status handed to {@link hrRequest}. */
export function createHrHttp(
  baseURL: string,
  headers: Record<string, string>,
  timeoutMs = 15_000,
): AxiosInstance {
  return axios.create({
    baseURL,
    timeout: timeoutMs,
    headers: { Accept: 'application/json', ...headers },
    validateStatus: () => true,
    maxRedirects: 0,
    transitional: { clarifyTimeoutError: true, silentJSONParsing: true, forcedJSONParsing: true },
  });
}

export interface HrRequest {
  readonly method: 'GET' | 'POST';
  /** Path without query values (it names the request in errors and logs). */
  readonly path: string;
  readonly params?: Record<string, string>;
  readonly data?: unknown;
  readonly headers?: Record<string, string>;
  /** What to tell the operator on 401/403, e.g. "check BAMBOOHR_API_KEY". */
  readonly credentialsHint: string;
}

/**
 * One HR API request, classified in the same way as DocSpace calls: 2xx → the parsed body; no
 * answer, 408, 425, 429 and 5xx → passing {@link HrApiError}; other statuses → lasting. The axios
 * error is never kept: it carries the request headers, credentials included.
 */
export async function hrRequest(http: AxiosInstance, request: HrRequest): Promise<unknown> {
  const endpoint = `${request.method} ${request.path}`;
  let response;
  try {
    response = await http.request<unknown>({
      method: request.method,
      url: request.path,
      ...(request.params ? { params: request.params } : {}),
      ...(request.data === undefined ? {} : { data: request.data }),
      ...(request.headers ? { headers: request.headers } : {}),
    });
  } catch (err: unknown) {
    const code = networkCode(err);
    throw new HrApiError({
      kind: code !== undefined && PASSING_CODES.has(code) ? 'passing' : 'lasting',
      endpoint,
      message: `${endpoint} ${code === undefined ? 'could not be sent' : `got no answer (${code})`}`,
    });
  }
  const { status } = response;
  if (status >= 200 && status < 300) {
    if (typeof response.data === 'object' && response.data !== null) return response.data;
    throw new HrApiError({
      kind: 'lasting',
      endpoint,
      status,
      message: `${endpoint} answered ${status} without JSON; check the API URL`,
    });
  }
  const retryAfter: unknown = response.headers['retry-after'];
  const retryAfterMs = parseRetryAfter(typeof retryAfter === 'string' ? retryAfter : undefined);
  if (isPassingStatus(status)) {
    throw new HrApiError({
      kind: 'passing',
      endpoint,
      status,
      retryAfterMs,
      message: `${endpoint} answered ${status}`,
    });
  }
  const hint =
    status === 401 || status === 403
      ? `: ${request.credentialsHint}`
      : status === 404
        ? ': the HR system does not know this employee (deleted?) or the API URL is wrong'
        : '';
  throw new HrApiError({
    kind: 'lasting',
    endpoint,
    status,
    message: `${endpoint} answered ${status}${hint}`,
  });
}
