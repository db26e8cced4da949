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
