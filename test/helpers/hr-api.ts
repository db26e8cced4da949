import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** One scripted answer of the fake HR API; `status: 'reset'` destroys the socket. */
export interface HrAnswer {
  readonly status: number | 'reset';
  readonly body?: unknown;
  readonly headers?: Record<string, string>;
}

export interface HrApiCall {
  readonly method: string;
  readonly path: string;
  readonly headers: IncomingMessage['headers'];
  readonly body: string;
}

/**
 * A real HTTP server standing in for an HR system's API in tests: `route(method, path)` decides the
 * answer (a function of the request, so tests can model each vendor's API), `script` queues one-shot
 * faults that come first, and `calls` records every request (to check credentials were sent).
 */
export async function startHrApi(
  route: (req: HrApiCall) => HrAnswer | Promise<HrAnswer>,
): Promise<{ url: string; calls: HrApiCall[]; script: HrAnswer[]; close: () => Promise<void> }> {
  const calls: HrApiCall[] = [];
  const script: HrAnswer[] = [];
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const call: HrApiCall = {
        method: req.method ?? 'GET',
        path: req.url ?? '/',
        headers: req.headers,
        body: Buffer.concat(chunks).toString('utf8'),
      };
      calls.push(call);
      void Promise.resolve(script.shift() ?? route(call)).then((answer) => {
        if (answer.status === 'reset') {
          req.socket.destroy();
          return;
        }
        const body = answer.body === undefined ? '' : JSON.stringify(answer.body);
        res.writeHead(answer.status, { 'content-type': 'application/json', ...answer.headers });
        res.end(body);
      });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    calls,
    script,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => {
          resolve();
        });
      }),
  };
}

/**
 * What a fake HR API holds about one employee's employment, set by tests: the work email, the
 * hire (start) date, the termination date (null: none, e.g. removed by HR) and whether the record
 * still says the person is employed.
 */
export interface FakeEmployment {
  email: string;
  hireDate: string;
  terminationDate: string | null;
  active: boolean;
}

/**
 * A fake of BambooHR's Get Employee for leavers: `GET /{companyDomain}/v1/employees/{id}?fields=…`
 * with HTTP Basic (the API key as user, any password; 401 otherwise), answering only the fields
 * asked for (https://documentation.bamboohr.com/reference/get-employee: "any requested field the
 * authenticated caller cannot view is omitted"). Field names and values as BambooHR documents them
 * (https://documentation.bamboohr.com/docs/list-of-field-names): `workEmail`, `status` ("Active
 * or Inactive"), `terminationDate` and `hireDate` (`0000-00-00` when unset), with `down` answering
 * 503 as an outage.
 */
export async function startBambooHrApi(domain: string, apiKey: string) {
  const people = new Map<string, FakeEmployment>();
  const state = { down: false };
  const auth = `Basic ${Buffer.from(`${apiKey}:x`).toString('base64')}`;
  const api = await startHrApi((call) => {
    if (state.down) return { status: 503, body: { error: 'Service Unavailable' } };
    if (call.headers.authorization !== auth) return { status: 401 };
    const url = new URL(call.path, 'http://x');
    const id = new RegExp(`^/${domain}/v1/employees/([^/]+)$`).exec(url.pathname)?.[1];
    const person = id === undefined ? undefined : people.get(id);
    if (id === undefined || person === undefined) return { status: 404 };
    const employee: Record<string, string> = {
      workEmail: person.email,
      status: person.active ? 'Active' : 'Inactive',
      terminationDate: person.terminationDate ?? '0000-00-00',
      hireDate: person.hireDate,
    };
    const body: Record<string, string> = { id };
    for (const field of (url.searchParams.get('fields') ?? '').split(',')) {
      if (Object.hasOwn(employee, field)) body[field] = employee[field] ?? '';
    }
    return { status: 200, body };
  });
  return { ...api, people, state };
}

/**
 * A fake of Bob's "Read company employee fields by employee ID", `POST /v1/people/{id}` with
 * `{fields, humanReadable}` and Basic auth of the service user
 * (https://apidocs.hibob.com/reference/post_people-identifier), answering each asked field twice as
 * Bob does: under its slash key (`"/root/email": {"value": …}`) and nested (`"root"` fields at the
 * top; https://apidocs.hibob.com/docs/people-read-api-contract). `internal.terminationDate` is the
 * termination date (null when there is none); `down` answers 503.
 */
export async function startBobApi(serviceUser: { id: string; token: string }) {
  const people = new Map<string, FakeEmployment>();
  const state = { down: false };
  const auth = `Basic ${Buffer.from(`${serviceUser.id}:${serviceUser.token}`).toString('base64')}`;
  const api = await startHrApi((call) => {
    if (state.down) return { status: 503, body: { error: 'Service Unavailable' } };
    if (call.headers.authorization !== auth)
      return { status: 401, body: { error: 'Unauthorized' } };
    const id = /^\/v1\/people\/([^/?]+)$/.exec(call.path)?.[1];
    const person = id === undefined ? undefined : people.get(decodeURIComponent(id));
    if (call.method !== 'POST' || id === undefined || person === undefined) {
      return { status: 404, body: { error: 'Employee not found' } };
    }
    const { fields = [] } = JSON.parse(call.body) as { fields?: string[] };
    const values: Record<string, string | null> = {
      'root.id': id,
      'root.email': person.email,
      'work.startDate': person.hireDate,
      'internal.terminationDate': person.terminationDate,
    };
    const body: Record<string, unknown> = {};
    for (const field of fields) {
      if (!Object.hasOwn(values, field)) continue;
      const [category = '', name = ''] = field.split('.');
      const value = values[field] ?? null;
      body[`/${category}/${name}`] = { value };
      if (category === 'root') body[name] = value;
      else body[category] = { ...(body[category] as object | undefined), [name]: value };
    }
    return { status: 200, body };
  });
  return { ...api, people, state };
}
