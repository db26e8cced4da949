import { createHmac, timingSafeEqual } from 'node:crypto';
import { SignatureError } from '../errors.js';

/** Standard Webhooks' 5-minute window, both ways (the spec's reference library uses the same). */
export const SIGNATURE_TOLERANCE_SECONDS = 5 * 60;

/**
 * Longest `webhook-id` taken. The spec sets no limit; senders use short ids (`msg_` and a KSUID,
 * about 31 characters). The id is hashed into a Redis key and logged, so an unbounded one would be
 * free work for a forger: refused before any HMAC.
 */
export const WEBHOOK_ID_MAX_LENGTH = 256;

/** A `v1` signature is base64 of an HMAC-SHA256: exactly this many bytes once decoded. */
const SHA256_BYTES = 32;

/** The Standard Webhooks secret prefix; what follows it is the key, in base64. */
const SECRET_PREFIX = 'whsec_';
const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;

export interface SignatureHeaders {
  readonly 'webhook-id'?: string | undefined;
  readonly 'webhook-timestamp'?: string | undefined;
  readonly 'webhook-signature'?: string | undefined;
}

/** Makes an HMAC-SHA256 keyed with `key`; injected so tests can count the work done per delivery. */
export type HmacFactory = (key: Buffer) => HmacLike;

/** The part of node:crypto's Hmac the verifier uses. */
export interface HmacLike {
  update(data: string | Buffer, encoding?: 'utf8'): HmacLike;
  digest(): Buffer;
}

const nodeHmac: HmacFactory = (key) => createHmac('sha256', key);

/**
 * The key bytes of a Standard Webhooks secret: base64 after an optional `whsec_` prefix (what the
 * spec's libraries decode). Undefined when it is not base64 or decodes to nothing.
 */
export function decodeWebhookSecret(secret: string): Buffer | undefined {
  const encoded = secret.startsWith(SECRET_PREFIX) ? secret.slice(SECRET_PREFIX.length) : secret;
  if (!BASE64.test(encoded)) return undefined;
  const key = Buffer.from(encoded, 'base64');
  return key.length > 0 ? key : undefined;
}

/** base64(HMAC-SHA256(key, `${id}.${seconds}.` ‖ body)): the spec's v1 signature, over exact bytes. */
function hmacV1(hmac: HmacFactory, key: Buffer, id: string, seconds: string, body: Buffer): Buffer {
  return hmac(key).update(`${id}.${seconds}.`, 'utf8').update(body).digest();
}

/**
 * Verifies a Standard Webhooks delivery over the raw body with any of `secrets` (several while a
 * secret is rotated), and returns the `webhook-id`, the idempotency key.
 *
 * Cheap checks come first, so a forged delivery costs no HMAC: the headers, the id's length, the
 * timestamp against the injected clock, and at least one `v1,` entry that decodes to 32 bytes (the
 * length of an HMAC-SHA256). Only then is node:crypto's HMAC computed, once per secret, over the
 * bytes as received (no decoding to a string, which would change bytes that are not UTF-8), and
 * compared with every offered entry in constant time.
 */
export function createSignatureVerifier(
  secrets: readonly string[],
  now: () => number = Date.now,
  hmac: HmacFactory = nodeHmac,
) {
  const keys = secrets.flatMap((secret) => decodeWebhookSecret(secret) ?? []);
  return function verify(rawBody: Buffer, headers: SignatureHeaders): string {
    const id = headers['webhook-id'];
    const timestamp = headers['webhook-timestamp'];
    const signature = headers['webhook-signature'];
    if (id === undefined || timestamp === undefined || signature === undefined) {
      throw new SignatureError('missing webhook-id, webhook-timestamp or webhook-signature header');
    }
    if (id === '' || id.length > WEBHOOK_ID_MAX_LENGTH) {
      throw new SignatureError(`webhook-id must be 1 to ${WEBHOOK_ID_MAX_LENGTH} characters`);
    }
    const seconds = Number(timestamp);
    if (!/^\d{1,12}$/.test(timestamp) || !Number.isSafeInteger(seconds)) {
      throw new SignatureError('webhook-timestamp must be Unix seconds');
    }
    const skew = Math.abs(now() / 1000 - seconds);
    if (skew > SIGNATURE_TOLERANCE_SECONDS) {
      throw new SignatureError('webhook-timestamp is more than 5 minutes away from now');
    }
    const offered = signature
      .split(' ')
      .filter((entry) => entry.startsWith('v1,') && BASE64.test(entry.slice(3)))
      .map((entry) => Buffer.from(entry.slice(3), 'base64'))
      .filter((digest) => digest.length === SHA256_BYTES);
    if (offered.length === 0) {
      throw new SignatureError('webhook-signature has no v1 entry holding an HMAC-SHA256');
    }
    for (const key of keys) {
      const expected = hmacV1(hmac, key, id, String(seconds), rawBody);
      // Every entry is compared, so the time taken does not tell which one matched.
      let matched = false;
      for (const candidate of offered) matched = timingSafeEqual(candidate, expected) || matched;
      if (matched) return id;
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
  body: string | Buffer,
  at: Date = new Date(),
): { 'webhook-id': string; 'webhook-timestamp': string; 'webhook-signature': string } {
  const key = decodeWebhookSecret(secret);
  if (key === undefined) throw new TypeError('not a Standard Webhooks secret (whsec_<base64>)');
  const seconds = String(Math.floor(at.getTime() / 1000));
  const bytes = typeof body === 'string' ? Buffer.from(body, 'utf8') : body;
  return {
    'webhook-id': id,
    'webhook-timestamp': seconds,
    'webhook-signature': `v1,${hmacV1(nodeHmac, key, id, seconds, bytes).toString('base64')}`,
  };
}
