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

/** Unix time: 10 digits of seconds or 13 of milliseconds (2001 to 2286), nothing else. */
const UNIX_SECONDS = /^\d{10}$/;
const UNIX_MILLISECONDS = /^\d{13}$/;
/** ISO 8601 date and time with an offset: `2026-01-31T18:42:00+0000`, `…:00.123Z`, `…+01:00`. */
const ISO_8601 =
  /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?)(Z|[+-]\d{2}(?::?\d{2})?)$/;

/**
 * The timestamp header as milliseconds, or undefined unless it is strictly Unix time (10 digits of
 * seconds, 13 of milliseconds) or an ISO 8601 date-time with an offset (BambooHR's examples show
 * both). Nothing looser: body and timestamp are signed as one string with no separator, so bytes
 * can be moved from the end of the body to the front of the timestamp under the same signature;
 * such a timestamp must not parse (or parse as far from now), never be waved through.
 */
export function parseBambooHrTimestamp(value: string): number | undefined {
  if (UNIX_SECONDS.test(value)) return Number(value) * 1000;
  if (UNIX_MILLISECONDS.test(value)) return Number(value);
  const iso = ISO_8601.exec(value);
  if (iso === null) return undefined;
  const offset = iso[2] ?? 'Z';
  // "+0000" and "+01" are ISO 8601 too; Date.parse reliably reads only "+00:00".
  const normalized =
    offset === 'Z' ? offset : `${offset.slice(0, 3)}:${offset.slice(3).replace(':', '') || '00'}`;
  const at = Date.parse(`${iso[1] ?? ''}${normalized}`);
  return Number.isNaN(at) ? undefined : at;
}

/**
 * Checks the timestamp (strictly Unix time or ISO 8601, no older than the retry window), then the
 * signature over the exact bytes. A timestamp that does not parse is refused: the HMAC covers body
 * and timestamp joined, so it does not pin where one ends (see {@link parseBambooHrTimestamp}).
 */
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
  const at = parseBambooHrTimestamp(timestamp);
  if (at === undefined) {
    throw new SignatureError(
      'the X-BambooHR-Timestamp is neither Unix time (10 or 13 digits) nor ISO 8601 with an offset',
    );
  }
  const age = request.now - at;
  if (age > BAMBOOHR_MAX_AGE_MS || -age > BAMBOOHR_MAX_AHEAD_MS) {
    throw new SignatureError(
      `the X-BambooHR-Timestamp is ${Math.round(age / 60_000)} minutes off our clock; refused as a replay`,
    );
  }
  const expected = Buffer.from(bambooHrSignature(key, request.raw, timestamp), 'hex');
  const given = /^[0-9a-f]{64}$/i.test(offered) ? Buffer.from(offered, 'hex') : Buffer.alloc(0);
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
    throw new SignatureError(
      'the X-BambooHR-Signature does not match; check BAMBOOHR_WEBHOOK_SECRET (the private key of this webhook)',
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
