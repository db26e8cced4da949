import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A minimal DocSpace for the backlog benchmark: the three people endpoints the worker uses, with
 * the simulator's envelopes and texts, in O(1) per call. The built-in simulator makes a unique
 * user name by scanning every user on each create (docspace-sim/store.ts), which costs
 * 14 ms per create at 50,000 users and would make a 100,000-hire drain measure the simulator.
 */
export async function startFakeDocspace(latencyMs: number): Promise<{
  url: string;
  calls: () => number;
  users: () => number;
  close: () => Promise<void>;
}> {
  const users = new Map<string, { id: string; email: string; registrationDate: string }>();
  let calls = 0;
  const server = createServer((req, res) => {
    calls += 1;
    void handle(req, res);
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    let raw = '';
    for await (const chunk of req) raw += String(chunk);
    if (latencyMs > 0) await new Promise((resolve) => setTimeout(resolve, latencyMs));
    const url = new URL(req.url ?? '/', 'http://localhost');
    const route = `${req.method ?? 'GET'} ${url.pathname}`;
    if (route === 'POST /api/2.0/people') {
      const body = JSON.parse(raw) as { email: string };
      const key = body.email.toLowerCase();
      if (users.has(key)) {
        send(res, 400, {
          error: { message: 'User with this email is already registered' },
          status: 1,
          statusCode: 400,
        });
        return;
      }
      const user = {
        id: randomUUID(),
        email: body.email,
        registrationDate: new Date().toISOString(),
      };
      users.set(key, user);
      send(res, 200, { response: user, count: 1, status: 0, statusCode: 200 });
    } else if (route === 'GET /api/2.0/people/email') {
      const user = users.get((url.searchParams.get('email') ?? '').toLowerCase());
      if (user === undefined) {
        send(res, 404, {
          error: { message: 'The user could not be found' },
          status: 1,
          statusCode: 404,
        });
      } else {
        send(res, 200, { response: user, count: 1, status: 0, statusCode: 200 });
      }
    } else if (route === 'POST /api/2.0/people/invite') {
      send(res, 200, { response: [], count: 0, status: 0, statusCode: 200 });
    } else {
      send(res, 404, { error: { message: 'Not Found' }, status: 1, statusCode: 404 });
    }
  }

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    calls: () => calls,
    users: () => users.size,
    close: async () => {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

function send(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(text),
  });
  res.end(text);
}
