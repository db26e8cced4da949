import { randomBytes } from 'node:crypto';
import type { ApiRequest, SimResponse } from './types.js';

/**
 * The .NET exceptions DocSpace's `CustomExceptionHandler` maps to HTTP statuses (common/ASC.Api.Core/Middleware/ResponseWrapper.cs).
 * `type` and `hresult` are what the real server puts in `error`; clients must not depend on them.
 */
const EXCEPTIONS = {
  argument: { status: 400, type: 'System.ArgumentException', hresult: -2147024809 },
  argumentNull: { status: 400, type: 'System.ArgumentNullException', hresult: -2147467261 },
  security: { status: 403, type: 'System.Security.SecurityException', hresult: -2146233078 },
  invalidOperation: { status: 403, type: 'System.InvalidOperationException', hresult: -2146233079 },
  notFound: { status: 404, type: 'ASC.Common.Web.ItemNotFoundException', hresult: -2146233088 },
  quota: { status: 402, type: 'ASC.Core.Tenants.TenantQuotaException', hresult: -2146233088 },
  exception: { status: 500, type: 'System.Exception', hresult: -2146233088 },
  format: { status: 500, type: 'System.FormatException', hresult: -2146233033 },
  nullReference: { status: 500, type: 'System.NullReferenceException', hresult: -2147467261 },
} as const;

/** A .NET exception kind the simulator can "throw". */
export type ExceptionKind = keyof typeof EXCEPTIONS;

/** The message every 403 from a security exception carries (CustomExceptionHandler, ResponseWrapper.cs). */
export const ACCESS_DENIED = 'Access denied';

/** Success envelope: `{response, count, links, status: 0, statusCode}` (common/ASC.Api.Core/Middleware/CommonApiResponse.cs). */
export function success(req: ApiRequest, payload: unknown): SimResponse {
  const count = Array.isArray(payload) ? payload.length : payload === null ? 0 : 1;
  return {
    status: 200,
    body: { response: payload, count, links: links(req), status: 0, statusCode: 200 },
  };
}

/**
 * Error envelope for an exception thrown by a controller action:
 * `{error: {message, type, stack, hresult}, status: 1, statusCode}`, HTTP status = statusCode.
 * `where` names the .NET frame shown in `stack` (DocSpace returns stack traces in production).
 */
export function apiError(kind: ExceptionKind, message: string, where: string): SimResponse {
  const exception = EXCEPTIONS[kind];
  return {
    status: exception.status,
    body: {
      error: { message, type: exception.type, stack: `   at ${where}`, hresult: exception.hresult },
      status: 1,
      statusCode: exception.status,
    },
  };
}

/** Error envelope without type or stack, as for a `CustomHttpException` or an outage. */
export function httpError(status: number, message: string): SimResponse {
  return {
    status,
    body: {
      error: { message, type: null, stack: null, hresult: -2146233088 },
      status: 1,
      statusCode: status,
    },
  };
}

/** Model errors keyed by PascalCase member path (`Email`, `Invitations[0].Email`, `$.type`). */
export type ModelErrors = Record<string, string[]>;

/**
 * ASP.NET's `ValidationProblemDetails`, which DocSpace wraps in `response` with `status: 1`
 * (ASP.NET Core's model validation). Clients must look in `response.errors` as well as `error.message`.
 */
export function validationProblem(req: ApiRequest, errors: ModelErrors): SimResponse {
  return {
    status: 400,
    body: {
      response: {
        type: 'https://tools.ietf.org/html/rfc9110#section-15.5.1',
        title: 'One or more validation errors occurred.',
        status: 400,
        errors,
        traceId: `00-${randomBytes(16).toString('hex')}-${randomBytes(8).toString('hex')}-00`,
      },
      count: 1,
      links: links(req),
      status: 1,
      statusCode: 400,
    },
  };
}

/** A status with no body (401 from the auth layer, 429 from the rate limiter). */
export function emptyResponse(
  status: number,
  headers: Readonly<Record<string, string>> = {},
): SimResponse {
  return { status, headers };
}

function links(req: ApiRequest): { href: string; action: string }[] {
  return [{ href: req.url, action: req.method }];
}
