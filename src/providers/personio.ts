import { createHash, timingSafeEqual } from 'node:crypto';
import { PayloadError, ServiceError, SignatureError } from '../errors.js';
import { createPersonioFetcher } from './personio-api.js';
import { PERSONIO_LEAVER_EVENT, personioLeaverNote } from './leaver-events.js';
import { moverItem, PERSONIO_MOVER_EVENT } from './mover-events.js';
import { isSafeId, SAFE_ID_RULE } from './safe-id.js';
import type { Provider, ProviderEvent, WebhookAdapter, WebhookRequest } from './types.js';
import { isObject } from '../domain/is-object.js';

/**
 * Personio (`POST /webhooks/personio`). What its documentation says, and what this adapter does:
 *
 * - Auth: a webhook's `auth_type` defaults to `TOKEN`, "A static token will be sent in the
 *   Authorization header"; "The callback will include this exact value in the Authorization
 *   header… If a specific format is required (e.g., "Bearer" or "Basic"), please include the
 *   desired prefix… no prefix will be added automatically"
 *   (https://developer.personio.de/reference/post_v2-webhooks). No HMAC, so nothing covers the
 *   body; the header is compared in constant time (SHA-256 of both sides). Since the docs invite a
 *   "Bearer " prefix, one is ignored on either side: the header `Bearer s3cret` matches the setting
 *   `s3cret` and the other way round.
 * - Envelope: `{company_id, event_name, occurred_at, payload, meta}`, where payload "varies per
 *   event type"; "Each webhook request needs to be acknowledged within 3s with a 2xx"; a timeout
 *   or a 5xx except 501 is retried for up to 3 days; redirects are not followed
 *   (https://developer.personio.de/v2.0/reference/webhooks). The route stores and answers; the
 *   Personio API is called only by the worker.
 * - Events: `person.created` "When an employee's profile is created in Personio, for eg: new
 *   employee" (same page); `employment.created` "When a new employment for an employee is added"
 *   (https://developer.personio.de/v2.0/docs/event-driven-data-from-personio) are hires;
 *   `employment.terminated` a leaver; `employment.updated` "When an employment for an employee is
 *   changed" (same page) both a mover and a possible leaver (see below). Others are ignored.
 * - Ids: webhooks are "Dataless Notifications" (https://developer.personio.de/changelog/webhooks-employment-events-ga)
 *   whose payload names each entity as `{"<entity>": {"id": …}}` (the absence example, with the
 *   key spelled differently in docs and deliveries: https://github.com/personio/api-docs/issues/210).
 *   The catalog's person and employment examples were not in the stored copy read for this, so
 *   the tolerant reading is taken:
 *   `payload.person.id`, else `payload.person_id`, else (person events) `payload.id`; the same for
 *   `employment`. Employments only exist under a person (`/v2/persons/{person_id}/employments`),
 *   so an `employment.created` must name its person: both events then fetch the same person, and
 *   the worker finds the second one already provisioned (same email).
 * - No delivery or event id is documented, so the idempotency key is
 *   `<event_name>:<company_id>:<person or employment id>`. An employment is updated many times, so
 *   for `employment.updated` the envelope's required `occurred_at` (the event's own time, the same
 *   in every retry of it) is added. No connection-test event is documented.
 * - `employment.updated`: its trigger attributes are not documented (docs/hr-systems.md#personio),
 *   so the mapping is inference: the one delivery is stored as a mover reference (department or
 *   position may have changed; src/providers/mover-events.ts) and as a leaver reference under its
 *   own delivery id (a termination may have been set or removed; workers/offboard.ts reads the
 *   employment and schedules, cancels a pending disable, or notes "not a leaver").
 */
export const PERSONIO_DEFAULT_API_URL = 'https://api.personio.de';

const HIRE_EVENTS: ReadonlySet<string> = new Set(['person.created', 'employment.created']);
const JSON_TYPE = /^application\/(?:[\w.-]+\+)?json\s*(?:;|$)/i;

/** The token as Personio sends it, without an optional `Bearer ` prefix (see above). */
function tokenDigest(value: string): Buffer {
  return createHash('sha256')
    .update(value.trim().replace(/^bearer\s+/i, ''), 'utf8')
    .digest();
}

/** Verifies the Authorization token, then reads the hire, leaver and employment-change events. */
export function createPersonioWebhook(token: string): WebhookAdapter {
  const expected = tokenDigest(token);
  // Nothing but the token authenticates a delivery, so it is checked before the body is read.
  const checkToken = (request: Pick<WebhookRequest, 'header'>): void => {
    const offered = request.header('authorization');
    if (offered === undefined || offered.trim() === '') {
      throw new SignatureError('no Authorization header; set the webhook token in Personio');
    }
    if (!timingSafeEqual(tokenDigest(offered), expected)) {
      throw new SignatureError('the Authorization header does not match PERSONIO_WEBHOOK_TOKEN');
    }
  };
  return {
    verifyHeaders: checkToken,
    verify: checkToken,
    parse(request: WebhookRequest): ProviderEvent {
      if (request.contentType !== undefined && !JSON_TYPE.test(request.contentType)) {
        throw new ServiceError('ERR_UNSUPPORTED_MEDIA_TYPE', 'Personio sends application/json');
      }
      let body: unknown;
      try {
        body = JSON.parse(request.raw.toString('utf8'));
      } catch {
        throw new PayloadError('the body is not valid JSON');
      }
      if (!isObject(body)) throw new PayloadError('the body must be a JSON object');
      const type = body['event_name'];
      if (typeof type !== 'string' || type === '') {
        throw new PayloadError('"event_name" must be a non-empty string', [
          { path: 'event_name', message: 'required' },
        ]);
      }
      if (
        !HIRE_EVENTS.has(type) &&
        type !== PERSONIO_LEAVER_EVENT &&
        type !== PERSONIO_MOVER_EVENT
      ) {
        // Leaver events are recorded with why they are not acted on (docs/hr-systems.md#personio).
        const note = personioLeaverNote(type);
        return note === undefined ? { kind: 'ignored', type } : { kind: 'ignored', type, note };
      }

      const company = idAt(body, ['company_id']);
      const payload = body['payload'];
      if (!isObject(payload)) {
        throw new PayloadError('"payload" must be an object', [
          { path: 'payload', message: 'required' },
        ]);
      }
      const personId =
        type === 'person.created'
          ? idAt(payload, ['person', 'id'], ['person_id'], ['id'])
          : idAt(payload, ['person', 'id'], ['person_id'], ['employment', 'person', 'id']);
      const entityId =
        type === 'person.created'
          ? personId
          : idAt(payload, ['employment', 'id'], ['employment_id'], ['id']);
      const context = { companyId: company, employmentId: entityId };
      // A leaver (docs/hr-systems.md#personio): the worker reads the employment's termination.
      const leaver = (deliveryId: string) => ({
        deliveryId,
        refs: [{ source: 'personio', employeeId: personId, context }],
      });
      if (type === PERSONIO_LEAVER_EVENT) {
        return { kind: 'leavers', type, ...leaver(`${type}:${company}:${entityId}`) };
      }
      if (type === PERSONIO_MOVER_EVENT) {
        const at = body['occurred_at'];
        const deliveryId = `${type}:${company}:${entityId}:${typeof at === 'string' ? at : ''}`;
        return {
          kind: 'hires',
          type,
          deliveryId,
          items: [moverItem('personio', personId, context)],
          leavers: leaver(`${deliveryId}:leaver`),
        };
      }
      return {
        kind: 'hires',
        type,
        deliveryId: `${type}:${company}:${entityId}`,
        items: [
          {
            kind: 'ref',
            ref: {
              source: 'personio',
              employeeId: personId,
              context: {
                companyId: company,
                ...(type === 'employment.created' ? { employmentId: entityId } : {}),
              },
            },
          },
        ],
      };
    },
  };
}

/** The first id found at one of `paths` (string or whole number); PayloadError when none or bad. */
function idAt(root: Record<string, unknown>, ...paths: readonly (readonly string[])[]): string {
  for (const path of paths) {
    let value: unknown = root;
    for (const key of path) value = isObject(value) ? value[key] : undefined;
    if (value === undefined || value === null || value === '') continue;
    const id = typeof value === 'number' && Number.isSafeInteger(value) ? String(value) : value;
    if (typeof id === 'string' && isSafeId(id)) return id;
    throw new PayloadError(`"${path.join('.')}" is not an id`, [
      { path: path.join('.'), message: SAFE_ID_RULE },
    ]);
  }
  const names = paths.map((p) => p.join('.'));
  throw new PayloadError(`no id at ${names.join(' or ')}`, [
    { path: names[0] ?? '', message: 'required' },
  ]);
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === '' ? undefined : value;
}

/** Personio: token-authenticated, id-only webhooks; the worker reads the person from API v2. */
export const personio: Provider = {
  name: 'personio',
  title: 'Personio',
  enabledBy: 'PERSONIO_WEBHOOK_TOKEN',
  settings: [
    {
      env: 'PERSONIO_WEBHOOK_TOKEN',
      description: 'the token of the Personio webhook, sent in its Authorization header',
      kind: 'secret',
    },
    {
      env: 'PERSONIO_API_URL',
      description: 'base URL of the Personio API',
      kind: 'url',
      default: PERSONIO_DEFAULT_API_URL,
    },
    {
      env: 'PERSONIO_CLIENT_ID',
      description: 'client id of Personio API credentials with personio:persons:read',
      kind: 'secret',
      requiredForWorker: true,
    },
    {
      env: 'PERSONIO_CLIENT_SECRET',
      description: 'client secret of those Personio API credentials',
      kind: 'secret',
      requiredForWorker: true,
    },
  ],
  createWebhook: (settings) => createPersonioWebhook(settings['PERSONIO_WEBHOOK_TOKEN'] ?? ''),
  createFetcher: (settings, http) =>
    createPersonioFetcher({
      http: http(nonEmpty(settings['PERSONIO_API_URL']) ?? PERSONIO_DEFAULT_API_URL, {}),
      clientId: settings['PERSONIO_CLIENT_ID'] ?? '',
      clientSecret: settings['PERSONIO_CLIENT_SECRET'] ?? '',
    }),
};
