import { request } from 'node:http';
import { connect } from 'node:net';

/** An HTTP answer as the fuzz oracle reads it. */
export interface RawAnswer {
  readonly status: number;
  readonly contentType: string;
  readonly body: string;
}

/** POSTs `body` with exactly `headers` (node:http, so any Content-Encoding and bytes go through). */
export function send(
  url: string,
  headers: Readonly<Record<string, string>>,
  body: Buffer,
  path = '/webhooks/hires',
): Promise<RawAnswer> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: hostname,
        port,
        method: 'POST',
        path,
        headers: { ...headers, 'content-length': String(body.length) },
        timeout: 15_000,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => {
          resolve({
            status: res.statusCode ?? 0,
            contentType: res.headers['content-type'] ?? '',
            body: Buffer.concat(chunks).toString('utf8'),
          });
        });
        res.on('error', reject);
      },
    );
    req.on('timeout', () => req.destroy(new Error('no answer within 15 s')));
    req.on('error', reject);
    req.end(body);
  });
}

/**
 * Writes `bytes` on a fresh TCP connection (requests node:http would refuse to send) and reads
 * the answer until the server closes the connection. Undefined when nothing came back in time.
 */
export function sendRaw(
  url: string,
  bytes: Buffer,
  timeoutMs = 5_000,
): Promise<RawAnswer | undefined> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve) => {
    const socket = connect(Number(port), hostname);
    const chunks: Buffer[] = [];
    const timer = setTimeout(() => socket.destroy(), timeoutMs);
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.on('error', () => undefined);
    socket.on('close', () => {
      clearTimeout(timer);
      resolve(parse(Buffer.concat(chunks).toString('latin1')));
    });
    socket.write(bytes);
  });
}

function parse(text: string): RawAnswer | undefined {
  const end = text.indexOf('\r\n\r\n');
  const status = /^HTTP\/1\.[01] (\d{3})/.exec(text);
  if (end < 0 || status === null) return undefined;
  const head = text.slice(0, end);
  const contentType = /\r\ncontent-type:\s*([^\r]*)/i.exec(head)?.[1] ?? '';
  const body = Buffer.from(text.slice(end + 4), 'latin1').toString('utf8');
  return { status: Number(status[1]), contentType, body };
}
