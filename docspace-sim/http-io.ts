import type { IncomingMessage, ServerResponse } from 'node:http';
import { MAX_BODY_BYTES } from './constants.js';
import type { SimResponse } from './types.js';

/** A body larger than the simulator reads. */
export class BodyTooLargeError extends Error {
  override name = 'BodyTooLargeError' as const;
}

/**
 * Reads a request body as UTF-8.
 * @throws BodyTooLargeError past {@link MAX_BODY_BYTES}
 */
export async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY_BYTES) throw new BodyTooLargeError(`body over ${MAX_BODY_BYTES} bytes`);
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/**
 * Writes a computed response. JSON bodies use DocSpace's content type; a response without a
 * body (401, 429) gets `Content-Length: 0` and nothing else.
 */
export function writeResponse(res: ServerResponse, response: SimResponse): void {
  if (res.destroyed || res.headersSent) return;
  const headers: Record<string, string> = { ...response.headers };
  if (response.body === undefined) {
    res.writeHead(response.status, { ...headers, 'Content-Length': '0' });
    res.end();
    return;
  }
  const text = JSON.stringify(response.body);
  res.writeHead(response.status, {
    ...headers,
    'Content-Type': 'application/json; charset=utf-8',
    'Content-Length': String(Buffer.byteLength(text)),
  });
  res.end(text);
}
