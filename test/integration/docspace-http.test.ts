import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { classifyFailure } from '../../src/docspace/classify.js';
import { createDocspaceHttp } from '../../src/docspace/http.js';

const API_KEY = 'sk-test-secret-key';

interface Seen {
  readonly method: string | undefined;
  readonly url: string | undefined;
  readonly headers: IncomingMessage['headers'];
  readonly body: string;
}

describe("the portal's HTTP client (src/docspace/http.ts)", () => {
  let server: Server;
  let base: string;
  const seen: Seen[] = [];
  let answer: (req: IncomingMessage, res: ServerResponse) => void = (_req, res) => {
    res.end();
  };

  before(async () => {
    server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        seen.push({
          method: req.method,
          url: req.url,
          headers: req.headers,
          body: Buffer.concat(chunks).toString('utf8'),
        });
        answer(req, res);
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(async () => {
    server.closeAllConnections();
    await new Promise<void>((resolve) =>
      server.close(() => {
        resolve();
      }),
    );
  });

  it('sends the key as a Bearer token, the body as JSON and the parameters encoded, below the base path', async () => {
    answer = (_req, res) => {
      res.setHeader('Content-Type', 'application/json');
      res.end(JSON.stringify({ status: 0, response: { id: 'u1' } }));
    };
    const http = createDocspaceHttp({
      baseURL: `${base}/portal/`,
      apiKey: API_KEY,
      timeoutMs: 5_000,
    });
    seen.length = 0;
    const created = await http.request({
      method: 'POST',
      url: '/api/2.0/people',
      data: { email: 'Zoë+1@example.com', firstName: 'Zoë' },
    });
    const found = await http.request({
      method: 'GET',
      url: '/api/2.0/people/email',
      params: { email: 'a+b c@example.com' },
    });
    assert.deepEqual(created.data, { status: 0, response: { id: 'u1' } });
    const [post, get] = [seen.at(0), seen.at(1)];
    assert.ok(post !== undefined && get !== undefined);
    assert.equal(found.status, 200);
    assert.equal(post.method, 'POST');
    assert.equal(post.url, '/portal/api/2.0/people');
    assert.equal(post.headers.authorization, `Bearer ${API_KEY}`);
    assert.equal(post.headers['content-type'], 'application/json');
    assert.deepEqual(JSON.parse(post.body), {
      email: 'Zoë+1@example.com',
      firstName: 'Zoë',
    });
    assert.equal(get.method, 'GET');
    const url = new URL(get.url ?? '/', base);
    assert.equal(url.pathname, '/portal/api/2.0/people/email');
    assert.equal(url.searchParams.get('email'), 'a+b c@example.com');
    assert.equal(get.body, '');
  });

  it('reaches a portal at an IPv6 address', async (t) => {
    answer = (_req, res) => {
      res.end(JSON.stringify({ status: 0, response: 'ok' }));
    };
    const v6 = createServer((req, res) => {
      answer(req, res);
    });
    const listening = await new Promise<boolean>((resolve) => {
      v6.once('error', () => {
        resolve(false);
      });
      v6.listen(0, '::1', () => {
        resolve(true);
      });
    });
    if (!listening) {
      t.skip('no IPv6 loopback here');
      return;
    }
    try {
      const http = createDocspaceHttp({
        baseURL: `http://[::1]:${(v6.address() as AddressInfo).port}`,
        apiKey: API_KEY,
        timeoutMs: 5_000,
      });
      const got = await http.request({ method: 'GET', url: '/api/2.0/people/@self' });
      assert.deepEqual(got.data, { status: 0, response: 'ok' });
    } finally {
      v6.closeAllConnections();
      await new Promise<void>((resolve) =>
        v6.close(() => {
          resolve();
        }),
      );
    }
  });

  it('hands every status to the caller, with the body as text when it is not JSON and the Retry-After header', async () => {
    const http = createDocspaceHttp({ baseURL: base, apiKey: API_KEY, timeoutMs: 5_000 });
    answer = (_req, res) => {
      res.writeHead(503, { 'Retry-After': '7', 'Content-Type': 'text/html' });
      res.end('<html>busy</html>');
    };
    const busy = await http.request({ method: 'GET', url: '/api/2.0/people/@self' });
    assert.equal(busy.status, 503);
    assert.equal(busy.data, '<html>busy</html>');
    assert.equal(busy.headers['retry-after'], '7');

    answer = (_req, res) => {
      res.writeHead(302, { Location: '/login' });
      res.end();
    };
    const moved = await http.request({ method: 'GET', url: '/api/2.0/people/@self' });
    assert.equal(moved.status, 302, 'redirects are not followed');
    assert.equal(moved.data, '');
  });

  it('gives up on an answer that trickles in for longer than the timeout, as a passing failure', async () => {
    // An idle timeout (axios' `timeout` under Node) never fires while bytes keep coming; this one
    // bounds the whole request, which the circuit's probe lease relies on (src/docspace/stack.ts).
    const timers: NodeJS.Timeout[] = [];
    answer = (_req, res) => {
      res.writeHead(200, { 'Content-Type': 'application/json' });
      res.write('{"status":0,');
      const drip = setInterval(() => {
        res.write(' ');
      }, 20);
      timers.push(drip);
      res.on('close', () => {
        clearInterval(drip);
      });
    };
    const http = createDocspaceHttp({ baseURL: base, apiKey: API_KEY, timeoutMs: 200 });
    const failure = await http.request({ method: 'GET', url: '/slow' }).then(
      () => assert.fail('a trickling answer must time out'),
      (err: unknown) => err,
    );
    for (const timer of timers) clearInterval(timer);
    const classified = classifyFailure('GET /slow', failure);
    assert.equal(classified.kind, 'passing');
    assert.match(classified.message, /ETIMEDOUT/);
  });

  it('reports a refused connection by its code, as a passing failure, without the key', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((resolve) =>
      closed.close(() => {
        resolve();
      }),
    );
    const http = createDocspaceHttp({
      baseURL: `http://127.0.0.1:${port}`,
      apiKey: API_KEY,
      timeoutMs: 5_000,
    });
    const failure = await http.request({ method: 'GET', url: '/api/2.0/people/@self' }).then(
      () => assert.fail('nothing listens there'),
      (err: unknown) => err,
    );
    const classified = classifyFailure('GET /api/2.0/people/@self', failure);
    assert.equal(classified.kind, 'passing');
    assert.match(classified.message, /ECONNREFUSED/);
    assert.doesNotMatch(JSON.stringify(failure) + String(failure), new RegExp(API_KEY));
  });

  it('reports an answer cut off midway as a passing failure', async () => {
    answer = (_req, res) => {
      res.writeHead(200, { 'Content-Type': 'application/json', 'Content-Length': '100' });
      res.write('{"status":0,');
      setImmediate(() => res.socket?.destroy());
    };
    const http = createDocspaceHttp({ baseURL: base, apiKey: API_KEY, timeoutMs: 5_000 });
    const failure = await http.request({ method: 'GET', url: '/cut' }).then(
      () => assert.fail('a cut answer must fail'),
      (err: unknown) => err,
    );
    assert.equal(classifyFailure('GET /cut', failure).kind, 'passing');
  });
});
