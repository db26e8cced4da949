import http, { type IncomingHttpHeaders } from 'node:http';
import https from 'node:https';

/** One DocSpace request: a path below the portal's address, a JSON body, query parameters. */
export interface PortalRequest {
  readonly method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  /** The path, e.g. `/api/2.0/people`. */
  readonly url: string;
  readonly data?: unknown;
  readonly params?: Record<string, string>;
}

/** What the portal answered: any status (the classifier decides), the body parsed when JSON. */
export interface PortalResponse {
  readonly status: number;
  /** The JSON body; the text when it is not JSON; `''` when there is none. */
  readonly data: unknown;
  readonly headers: IncomingHttpHeaders;
}

/** How the client reaches the portal (src/docspace/client.ts); tests and baselines may pass another. */
export interface PortalHttp {
  request(request: PortalRequest): Promise<PortalResponse>;
}

/** A request that got no answer in time; `ETIMEDOUT` is a passing failure (src/retry-table.ts). */
class PortalTimeout extends Error {
  readonly code = 'ETIMEDOUT';
}

/**
 * The portal's HTTP client on `node:http(s)` with a keep-alive agent: the API key as a Bearer
 * token, JSON in and out, no redirects followed, every status handed to the classifier rather than
 * thrown (src/docspace/classify.ts). `timeoutMs` bounds the whole request, answer included.
 *
 * It replaced axios for the worker's DocSpace calls (docs/performance.md, "Worker levers: where a
 * job's time goes"): axios' per-request config merging, header objects and adapter cost about a
 * sixth of the worker's CPU per hire. Failures keep Node's network error codes (`ECONNRESET`,
 * `ECONNREFUSED`, …) and carry no request headers, so the API key cannot reach a log.
 */
export function createDocspaceHttp(options: {
  baseURL: string;
  apiKey: string;
  timeoutMs: number;
}): PortalHttp {
  const base = new URL(options.baseURL);
  const secure = base.protocol === 'https:';
  const transport = secure ? https : http;
  const agent = secure ? new https.Agent({ keepAlive: true }) : new http.Agent({ keepAlive: true });
  const prefix = base.pathname.replace(/\/+$/, '');
  // `[::1]` in a URL is `::1` to node:http (as its own urlToHttpOptions does).
  const hostname = base.hostname.replace(/^\[(.*)\]$/, '$1');
  const authorization = `Bearer ${options.apiKey}`;
  const { timeoutMs } = options;

  return {
    request({ method, url, data, params }: PortalRequest): Promise<PortalResponse> {
      const query = params === undefined ? '' : new URLSearchParams(params).toString();
      const path = `${prefix}${url}${query === '' ? '' : `?${query}`}`;
      const body = data === undefined ? undefined : Buffer.from(JSON.stringify(data), 'utf8');
      const headers: Record<string, string | number> = {
        Authorization: authorization,
        Accept: 'application/json',
      };
      if (body !== undefined) {
        headers['Content-Type'] = 'application/json';
        headers['Content-Length'] = body.length;
      }
      return new Promise<PortalResponse>((resolve, reject) => {
        const req = transport.request({
          protocol: base.protocol,
          hostname,
          port: base.port,
          method,
          path,
          headers,
          agent,
        });
        const timer = setTimeout(() => {
          req.destroy(new PortalTimeout(`no answer within ${timeoutMs} ms`));
        }, timeoutMs);
        const fail = (err: Error): void => {
          clearTimeout(timer);
          reject(err);
        };
        req.once('error', fail);
        req.once('response', (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (chunk: Buffer) => chunks.push(chunk));
          res.once('error', fail);
          res.once('aborted', () => {
            fail(Object.assign(new Error('the answer was cut off'), { code: 'ECONNRESET' }));
          });
          res.once('end', () => {
            clearTimeout(timer);
            if (!res.complete) {
              reject(Object.assign(new Error('the answer was cut off'), { code: 'ECONNRESET' }));
              return;
            }
            const text = Buffer.concat(chunks).toString('utf8');
            resolve({ status: res.statusCode ?? 0, data: parseBody(text), headers: res.headers });
          });
        });
        req.end(body);
      });
    },
  };
}

/** JSON when it parses, else the text itself (as axios' forced, silent JSON parsing did). */
function parseBody(text: string): unknown {
  if (text === '') return '';
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}
