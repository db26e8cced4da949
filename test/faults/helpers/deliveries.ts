import { randomBytes } from 'node:crypto';
import { signStandardWebhook } from '../../../src/domain/signature.js';

/** One hire in the generic payload (docs/hr-systems.md#the-payload). */
export interface HirePayload {
  readonly employeeId: string;
  readonly firstName: string;
  readonly lastName: string;
  readonly email: string;
}

/** What the API answered to one delivery. */
export interface DeliveryAnswer {
  readonly status: number;
  readonly body: unknown;
  readonly contentType: string;
  /** The `Retry-After` header, when there was one. */
  readonly retryAfter: string | null;
}

/** A fresh Standard Webhooks secret. */
export function newWebhookSecret(): string {
  return `whsec_${randomBytes(24).toString('base64')}`;
}

/** The JSON body of a generic `employee.hired` delivery. */
export function hiresBody(data: unknown, type = 'employee.hired'): string {
  return JSON.stringify({ type, timestamp: new Date().toISOString(), data });
}

/** Posts a signed delivery (the `webhook-id` is the sender's idempotency key). */
export async function postDelivery(
  apiUrl: string,
  secret: string,
  id: string,
  body: string,
): Promise<DeliveryAnswer> {
  const response = await fetch(`${apiUrl}/webhooks/hires`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...signStandardWebhook(secret, id, body) },
    body,
  });
  const text = await response.text();
  let parsed: unknown = text;
  try {
    parsed = JSON.parse(text);
  } catch {
    // not JSON: kept as text, the caller's assertion shows it
  }
  return {
    status: response.status,
    body: parsed,
    contentType: response.headers.get('content-type') ?? '',
    retryAfter: response.headers.get('retry-after'),
  };
}

/** The `status` field of a 200 answer (`accepted`, `duplicate`, `ignored`), else undefined. */
export function answerStatus(answer: DeliveryAnswer): string | undefined {
  const body = answer.body;
  if (answer.status !== 200 || typeof body !== 'object' || body === null) return undefined;
  const status = (body as Record<string, unknown>)['status'];
  return typeof status === 'string' ? status : undefined;
}

/** The seed of this run: `FAULT_SEED` when set (to repeat a run), else a fixed default. */
export function runSeed(fallback: number): number {
  const raw = process.env['FAULT_SEED'];
  return raw === undefined || raw === '' ? fallback : Number(raw) >>> 0;
}

/**
 * An HR sender that keeps trying: posts the delivery until it is answered 200, 250 ms after each
 * other answer; `seen` gets every answer. A 200 `duplicate` counts as stored too: an earlier
 * attempt that got 503 may have stored the jobs before Redis went, and this copy finished the store.
 */
export async function deliverUntilStored(
  apiUrl: string,
  secret: string,
  id: string,
  body: string,
  seen: (answer: DeliveryAnswer) => void,
): Promise<DeliveryAnswer> {
  for (;;) {
    const answer = await postDelivery(apiUrl, secret, id, body);
    seen(answer);
    if (answer.status === 200) return answer;
    await sleep(250);
  }
}

/** The HTTP status of a GET (0 when nothing answered within 5 s): for /healthz and /readyz. */
export async function statusOf(url: string): Promise<number> {
  try {
    return (await fetch(url, { signal: AbortSignal.timeout(5_000) })).status;
  } catch {
    return 0;
  }
}

/** Sleeps `ms`. */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
