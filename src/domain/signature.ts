import { timingSafeEqual } from 'node:crypto';
import { Webhook } from 'standardwebhooks';
import { SignatureError } from '../errors.js';

/** Standard Webhooks' 5-minute window, both ways (the spec's reference library uses the same). */
export const SIGNATURE_TOLERANCE_SECONDS = 5 * 60;

export interface SignatureHeaders {
  readonly 'webhook-id'?: string | undefined;
  readonly 'webhook-timestamp'?: string | undefined;
  readonly 'webhook-signature'?: string | undefined;
}

/** Compares two digests without leaking where they differ; lengths are public (both are SHA-256). */
function constantTimeEqual(a: Buffer, b: Buffer): boolean {
  return a.length === b.length && timingSafeEqual(a, b);
}

/**
 * Verifies a Standard Webhooks delivery over the raw body with any of `secrets` (several while a
 * secret is rotated). Digests are compared in constant time; the clock is injected so tests can
 * sign in the past. Returns the `webhook-id`, the idempotency key.
 */
export function createSignatureVerifier(
  secrets: readonly string[],
  now: () => Date = () => new Date(),
) {
  const verifiers = secrets.map((secret) => new Webhook(secret));
  return function verify(rawBody: Buffer, headers: SignatureHeaders): string {
    const id = headers['webhook-id'];
    const timestamp = headers['webhook-timestamp'];
    const signature = headers['webhook-signature'];
    if (id === undefined || timestamp === undefined || signature === undefined) {
      throw new SignatureError('missing webhook-id, webhook-timestamp or webhook-signature header');
    }
    const seconds = Number(timestamp);
    if (!/^\d+$/.test(timestamp) || !Number.isSafeInteger(seconds)) {
      throw new SignatureError('webhook-timestamp must be Unix seconds');
    }
    const skew = Math.abs(now().getTime() / 1000 - seconds);
    if (skew > SIGNATURE_TOLERANCE_SECONDS) {
      throw new SignatureError('webhook-timestamp is more than 5 minutes away from now');
    }
    // The library signs (secret decoding, HMAC); the comparison is ours, in constant time, so the
    // tolerance above is judged by the injected clock rather than the library's own Date.now().
    const offered = signature
      .split(' ')
      .filter((entry) => entry.startsWith('v1,'))
      .map((entry) => Buffer.from(entry.slice(3), 'base64'));
    for (const verifier of verifiers) {
      const expected = Buffer.from(
        verifier.sign(id, new Date(seconds * 1000), rawBody).slice(3),
        'base64',
      );
      if (offered.some((candidate) => constantTimeEqual(candidate, expected))) return id;
    }
    throw new SignatureError('no signature matches any configured secret');
  };
}

/**
 * The headers a Standard Webhooks sender puts on `body` (used by the demo, tests and benchmarks).
 * @example fetch(url, { method: 'POST', body, headers: { 'content-type': 'application/json', ...signStandardWebhook(secret, 'msg_1', body) } })
 */
export function signStandardWebhook(
  secret: string,
  id: string,
  body: string,
  at: Date = new Date(),
): { 'webhook-id': string; 'webhook-timestamp': string; 'webhook-signature': string } {
  return {
    'webhook-id': id,
    'webhook-timestamp': String(Math.floor(at.getTime() / 1000)),
    'webhook-signature': new Webhook(secret).sign(id, at, body),
  };
}
