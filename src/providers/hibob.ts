import { createHmac, timingSafeEqual } from 'node:crypto';
import { ConfigError, PayloadError, SignatureError } from '../errors.js';
import { createHibobFetcher } from './hibob-api.js';
import { HIBOB_LEAVER_EVENT, hibobLeaverNote } from './leaver-events.js';
import { hibobIsMover, moverItem } from './mover-events.js';
import { isSafeId, SAFE_ID_RULE } from './safe-id.js';
import type {
  Provider,
  ProviderEvent,
  ProviderSettings,
  WebhookAdapter,
  WebhookRequest,
} from './types.js';
import { isObject } from '../domain/is-object.js';

/**
 * Bob documents a read-after-write lag: "Recently updated employee data may take a few seconds to
 * become available … Wait up to 20 seconds before a follow-up read"
 * (https://apidocs.hibob.com/reference/post_people.md).
 */
export const HIBOB_DEFAULT_FETCH_DELAY_MS = 20_000;

/** The body of Bob's connection test (https://apidocs.hibob.com/docs/working-with-webhooks). */
const PING_TEXT = 'Ping test';
const HEX_SHA512 = /^[0-9a-f]{128}$/i;
const BASE64 = /^[A-Za-z0-9+/_-]+={0,2}$/;

/**
 * Verifies and reads Bob webhooks (v2, customer webhooks).
 *
 * Signature: "HMAC SHA512 … on the request payload and the secret token given … sent as the header
 * attribute - Bob-Signature" (https://apidocs.hibob.com/docs/working-with-webhooks); the event
 * reference pages call it a "Base64-encoded signature"
 * (https://apidocs.hibob.com/reference/post_webhook_employee-joined). Base64 is accepted, and hex in
 * any case too, since older notes left the encoding open; both are decoded to the 64 digest bytes
 * and compared in constant time. There is no timestamp header, so no freshness check: replays are
 * absorbed by the delivery id.
 *
 * Ping: when a webhook is set up, Bob POSTs `"Ping test"` as a string, then `{"text":"Ping test"}` if
 * that failed, and wants a 2xx at once (same page), which does not say whether the test is signed.
 * A signed ping is verified like any event (a wrong secret answers 401, which is what the test is
 * for); an unsigned body that is exactly one of the two pings is answered 200: it carries no data
 * and stores nothing, and refusing it would fail Bob's connection test for good.
 */
export function createHibobWebhook(settings: ProviderSettings): WebhookAdapter {
  const secret = Buffer.from(settings['HIBOB_WEBHOOK_SECRET'] ?? '', 'utf8');
  const on = settings['HIBOB_PROVISION_ON'] ?? '';
  const provisionType = `employee.${on === '' ? 'created' : on}`;
  const delayMs = parseDelay(settings['HIBOB_FETCH_DELAY_MS'] ?? '');

  return {
    verify(request: WebhookRequest): void {
      // Bob's connection test carries no data, and Bob's docs do not say it is signed: an unsigned
      // body that is exactly the ping is let through (parse answers it 200, nothing is stored).
      // Anything else unsigned, or a ping with a wrong signature, is refused.
      if (request.header('bob-signature') === undefined && isExactPing(request.raw)) return;
      const offered = decodeSignature(request.header('bob-signature') ?? '');
      if (offered === undefined) {
        throw new SignatureError('missing or malformed Bob-Signature header (HMAC-SHA512)');
      }
      const expected = createHmac('sha512', secret).update(request.raw).digest();
      if (offered.length !== expected.length || !timingSafeEqual(offered, expected)) {
        throw new SignatureError('Bob-Signature does not match HIBOB_WEBHOOK_SECRET');
      }
    },
    parse(request: WebhookRequest): ProviderEvent {
      const text = request.raw.toString('utf8').trim();
      if (text === PING_TEXT) return { kind: 'ping' };
      let body: unknown;
      try {
        body = JSON.parse(text);
      } catch {
        throw new PayloadError('the body is not JSON');
      }
      if (body === PING_TEXT) return { kind: 'ping' };
      if (!isObject(body)) throw new PayloadError('the body must be a JSON object');
      const type = body['type'];
      if (type === undefined && body['text'] === PING_TEXT) return { kind: 'ping' };
      if (typeof type !== 'string' || type === '') {
        throw new PayloadError('"type" must be a non-empty string', [
          { path: 'type', message: 'required' },
        ]);
      }
      // v2 puts the id in `data.employeeId` (https://apidocs.hibob.com/reference/webhook-events-v2);
      // legacy v1 webhooks, still running, carried `employee.id`.
      const data = isObject(body['data']) ? body['data'] : {};
      // A department, site or title change (src/providers/mover-events.ts).
      const mover = type !== provisionType && hibobIsMover(type, data);
      // The other of employee.created / employee.joined is ignored too: a webhook subscribed to
      // both never provisions one person twice.
      if (type !== provisionType && !mover && type !== HIBOB_LEAVER_EVENT) {
        // Leaver events are recorded with why they are not acted on (docs/hr-systems.md#hibob-bob).
        const note = hibobLeaverNote(type);
        return note === undefined ? { kind: 'ignored', type } : { kind: 'ignored', type, note };
      }

      const legacy = isObject(body['employee']) ? body['employee'] : {};
      const employeeId = idText(data['employeeId']) ?? idText(legacy['id']);
      if (employeeId === undefined) {
        throw new PayloadError('"data.employeeId" is required', [
          { path: 'data.employeeId', message: 'required' },
        ]);
      }
      // The id goes into the path of Bob's API (`/v1/people/{id}`): `..` would call `/v1/`.
      if (!isSafeId(employeeId)) {
        throw new PayloadError('"data.employeeId" is not an id', [
          { path: 'data.employeeId', message: SAFE_ID_RULE },
        ]);
      }
      const companyId = idText(body['companyId']);
      if (companyId !== undefined && !isSafeId(companyId)) {
        throw new PayloadError('"companyId" is not an id', [
          { path: 'companyId', message: SAFE_ID_RULE },
        ]);
      }
      const context = companyId === undefined ? undefined : { companyId };
      const ref = { source: 'hibob', employeeId, ...(context === undefined ? {} : { context }) };
      if (type === HIBOB_LEAVER_EVENT) {
        // A leaver (docs/hr-systems.md#hibob-bob): the worker reads the termination date from Bob.
        // Someone may leave, be rehired and leave again: the event's own time tells them apart.
        const at = typeof body['triggeredAt'] === 'string' ? body['triggeredAt'] : '';
        return {
          kind: 'leavers',
          type,
          deliveryId: `${type}:${companyId ?? '-'}:${employeeId}:${at}`,
          refs: [ref],
          ...(delayMs > 0 ? { delayMs } : {}),
        };
      }
      if (mover) {
        // Updates of one person differ by when they happened and, for table entries, by entry.
        const key = [body['triggeredAt'], data['tableId'], data['effectiveDate']]
          .map((part) => (typeof part === 'string' ? part : ''))
          .join(':');
        const wait = Math.max(delayMs, untilEffective(data['effectiveDate'], request.now, delayMs));
        return {
          kind: 'hires',
          type,
          deliveryId: `${type}:${companyId ?? '-'}:${employeeId}:${key}`,
          items: [moverItem('hibob', employeeId, context)],
          ...(wait > 0 ? { delayMs: wait } : {}),
        };
      }
      return {
        kind: 'hires',
        type,
        // Bob's payload has no event or delivery id; its retries resend the same event, so the
        // event type, company and employee identify it (one created/joined event per person).
        deliveryId: `${type}:${companyId ?? '-'}:${employeeId}`,
        items: [{ kind: 'ref', ref }],
        ...(delayMs > 0 ? { delayMs } : {}),
      };
    },
  };
}

/**
 * How long until a work-table entry takes effect, plus the read lag: Bob's historical tables carry
 * `effectiveDate` (https://apidocs.hibob.com/reference/post_webhook_table-entry-updated), and an
 * entry dated ahead is sent when it is made, while the person reads as before until that day. It
 * is read at 12:00 UTC of that date, when the date has begun in every time zone (UTC-12 to
 * UTC+14), as Bob's sites each keep their own. 0 for no date, one not `YYYY-MM-DD`, or one not
 * after today (UTC): read at once.
 */
function untilEffective(date: unknown, now: number, lagMs: number): number {
  if (typeof date !== 'string' || !/^\d{4}-\d{2}-\d{2}$/.test(date)) return 0;
  if (date <= new Date(now).toISOString().slice(0, 10)) return 0;
  const at = Date.parse(`${date}T12:00:00Z`);
  return Number.isNaN(at) ? 0 : at - now + lagMs;
}

/** Whether `raw` is exactly Bob's connection test: `Ping test`, `"Ping test"` or `{"text":"Ping test"}`. */
function isExactPing(raw: Buffer): boolean {
  if (raw.length > 64) return false;
  const text = raw.toString('utf8').trim();
  if (text === PING_TEXT) return true;
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    return false;
  }
  if (body === PING_TEXT) return true;
  return isObject(body) && Object.keys(body).length === 1 && body['text'] === PING_TEXT;
}

/** The 64 bytes a Bob-Signature names, from hex (any case) or Base64 (padded or not); else undefined. */
function decodeSignature(header: string): Buffer | undefined {
  const value = header.trim();
  if (HEX_SHA512.test(value)) return Buffer.from(value, 'hex');
  if (!BASE64.test(value)) return undefined;
  const bytes = Buffer.from(value, 'base64');
  return bytes.length === 64 ? bytes : undefined;
}

function parseDelay(raw: string): number {
  if (raw === '') return HIBOB_DEFAULT_FETCH_DELAY_MS;
  const value = Number(raw);
  if (!/^\d+$/.test(raw) || !Number.isSafeInteger(value)) {
    throw new ConfigError([
      {
        path: 'HIBOB_FETCH_DELAY_MS',
        message: `must be a whole number of milliseconds, got "${raw}"`,
      },
    ]);
  }
  return value;
}

/** An id Bob sends as a string or a number (companyId is a number), trimmed; undefined if empty. */
function idText(value: unknown): string | undefined {
  if (typeof value === 'number' && Number.isSafeInteger(value)) return String(value);
  if (typeof value !== 'string') return undefined;
  const trimmed = value.trim();
  return trimmed === '' || trimmed.length > 100 ? undefined : trimmed;
}

/**
 * HiBob (Bob): `POST /webhooks/hibob`. Its v2 webhooks only name the employee
 * ("Event payload contains only identifiers and metadata. You should make API calls to retrieve
 * the necessary data", https://apidocs.hibob.com/reference/getting-started-1), so the worker reads
 * the person from Bob's API after Bob's documented read-after-write lag.
 */
export const hibob: Provider = {
  name: 'hibob',
  title: 'HiBob (Bob)',
  enabledBy: 'HIBOB_WEBHOOK_SECRET',
  settings: [
    {
      env: 'HIBOB_WEBHOOK_SECRET',
      description: "the webhook's secret token from Bob (Settings > Integrations > Webhooks)",
      kind: 'secret',
    },
    {
      env: 'HIBOB_PROVISION_ON',
      description:
        'which Bob event provisions a person: created (profile created) or joined (start date reached)',
      kind: { oneOf: ['created', 'joined'] },
      default: 'created',
    },
    {
      env: 'HIBOB_FETCH_DELAY_MS',
      description:
        "how long to wait before reading a hire from Bob's API (its read-after-write lag)",
      kind: 'text',
      default: String(HIBOB_DEFAULT_FETCH_DELAY_MS),
    },
    {
      env: 'HIBOB_API_URL',
      description: "Bob's API base URL (https://api.sandbox.hibob.com for a sandbox)",
      kind: 'url',
      default: 'https://api.hibob.com',
    },
    {
      env: 'HIBOB_SERVICE_USER_ID',
      description:
        "the ID of a Bob API service user allowed to view employees' basic and work info",
      kind: 'text',
      requiredForWorker: true,
    },
    {
      env: 'HIBOB_SERVICE_USER_TOKEN',
      description: "that service user's token",
      kind: 'secret',
      requiredForWorker: true,
    },
  ],
  createWebhook: createHibobWebhook,
  createFetcher: createHibobFetcher,
};
