import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { PayloadError, ServiceError, SignatureError } from '../../src/errors.js';
import { greenhouse } from '../../src/providers/greenhouse.js';
import type { HireItem } from '../../src/domain/hire-item.js';
import type { ProviderEvent, WebhookRequest } from '../../src/providers/types.js';
import {
  fixtureText,
  greenhouseJson,
  hireCandidate,
  signGreenhouse,
} from '../helpers/greenhouse.js';

const SECRET = 'gh-secret-key';
const HIRE = fixtureText('hire-candidate.json');

function request(
  raw: string | Buffer,
  headers: Record<string, string> = {},
  contentType: string | undefined = 'application/json',
): WebhookRequest {
  const lower = Object.fromEntries(Object.entries(headers).map(([k, v]) => [k.toLowerCase(), v]));
  return {
    raw: Buffer.isBuffer(raw) ? raw : Buffer.from(raw, 'utf8'),
    header: (name) => lower[name.toLowerCase()],
    contentType,
    now: Date.parse('2026-11-26T10:00:00Z'),
  };
}

/** A delivery as Greenhouse sends it: signed with SECRET, with an event id unless `null`. */
function signed(raw: string, eventId: string | null = 'evt-1'): WebhookRequest {
  return request(raw, {
    Signature: signGreenhouse(SECRET, raw),
    ...(eventId === null ? {} : { 'Greenhouse-Event-ID': eventId }),
  });
}

function adapter(email?: string) {
  return greenhouse.createWebhook({
    GREENHOUSE_WEBHOOK_SECRET: SECRET,
    GREENHOUSE_EMAIL: email ?? 'work-only',
  });
}

function itemOf(event: ProviderEvent): HireItem {
  assert.equal(event.kind, 'hires');
  assert.equal(event.items.length, 1);
  const [item] = event.items;
  assert.ok(item);
  return item;
}

function emailsOf(email?: string, edit?: Parameters<typeof hireCandidate>[0]): HireItem {
  return itemOf(adapter(email).parse(signed(greenhouseJson(hireCandidate(edit)))));
}

function rejects<E extends Error>(fn: () => unknown, type: new (...args: never[]) => E): E {
  try {
    fn();
  } catch (err: unknown) {
    assert.ok(err instanceof type, `expected ${type.name}, got ${String(err)}`);
    return err;
  }
  assert.fail(`expected ${type.name}`);
}

describe('greenhouse: settings', () => {
  it('is enabled by GREENHOUSE_WEBHOOK_SECRET, and GREENHOUSE_EMAIL defaults to work-only', () => {
    assert.equal(greenhouse.name, 'greenhouse');
    assert.equal(greenhouse.enabledBy, 'GREENHOUSE_WEBHOOK_SECRET');
    assert.ok(!('createFetcher' in greenhouse), 'the payload is complete: no fetcher');
    const email = greenhouse.settings.find((s) => s.env === 'GREENHOUSE_EMAIL');
    assert.deepEqual(email?.kind, { oneOf: ['work-only', 'any'] });
    assert.equal(email.default, 'work-only');
  });
});

describe('greenhouse: verify (Signature: sha256 <hex> over the raw body)', () => {
  it('when the documented payload is signed with the secret, then it passes', () => {
    adapter().verify(signed(HIRE));
  });

  it('when the hex is upper case or written sha256=<hex>, then it passes too', () => {
    const hex = signGreenhouse(SECRET, HIRE).slice('sha256 '.length);
    adapter().verify(request(HIRE, { Signature: `SHA256 ${hex.toUpperCase()}` }));
    adapter().verify(request(HIRE, { Signature: `sha256=${hex}` }));
  });

  it('when the signature is wrong, missing, truncated or of another algorithm, then 401', () => {
    const hex = signGreenhouse(SECRET, HIRE).slice('sha256 '.length);
    const cases: Record<string, string>[] = [
      { Signature: signGreenhouse('another-secret', HIRE) },
      {},
      { Signature: '' },
      { Signature: `sha256 ${hex.slice(0, 62)}` },
      { Signature: `sha256 ${hex}00` },
      { Signature: `sha1 ${hex}` },
      { Signature: hex },
      { Signature: `sha256 ${'z'.repeat(64)}` },
    ];
    for (const headers of cases) {
      const err = rejects(() => {
        adapter().verify(request(HIRE, headers));
      }, SignatureError);
      assert.equal(err.code, 'ERR_SIGNATURE');
      assert.ok(!err.message.includes(hex), 'the message never carries the signature');
      assert.ok(!err.message.includes(SECRET), 'nor the secret');
    }
  });

  it('when one byte of the body changed after signing, then 401', () => {
    const tampered = HIRE.replace('work@example.com', 'evil@example.com');
    rejects(() => {
      adapter().verify(request(tampered, { Signature: signGreenhouse(SECRET, HIRE) }));
    }, SignatureError);
  });

  it('when Unicode is escaped in the body, then the HMAC of those exact bytes verifies, not of re-serialized JSON', () => {
    const raw = greenhouseJson(
      hireCandidate((c) => {
        c.first_name = 'Renée <b>';
        c.last_name = 'O’Brien & Søn';
      }),
    );
    assert.match(raw, /Ren\\u00e9e \\u003cb\\u003e/);
    assert.match(raw, /O\\u2019Brien \\u0026 S\\u00f8n/);
    adapter().verify(request(raw, { Signature: signGreenhouse(SECRET, raw) }));
    const reserialized = JSON.stringify(JSON.parse(raw));
    assert.notEqual(reserialized, raw);
    rejects(() => {
      adapter().verify(request(raw, { Signature: signGreenhouse(SECRET, reserialized) }));
    }, SignatureError);
    const item = itemOf(adapter().parse(request(raw, { 'Greenhouse-Event-ID': 'e' })));
    assert.equal(item.kind, 'full');
    assert.equal(item.hire.firstName, 'Renée <b>');
    assert.equal(item.hire.lastName, 'O’Brien & Søn');
  });
});

describe('greenhouse: parse hire_candidate', () => {
  it('maps the documented payload: work email, candidate id, job, department, start date', () => {
    const event = adapter().parse(signed(HIRE, 'a1b2c3'));
    assert.equal(event.kind, 'hires');
    assert.equal(event.type, 'hire_candidate');
    assert.equal(
      event.deliveryId,
      'hire_candidate:candidate-35897443:application-46194062:offer-506409-v2',
    );
    assert.equal(event.delayMs, undefined);
    assert.deepEqual(itemOf(event), {
      kind: 'full',
      hire: {
        source: 'greenhouse',
        hireId: '35897443',
        email: 'work@example.com',
        firstName: 'Johnny',
        lastName: 'Smith',
        department: 'Technology',
        title: 'Developer',
        startDate: '2015-01-23',
      },
    });
  });

  it('when GREENHOUSE_EMAIL=any, then work comes first, else personal, else other', () => {
    const pick = (edit: Parameters<typeof hireCandidate>[0]) => {
      const item = emailsOf('any', edit);
      return item.kind === 'full' ? item.hire.email : item.kind;
    };
    assert.equal(
      pick(() => undefined),
      'work@example.com',
    );
    assert.equal(
      pick((c) => c.email_addresses.reverse()),
      'work@example.com',
    );
    assert.equal(
      pick((c) => (c.email_addresses = c.email_addresses.filter((e) => e.type !== 'work'))),
      'personal@example.com',
    );
    assert.equal(
      pick((c) => {
        c.email_addresses = [
          { value: 'other@example.com', type: 'other' },
          { value: 'home@example.com', type: 'personal' },
        ];
      }),
      'home@example.com',
    );
    assert.equal(
      pick((c) => (c.email_addresses = [{ value: ' other@example.com ', type: 'other' }])),
      'other@example.com',
    );
  });

  it('when the work email is not one DocSpace accepts, then GREENHOUSE_EMAIL=any skips to the personal one', () => {
    const edit: Parameters<typeof hireCandidate>[0] = (c) => {
      c.email_addresses = [
        { value: 'personal@example.com', type: 'personal' },
        { value: 'johnny@localhost', type: 'work' },
      ];
    };
    const any = emailsOf('any', edit);
    assert.equal(any.kind === 'full' ? any.hire.email : any.kind, 'personal@example.com');
    const workOnly = emailsOf('work-only', edit);
    assert.equal(workOnly.kind, 'invalid');
    assert.match(workOnly.reason, /work email is not an address DocSpace accepts/);
    assert.match(workOnly.reason, /GREENHOUSE_EMAIL=work-only refuses its personal email/);
  });

  it('when work-only and the candidate has only a personal email, then an invalid item names GREENHOUSE_EMAIL', () => {
    const item = emailsOf('work-only', (c) => {
      c.email_addresses = c.email_addresses.filter((e) => e.type === 'personal');
    });
    assert.deepEqual(
      { ...item, reason: '' },
      { kind: 'invalid', source: 'greenhouse', hireId: '35897443', reason: '' },
    );
    assert.equal(item.kind, 'invalid');
    assert.match(
      item.reason,
      /^Greenhouse candidate 35897443: it has no work email, and GREENHOUSE_EMAIL=work-only refuses its personal email \(set GREENHOUSE_EMAIL=any to use it\); add or fix a work email in Greenhouse, then hire them again/,
    );
    assert.ok(!item.reason.includes('personal@example.com'), 'no address in the reason');
  });

  it('when the candidate has no email at all, then an invalid item says so, whatever the setting', () => {
    for (const email of ['work-only', 'any']) {
      const item = emailsOf(email, (c) => (c.email_addresses = []));
      assert.equal(item.kind, 'invalid');
      assert.match(item.reason, /^Greenhouse candidate 35897443 has no email address; add a work/);
    }
    const missing = emailsOf('any', (c) => {
      delete (c as Partial<typeof c>).email_addresses;
    });
    assert.equal(missing.kind, 'invalid');
  });

  it('when GREENHOUSE_EMAIL=any and no address is valid, then the reason says none is accepted', () => {
    const item = emailsOf('any', (c) => {
      c.email_addresses = [{ value: 'not-an-email', type: 'personal' }];
    });
    assert.equal(item.kind, 'invalid');
    assert.match(item.reason, /none of its email addresses is one DocSpace accepts/);
    assert.doesNotMatch(item.reason, /GREENHOUSE_EMAIL=work-only/);
  });

  it('keys the delivery by the signed action, candidate, application and offer, whatever Greenhouse-Event-ID says (issue #10, item 5)', () => {
    const key = 'hire_candidate:candidate-35897443:application-46194062:offer-506409-v2';
    for (const eventId of [null, '  ', 'evt-1', 'evt-2', 'x'.repeat(300)]) {
      const event = adapter().parse(signed(HIRE, eventId));
      assert.equal(event.kind === 'hires' && event.deliveryId, key, String(eventId));
    }
    const body = JSON.parse(HIRE) as { payload: { application: Record<string, unknown> } };
    (body.payload.application['offer'] as Record<string, unknown>)['version'] = 3;
    const rehire = adapter().parse(signed(JSON.stringify(body)));
    assert.equal(
      rehire.kind === 'hires' && rehire.deliveryId,
      'hire_candidate:candidate-35897443:application-46194062:offer-506409-v3',
      'a new offer version is a new hire',
    );
  });

  it('reads the deprecated application.job when jobs[] is empty, and drops a malformed start date', () => {
    const body = JSON.parse(HIRE) as { payload: { application: Record<string, unknown> } };
    const application = body.payload.application;
    application['jobs'] = [];
    (application['offer'] as Record<string, unknown>)['starts_at'] = '01/23/2015';
    const item = itemOf(adapter().parse(signed(JSON.stringify(body))));
    assert.equal(item.kind, 'full');
    assert.equal(item.hire.title, 'Developer');
    assert.equal(item.hire.department, 'Technology');
    assert.equal(item.hire.startDate, undefined);
    delete application['job'];
    delete application['offer'];
    const bare = itemOf(adapter().parse(signed(JSON.stringify(body))));
    assert.equal(bare.kind, 'full');
    assert.deepEqual(Object.keys(bare.hire).sort(), [
      'email',
      'firstName',
      'hireId',
      'lastName',
      'source',
    ]);
  });
});

describe('greenhouse: parse other deliveries', () => {
  it('when the documented candidate_stage_change (or any other action) arrives, then it is ignored', () => {
    const stage = fixtureText('candidate-stage-change.json');
    assert.deepEqual(adapter().parse(signed(stage)), {
      kind: 'ignored',
      type: 'candidate_stage_change',
    });
    assert.deepEqual(adapter().parse(signed('{"action":"unhire_candidate","payload":{}}')), {
      kind: 'ignored',
      type: 'unhire_candidate',
    });
  });

  it('when the ping arrives (action "ping", or configuration without an action), then it is a ping', () => {
    assert.deepEqual(adapter().parse(signed('{"action":"ping","payload":{"web_hook_id":12}}')), {
      kind: 'ping',
    });
    assert.deepEqual(adapter().parse(signed('{"web_hook":{"id":12,"name":"DocSpace"}}')), {
      kind: 'ping',
    });
  });

  it('when the body is malformed, then 400 (PayloadError)', () => {
    const bodies = [
      'not json',
      '',
      '[]',
      '"hire_candidate"',
      '{"action":42}',
      '{"action":""}',
      '{"action":"hire_candidate"}',
      '{"action":"hire_candidate","payload":{"application":[]}}',
      '{"action":"hire_candidate","payload":{"application":{"id":1}}}',
      '{"action":"hire_candidate","payload":{"application":{"id":1,"candidate":{"first_name":"A"}}}}',
    ];
    for (const body of bodies) {
      const err = rejects(() => adapter().parse(signed(body)), PayloadError);
      assert.equal(err.code, 'ERR_PAYLOAD', body);
    }
    const notUtf8 = request(Buffer.from([0x7b, 0xff, 0xfe, 0x7d]));
    assert.match(rejects(() => adapter().parse(notUtf8), PayloadError).message, /not UTF-8/);
  });

  it('when a non-JSON body comes with a non-JSON content type, then 415; a JSON body is read whatever its type', () => {
    const form = request('action=hire_candidate', {}, 'application/x-www-form-urlencoded');
    const err = rejects(() => adapter().parse(form), ServiceError);
    assert.equal(err.code, 'ERR_UNSUPPORTED_MEDIA_TYPE');
    const plain = request('{"action":"ping"}', {}, 'text/plain');
    assert.deepEqual(adapter().parse(plain), { kind: 'ping' });
    const none = request('{"action":"ping"}', {}, undefined);
    assert.deepEqual(adapter().parse(none), { kind: 'ping' });
  });
});
