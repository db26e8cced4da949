import axios, { type AxiosInstance, type AxiosResponse } from 'axios';
import type { RequestGate } from '../queue/rate-gate.js';
import { classifyAnswer, classifyFailure, errorMessage } from './classify.js';
import { DocspaceError } from './errors.js';

/** The parts of a DocSpace user (EmployeeFullDto) the worker uses. */
export interface DocspaceUser {
  readonly id: string;
  readonly email: string;
  /** ISO date string; compared with our first attempt after a crash (DESIGN rule 7). */
  readonly registrationDate: string | undefined;
}

export type CreateUserResult =
  { readonly kind: 'created'; readonly user: DocspaceUser } | { readonly kind: 'exists' };

export interface NewUser {
  readonly email: string;
  readonly firstName: string;
  readonly lastName: string;
  /** EmployeeType integer: 4 User, 1 RoomAdmin, 3 DocSpaceAdmin. */
  readonly type: number;
}

/** What a finished request reports, for metrics and logs (never bodies, keys or query values). */
export interface RequestReport {
  readonly endpoint: string;
  readonly status: number | undefined;
  readonly durationMs: number;
}

export interface DocspaceClientDeps {
  readonly http: AxiosInstance;
  readonly gate: RequestGate;
  readonly onRequest?: (report: RequestReport) => void;
}

/** DocSpace's duplicate-email text: 400 since v3.1, 500 on servers up to v3.0 (docspace-api.md §2.2). */
const ALREADY_REGISTERED = /already registered/i;

/**
 * The DocSpace people API, as the worker needs it. Every request goes through the shared gate
 * (rate and concurrency limits) and every answer through {@link classifyAnswer}.
 */
export function createDocspaceClient(deps: DocspaceClientDeps) {
  const { http, gate } = deps;

  const call = async (
    method: 'GET' | 'POST' | 'PUT',
    path: string,
    options: { data?: unknown; params?: Record<string, string> } = {},
  ): Promise<AxiosResponse<unknown>> => {
    const endpoint = `${method} ${path}`;
    return await gate.run(async () => {
      const started = performance.now();
      try {
        const response = await http.request<unknown>({ method, url: path, ...options });
        deps.onRequest?.({
          endpoint,
          status: response.status,
          durationMs: performance.now() - started,
        });
        return response;
      } catch (err: unknown) {
        deps.onRequest?.({ endpoint, status: undefined, durationMs: performance.now() - started });
        throw classifyFailure(endpoint, err);
      }
    });
  };

  const answer = (endpoint: string, response: AxiosResponse<unknown>): unknown =>
    classifyAnswer(endpoint, {
      status: response.status,
      body: response.data,
      retryAfter: headerValue(response.headers['retry-after']),
    });

  return {
    /** `POST /api/2.0/people`; "already registered" (400, or 500 on old servers) → `exists`. */
    async createUser(user: NewUser): Promise<CreateUserResult> {
      const endpoint = 'POST /api/2.0/people';
      const response = await call('POST', '/api/2.0/people', { data: user });
      if (
        (response.status === 400 || response.status === 500) &&
        ALREADY_REGISTERED.test(errorMessage(response.data) ?? '')
      ) {
        return { kind: 'exists' };
      }
      return { kind: 'created', user: toUser(endpoint, answer(endpoint, response)) };
    },

    /** `GET /api/2.0/people/email`; undefined when DocSpace has no such user (404). */
    async findUserByEmail(email: string): Promise<DocspaceUser | undefined> {
      const endpoint = 'GET /api/2.0/people/email';
      const response = await call('GET', '/api/2.0/people/email', { params: { email } });
      if (response.status === 404) return undefined;
      return toUser(endpoint, answer(endpoint, response));
    },

    /** `POST /api/2.0/people/invite`: one call for the whole batch. */
    async inviteByEmail(emails: readonly string[], type: number): Promise<void> {
      const endpoint = 'POST /api/2.0/people/invite';
      const data = { invitations: emails.map((email) => ({ email, type })) };
      answer(endpoint, await call('POST', '/api/2.0/people/invite', { data }));
    },

    /** `PUT /api/2.0/people/invite`: re-sends the join link to users that exist. */
    async resendInvites(userIds: readonly string[]): Promise<void> {
      const endpoint = 'PUT /api/2.0/people/invite';
      const data = { userIds, resendAll: false };
      answer(endpoint, await call('PUT', '/api/2.0/people/invite', { data }));
    },
  };
}

export type DocspaceClient = ReturnType<typeof createDocspaceClient>;

/**
 * The axios instance for a portal: JSON in and out, the API key as a Bearer token, a timeout, and
 * every status handed to the classifier rather than thrown.
 */
export function createDocspaceHttp(options: {
  baseURL: string;
  apiKey: string;
  timeoutMs: number;
}): AxiosInstance {
  return axios.create({
    baseURL: options.baseURL,
    timeout: options.timeoutMs,
    headers: { Authorization: `Bearer ${options.apiKey}`, Accept: 'application/json' },
    validateStatus: () => true,
    maxRedirects: 0,
    transitional: { clarifyTimeoutError: true, silentJSONParsing: true, forcedJSONParsing: true },
  });
}

function toUser(endpoint: string, response: unknown): DocspaceUser {
  if (typeof response === 'object' && response !== null) {
    const record = response as Record<string, unknown>;
    const id = record['id'];
    const email = record['email'];
    const registrationDate = record['registrationDate'];
    if (typeof id === 'string' && id !== '') {
      return {
        id,
        email: typeof email === 'string' ? email : '',
        registrationDate: typeof registrationDate === 'string' ? registrationDate : undefined,
      };
    }
  }
  throw new DocspaceError({
    kind: 'lasting',
    endpoint,
    message: `${endpoint} answered without a user id; is DOCSPACE_URL a DocSpace portal?`,
  });
}

function headerValue(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}
