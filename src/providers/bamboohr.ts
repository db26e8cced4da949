import { createHmac, timingSafeEqual } from 'node:crypto';
import { SignatureError } from '../errors.js';
import { createBambooHrFetcher } from './bamboohr-api.js';
import { parseBambooHr } from './bamboohr-payload.js';
import type { Provider, ProviderSettings, WebhookAdapter, WebhookRequest } from './types.js';

/**
 * BambooHR webhooks (`POST /webhooks/bamboohr`).
 *
 * Signature (https://documentation.bamboohr.com/docs/webhooks): every request carries
 * `X-BambooHR-Timestamp` and `X-BambooHR-Signature`, "the SHA-256 HMAC signature calculated using
 * the payload, the timestamp, and your private key"; the private key is shown once when the webhook
 * is saved. The exact construction, hex(HMAC-SHA256(key, raw body ‖ timestamp)) with no separator,
 * is what Nango documents ("the signature covers the request body followed by
 * X-BambooHR-Timestamp", https://nango.dev/docs/api-integrations/bamboohr/webhooks) and what the
 * Botpress integration computes (botpress/botpress integrations/bamboohr/src/api/signing.ts).
 *
 * Retries (https://documentation.bamboohr.com/reference/employee-created-webhook): 4xx is never
 * retried; 5xx up to 5 times at 5/10/20/40/80 minutes. So only a wrong signature is a 401.
 */

/**
 * How old a timestamp may be. BambooHR states no tolerance, and its header examples are sometimes
 * Unix seconds, sometimes ISO 8601. Whether a retry is signed anew is not documented: if it keeps
 * the first timestamp, a 5-minute window would answer its retries 401, which BambooHR never retries
 * again. So the window covers the whole retry schedule (155 minutes) with room to spare; replays
 * inside it are harmless, as the delivery id makes them duplicates.
 */
export const BAMBOOHR_MAX_AGE_MS = 3 * 60 * 60 * 1000;
/** How far ahead of our clock a timestamp may be (clock skew). */
export const BAMBOOHR_MAX_AHEAD_MS = 5 * 60 * 1000;

/** hex(HMAC-SHA256(key, raw body ‖ timestamp)): what BambooHR sends in `X-BambooHR-Signature`. */
export function bambooHrSignature(key: string, raw: Buffer, timestamp: string): string {
  return createHmac('sha256', key)
    .update(Buffer.concat([raw, Buffer.from(timestamp, 'utf8')]))
    .digest('hex');
}

/**
 * The timestamp header as milliseconds, or undefined when it is neither Unix time (seconds, or
 * milliseconds when that large) nor a date `Date.parse` reads (ISO 8601, `+0000` offsets too).
 */
export function parseBambooHrTimestamp(value: string): number | undefined {
  const trimmed = value.trim();
  if (/^\d+(\.\d+)?$/.test(trimmed)) {
    const n = Number(trimmed);
    return n > 1e11 ? n : n * 1000;
  }
  const at = Date.parse(trimmed);
  return Number.isNaN(at) ? undefined : at;
}

/** Checks the signature over the exact bytes, then (leniently) the timestamp's age. */
export function verifyBambooHr(key: string, request: WebhookRequest): void {
  const timestamp = request.header('x-bamboohr-timestamp');
  const offered = request
    .header('x-bamboohr-signature')
    ?.trim()
    .replace(/^sha256=/i, '');
  if (timestamp === undefined || timestamp === '') {
    throw new SignatureError('the X-BambooHR-Timestamp header is missing');
  }
  if (offered === undefined || offered === '') {
    throw new SignatureError('the X-BambooHR-Signature header is missing');
  }
  const expected = Buffer.from(bambooHrSignature(key, request.raw, timestamp), 'hex');
  const given = /^[0-9a-f]{64}$/i.test(offered) ? Buffer.from(offered, 'hex') : Buffer.alloc(0);
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
    throw new SignatureError(
      'the X-BambooHR-Signature does not match; check BAMBOOHR_WEBHOOK_SECRET (the private key of this webhook)',
    );
  }
  // The timestamp is covered by the HMAC; one we cannot read is accepted, not refused.
  const at = parseBambooHrTimestamp(timestamp);
  if (at === undefined) return;
  const age = request.now.getTime() - at;
  if (age > BAMBOOHR_MAX_AGE_MS || -age > BAMBOOHR_MAX_AHEAD_MS) {
    throw new SignatureError(
      `the X-BambooHR-Timestamp is ${Math.round(age / 60_000)} minutes off our clock; refused as a replay`,
    );
  }
}

/** BambooHR: event-based and legacy field-based webhooks; the worker fetches each new employee. */
export const bamboohr: Provider = {
  name: 'bamboohr',
  title: 'BambooHR',
  enabledBy: 'BAMBOOHR_WEBHOOK_SECRET',
  settings: [
    {
      env: 'BAMBOOHR_WEBHOOK_SECRET',
      description:
        'the private key BambooHR shows once when the webhook is saved (HMAC-SHA256); enables /webhooks/bamboohr',
      kind: 'secret',
    },
    {
      env: 'BAMBOOHR_COMPANY_DOMAIN',
      description: 'the company subdomain: "acme" for https://acme.bamboohr.com',
      kind: 'text',
      requiredForWorker: true,
    },
    {
      env: 'BAMBOOHR_API_KEY',
      description: 'an API key of a BambooHR user who may see names, work emails and job info',
      kind: 'secret',
      requiredForWorker: true,
    },
    {
      env: 'BAMBOOHR_API_URL',
      description: 'the BambooHR API base URL (the company domain and /v1 follow it)',
      kind: 'url',
      default: 'https://api.bamboohr.com/api/gateway.php',
    },
  ],
  createWebhook(settings: ProviderSettings): WebhookAdapter {
    const key = settings['BAMBOOHR_WEBHOOK_SECRET'] ?? '';
    return {
      verify: (request) => {
        verifyBambooHr(key, request);
      },
      parse: parseBambooHr,
    };
  },
  createFetcher: createBambooHrFetcher,
};
