import assert from 'node:assert/strict';
import type { RawAnswer } from './http-raw.js';

export interface Verdict {
  readonly status: number;
  /** `accepted`, `duplicate`, `ignored` for a 200; the error code for a 4xx. */
  readonly outcome: string;
  readonly hires: number;
}

/** Every answer is a 200 with a status, or a 4xx with the JSON error body of README.md#http; never a 5xx. */
export function judge(answer: RawAnswer, what: string): Verdict {
  const shown = `${what} → ${answer.status} ${answer.contentType} ${answer.body.slice(0, 300)}`;
  assert.ok(answer.status === 200 || (answer.status >= 400 && answer.status < 500), shown);
  assert.match(answer.contentType, /^application\/json/, `not JSON: ${shown}`);
  let body: unknown;
  try {
    body = JSON.parse(answer.body);
  } catch {
    assert.fail(`body is not JSON: ${shown}`);
  }
  const record = body as Record<string, unknown>;
  if (answer.status === 200) {
    const status = record['status'];
    assert.ok(status === 'accepted' || status === 'duplicate' || status === 'ignored', shown);
    const hires = typeof record['hires'] === 'number' ? record['hires'] : 0;
    return { status: 200, outcome: status, hires };
  }
  const error = record['error'] as Record<string, unknown> | undefined;
  assert.ok(
    typeof error?.['code'] === 'string' && error['code'].startsWith('ERR_'),
    `4xx without {"error":{"code":"ERR_…"}}: ${shown}`,
  );
  assert.equal(typeof error['message'], 'string', shown);
  assert.ok(Array.isArray(error['details']), shown);
  return { status: answer.status, outcome: error['code'], hires: 0 };
}
