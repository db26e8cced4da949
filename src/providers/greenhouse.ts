import { createHmac, timingSafeEqual } from 'node:crypto';
import { PayloadError, ServiceError, SignatureError } from '../errors.js';
import { isObject } from '../domain/is-object.js';
import { deliveryIdOf, EMAIL_POLICIES, hireItemOf, type EmailPolicy } from './greenhouse-hire.js';
import type { Provider, ProviderEvent, ProviderSettings, WebhookRequest } from './types.js';

/** The one action that means "provision this person"; every other one is answered 200, ignored. */
export const HIRE_ACTION = 'hire_candidate';

/**
 * Greenhouse Recruiting's web hooks (https://developers.greenhouse.io/webhooks.html, source
 * grnhse/greenhouse-api-docs: source/includes/webhooks/_introduction.md and _candidate_events.md).
 *
 * - **Signature**: "`Signature: sha256 <hex>`": the algorithm, a space, then the hex HMAC-SHA256 of
 *   "the entire content of the JSON response", keyed with the web hook's secret key. Greenhouse
 *   escapes Unicode before signing ("`<p>` … as `\u003cp\u003e`") and signs "the string exactly as
 *   it appears in the body", so the HMAC runs over the raw bytes, never over re-serialized JSON.
 *   The ping is checked too: Greenhouse's troubleshooting page reads a 401 as "the Secret Key …
 *   isn't being accepted by the endpoint"
 *   (https://support.greenhouse.io/hc/en-us/articles/11647402997275), so a wrong secret shows at
 *   once, as a web hook created disabled.
 * - **Idempotency**: "Each delivery will include a `Greenhouse-Event-ID` header … an unique id
 *   associated with this delivery", but the signature covers the body only, so the header is not
 *   the key: the same signed body under new event ids would make a job each. The key is built from
 *   the signed payload's ids ({@link deliveryIdOf}).
 * - **Answers**: a failure is "a timeout, a non HTTP 200 response, or network issues", retried up to
 *   6 times over 15 hours (the support article says the count is set in Advanced Settings, default
 *   25: https://support.greenhouse.io/hc/en-us/articles/360005574531); so the route answers every
 *   success (ping and ignored actions included) with exactly 200, never 202.
 * - **Events**: `hire_candidate` ("occurs when an offer is accepted") carries the whole
 *   application; other actions sent to the same URL are ignored.
 * - **Ping**: "When the web hook is saved or updated, we will attempt to ping this URL with a
 *   payload containing some configuration settings"; if it fails the web hook is created disabled.
 *   The docs do not show that payload. Tolerant reading: a signed JSON object whose `action` is
 *   `ping` (what third-party receivers match), or that has no `action` at all, is the ping.
 */
export const greenhouse: Provider = {
  name: 'greenhouse',
  title: 'Greenhouse Recruiting',
  enabledBy: 'GREENHOUSE_WEBHOOK_SECRET',
  settings: [
    {
      env: 'GREENHOUSE_WEBHOOK_SECRET',
      description: "the web hook's Secret Key in Greenhouse (Configure > Dev Center > Web Hooks)",
      kind: 'secret',
    },
    {
      env: 'GREENHOUSE_EMAIL',
      description:
        "which address becomes the DocSpace login: work-only (the candidate's work email) or any " +
        '(work, else personal, else other)',
      kind: { oneOf: EMAIL_POLICIES },
      default: 'work-only',
    },
  ],
  createWebhook: (settings) => {
    const secret = Buffer.from(settings['GREENHOUSE_WEBHOOK_SECRET'] ?? '', 'utf8');
    const policy = policyOf(settings);
    return {
      verify: (request) => {
        verifySignature(secret, request);
      },
      parse: (request) => parseDelivery(request, policy),
    };
  },
};

function policyOf(settings: ProviderSettings): EmailPolicy {
  const value = settings['GREENHOUSE_EMAIL'];
  return EMAIL_POLICIES.find((policy) => policy === value) ?? 'work-only';
}

/**
 * Checks `Signature: sha256 <hex>` over the raw body in constant time (on the decoded digests,
 * both 32 bytes). `sha256=<hex>` is taken too, and the hex in either case. Messages never carry
 * the signature or the secret.
 */
export function verifySignature(secret: Buffer, request: WebhookRequest): void {
  const header = request.header('signature')?.trim();
  if (header === undefined || header === '') {
    throw new SignatureError('missing Signature header (Greenhouse signs every delivery)');
  }
  const match = /^([A-Za-z0-9-]+)[ =]\s*([0-9A-Fa-f]{64})$/.exec(header);
  if (match?.[1]?.toLowerCase() !== 'sha256' || match[2] === undefined) {
    throw new SignatureError('the Signature header is not "sha256 <64 hex digits>"');
  }
  const offered = Buffer.from(match[2], 'hex');
  const expected = createHmac('sha256', secret).update(request.raw).digest();
  // Both are 32 bytes here (64 hex digits; a SHA-256 digest), as timingSafeEqual requires.
  if (offered.length !== expected.length || !timingSafeEqual(offered, expected)) {
    throw new SignatureError('the Signature does not match GREENHOUSE_WEBHOOK_SECRET');
  }
}

function parseDelivery(request: WebhookRequest, policy: EmailPolicy): ProviderEvent {
  const body = readJson(request);
  if (!isObject(body)) throw new PayloadError('the body must be a JSON object');
  const action = body['action'];
  // The ping's body is undocumented ("some configuration settings"): see the module comment.
  if (action === undefined || action === 'ping') return { kind: 'ping' };
  if (typeof action !== 'string' || action.trim() === '') {
    throw new PayloadError('"action" must be a non-empty string', [
      { path: 'action', message: 'must be a non-empty string' },
    ]);
  }
  if (action !== HIRE_ACTION) return { kind: 'ignored', type: action };
  const payload = body['payload'];
  const application = isObject(payload) ? payload['application'] : undefined;
  if (!isObject(application)) {
    throw new PayloadError('"payload.application" must be an object', [
      { path: 'payload.application', message: 'required' },
    ]);
  }
  return {
    kind: 'hires',
    type: action,
    deliveryId: deliveryIdOf(action, application),
    items: [hireItemOf(application, policy, greenhouse.name)],
  };
}

/**
 * The body as JSON. Greenhouse posts JSON; a body that does not parse is a 400, or a 415 when its
 * content type says it is something else (a form post…). A parseable body is read whatever its
 * content type says: the signature already vouches for it.
 */
function readJson(request: WebhookRequest): unknown {
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(request.raw);
  } catch {
    throw new PayloadError('the body is not UTF-8');
  }
  try {
    return JSON.parse(text) as unknown;
  } catch {
    const type = request.contentType?.split(';')[0]?.trim().toLowerCase() ?? '';
    if (type !== '' && !type.includes('json')) {
      throw new ServiceError(
        'ERR_UNSUPPORTED_MEDIA_TYPE',
        `Greenhouse posts application/json, not ${type}`,
      );
    }
    throw new PayloadError('the body is not valid JSON');
  }
}
