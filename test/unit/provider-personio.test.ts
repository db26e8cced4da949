import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { PayloadError, ServiceError, SignatureError } from '../../src/errors.js';
import {
  createPersonioWebhook,
  personio,
  PERSONIO_DEFAULT_API_URL,
} from '../../src/providers/personio.js';
import type { WebhookRequest } from '../../src/providers/types.js';

const TOKEN = 'pw-token-9f3c1e';

/**
 * Deliveries built from Personio's documented envelope `{company_id, event_name, occurred_at,
 * payload, meta}` (https://developer.personio.de/v2.0/reference/webhooks), with entity ids nested
 * as `{"<entity>": {"id": …}}` like its absence example (personio/api-docs#210).
 */
function delivery(eventName: string, payload: unknown, extra: Record<string, unknown> = {}) {
  return {
    company_id: '123456',
    event_name: eventName,
    occurred_at: '2025-03-04T09:15:00Z',
    payload,
    meta: {},
    ...extra,
  };
}

function request(
  body: unknown,
  headers: Record<string, string> = { authorization: TOKEN },
  contentType: string | undefined = 'application/json',
): WebhookRequest {
  const raw = Buffer.from(typeof body === 'string' ? body : JSON.stringify(body));
  const lower = Object.fromEntries(Object.entries(headers).map(([k, v]) => [k.toLowerCase(), v]));
  return {
    raw,
    header: (name) => lower[name.toLowerCase()],
    contentType,
    now: Date.parse('2025-03-04T09:15:01Z'),
  };
}

const adapter = createPersonioWebhook(TOKEN);

describe('Personio webhook: the Authorization token', () => {
  it('accepts the exact token Personio echoes', () => {
    adapter.verify(request({}, { Authorization: TOKEN }));
  });

  it('accepts a "Bearer " prefix on either side, as Personio tells admins to add one', () => {
    adapter.verify(request({}, { authorization: `Bearer ${TOKEN}` }));
    createPersonioWebhook(`Bearer ${TOKEN}`).verify(request({}, { authorization: TOKEN }));
    createPersonioWebhook(`Bearer ${TOKEN}`).verify(
      request({}, { authorization: `bearer ${TOKEN}` }),
    );
  });

  it('refuses a wrong, shorter, longer or missing token with 401', () => {
    for (const value of ['pw-token-9f3c1f', TOKEN.slice(0, -1), `${TOKEN}x`, `Basic ${TOKEN}`]) {
      assert.throws(
        () => {
          adapter.verify(request({}, { authorization: value }));
        },
        SignatureError,
        value,
      );
    }
    assert.throws(() => {
      adapter.verify(request({}, {}));
    }, /no Authorization header/);
    assert.throws(() => {
      adapter.verify(request({}, { authorization: '   ' }));
    }, SignatureError);
  });
});

describe('Personio webhook: events', () => {
  it('reads person.created as a reference to the person, keyed by event, company and person', () => {
    const event = adapter.parse(request(delivery('person.created', { person: { id: '5005' } })));
    assert.deepEqual(event, {
      kind: 'hires',
      type: 'person.created',
      deliveryId: 'person.created:123456:5005',
      items: [
        {
          kind: 'ref',
          ref: { source: 'personio', employeeId: '5005', context: { companyId: '123456' } },
        },
      ],
    });
  });

  it('reads employment.created as a reference to its person, keyed by the employment', () => {
    const event = adapter.parse(
      request(
        delivery('employment.created', {
          employment: { id: '2306b77a-35fb-4b1d-8044-3b14f7f2ca65' },
          person: { id: '5005' },
        }),
      ),
    );
    assert.equal(event.kind, 'hires');
    assert.equal(
      event.deliveryId,
      'employment.created:123456:2306b77a-35fb-4b1d-8044-3b14f7f2ca65',
    );
    assert.deepEqual(event.items, [
      {
        kind: 'ref',
        ref: {
          source: 'personio',
          employeeId: '5005',
          context: { companyId: '123456', employmentId: '2306b77a-35fb-4b1d-8044-3b14f7f2ca65' },
        },
      },
    ]);
  });

  it('takes flat and numeric ids too (the tolerant reading of an undocumented payload)', () => {
    const person = adapter.parse(
      request(delivery('person.created', { id: 77 }, { company_id: 42 })),
    );
    assert.equal(person.kind === 'hires' && person.deliveryId, 'person.created:42:77');
    const employment = adapter.parse(
      request(delivery('employment.created', { id: 'emp-1', person_id: 5006 })),
    );
    assert.equal(employment.kind === 'hires' && employment.items[0]?.kind === 'ref', true);
    if (employment.kind !== 'hires' || employment.items[0]?.kind !== 'ref') return;
    assert.equal(employment.items[0].ref.employeeId, '5006');
    assert.equal(employment.deliveryId, 'employment.created:123456:emp-1');
  });

  it('refuses an employment.created that names no person: its id alone cannot be fetched', () => {
    assert.throws(
      () => adapter.parse(request(delivery('employment.created', { employment: { id: 'e-1' } }))),
      (err: unknown) =>
        err instanceof PayloadError &&
        err.message.includes('person.id or person_id or employment.person.id'),
    );
  });

  it('ignores events that are not hires, without reading their payload', () => {
    for (const name of ['person.updated', 'employment.started', 'absence-period.created']) {
      assert.deepEqual(adapter.parse(request(delivery(name, 'anything'))), {
        kind: 'ignored',
        type: name,
      });
    }
  });

  it('turns employment.terminated into a leaver reference for the worker to read', () => {
    // The dataless envelope of developer.personio.de/v2.0/reference/webhooks, ids only.
    const body = delivery('employment.terminated', {
      employment: { id: 'e-77' },
      person: { id: '5005' },
    });
    assert.deepEqual(adapter.parse(request(body)), {
      kind: 'leavers',
      type: 'employment.terminated',
      deliveryId: 'employment.terminated:123456:e-77',
      refs: [
        {
          source: 'personio',
          employeeId: '5005',
          context: { companyId: '123456', employmentId: 'e-77' },
        },
      ],
    });
  });

  it('turns employment.updated into a mover reference and a leaver reference, keyed by its occurred_at', () => {
    const body = delivery('employment.updated', {
      employment: { id: 'e-77' },
      person: { id: '5005' },
    });
    const context = { companyId: '123456', employmentId: 'e-77' };
    const deliveryId = 'employment.updated:123456:e-77:2025-03-04T09:15:00Z';
    assert.deepEqual(adapter.parse(request(body)), {
      kind: 'hires',
      type: 'employment.updated',
      deliveryId,
      items: [
        { kind: 'ref', ref: { source: 'personio', employeeId: '5005', context, mover: true } },
      ],
      leavers: {
        deliveryId: `${deliveryId}:leaver`,
        refs: [{ source: 'personio', employeeId: '5005', context }],
      },
    });
    // A later change of the same employment is another event, not a copy of this one.
    const later = delivery(
      'employment.updated',
      { employment: { id: 'e-77' }, person: { id: '5005' } },
      { occurred_at: '2025-03-05T10:00:00Z' },
    );
    const parsed = adapter.parse(request(later));
    assert.ok(parsed.kind === 'hires' && parsed.deliveryId !== deliveryId);
  });

  it('records the other leaver events with why and stores nothing (docs/hr-systems.md#personio)', () => {
    const notes = new Map<string, RegExp>([
      ['employment.deleted', /not a termination/],
      ['person.deleted', /not a termination/],
    ]);
    for (const [name, note] of notes) {
      const body = delivery(name, { employment: { id: 'e-77' }, person: { id: '5005' } });
      const parsed = adapter.parse(request(body));
      assert.equal(parsed.kind, 'ignored', name);
      assert.equal(parsed.type, name);
      assert.match(parsed.note ?? '', note, name);
    }
  });

  it('answers 400 for malformed bodies and ids that could leave the API path', () => {
    const bad = [
      '{"event_name":',
      '[]',
      { company_id: '1', payload: {} },
      delivery('person.created', null),
      delivery('person.created', { person: {} }),
      delivery('person.created', { person: { id: '../../v2/webhooks' } }),
      delivery('person.created', { person: { id: 1.5 } }),
      delivery('person.created', { person: { id: '5005' } }, { company_id: undefined }),
    ];
    for (const body of bad) {
      assert.throws(() => adapter.parse(request(body)), PayloadError, JSON.stringify(body));
    }
  });

  it('answers 415 for a body that is not JSON, and tolerates a missing content type', () => {
    assert.throws(
      () =>
        adapter.parse(
          request(delivery('person.created', { person: { id: '1' } }), undefined, 'text/plain'),
        ),
      (err: unknown) => err instanceof ServiceError && err.code === 'ERR_UNSUPPORTED_MEDIA_TYPE',
    );
    for (const type of [undefined, 'application/json; charset=utf-8']) {
      const event = adapter.parse(
        request(delivery('person.created', { person: { id: '1' } }), undefined, type),
      );
      assert.equal(event.kind, 'hires');
    }
  });
});

describe('Personio provider settings', () => {
  it('is enabled by the webhook token, defaults the API URL and needs API credentials on workers', () => {
    assert.equal(personio.name, 'personio');
    assert.equal(personio.enabledBy, 'PERSONIO_WEBHOOK_TOKEN');
    const byEnv = new Map(personio.settings.map((s) => [s.env, s]));
    assert.equal(byEnv.get('PERSONIO_API_URL')?.default, PERSONIO_DEFAULT_API_URL);
    assert.equal(PERSONIO_DEFAULT_API_URL, 'https://api.personio.de');
    assert.equal(byEnv.get('PERSONIO_CLIENT_ID')?.requiredForWorker, true);
    assert.equal(byEnv.get('PERSONIO_CLIENT_SECRET')?.requiredForWorker, true);
    assert.equal(byEnv.get('PERSONIO_WEBHOOK_TOKEN')?.kind, 'secret');
  });
});
