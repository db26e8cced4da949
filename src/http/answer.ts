import type { ServerResponse } from 'node:http';

/**
 * Writes `body` as the JSON answer, straight on Node's response. What express' `res.json` adds
 * is work no webhook answer needs: a charset lookup, a SHA-1 ETag of every body and a freshness
 * check that only a GET could use (docs/performance.md#intake-levers). The headers are the ones
 * `res.json` sends, the ETag aside.
 */
export function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.statusCode = status;
  res.setHeader('Content-Type', 'application/json; charset=utf-8');
  res.setHeader('Content-Length', Buffer.byteLength(text));
  res.end(text);
}
