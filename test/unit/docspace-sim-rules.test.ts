import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { bindGuidList, createBinder, passesEmailAttribute } from '../../docspace-sim/binding.js';
import { createFaultInjector } from '../../docspace-sim/faults.js';
import { FaultsPatchError, parseFaultsPatch } from '../../docspace-sim/faults-patch.js';
import { formatApiDate } from '../../docspace-sim/format.js';
import { parseMailAddress } from '../../docspace-sim/mail-address.js';

describe('docspace-sim formatting and binding rules', () => {
  it('formats dates as ApiDateTime with 7 fractional digits and an offset', () => {
    assert.equal(
      formatApiDate(new Date('2026-07-01T10:00:00.123Z')),
      '2026-07-01T10:00:00.1230000+00:00',
    );
  });

  it('applies the lax [EmailAddress] attribute: one @, not first or last', () => {
    assert.equal(passesEmailAttribute(null), true);
    assert.equal(passesEmailAttribute('a@b'), true);
    assert.equal(passesEmailAttribute('a b@c'), true);
    for (const bad of ['', 'ab', '@ab', 'ab@', 'a@b@c', 'a@b\n']) {
      assert.equal(passesEmailAttribute(bad), false, bad);
    }
  });

  it('approximates MailAddress: trims, refuses spaces and bad dots', () => {
    assert.equal(parseMailAddress('  Alice@Example.com '), 'Alice@Example.com');
    assert.equal(parseMailAddress('"odd name"@example.com'), '"odd name"@example.com');
    assert.equal(parseMailAddress('x@localhost'), 'x@localhost');
    for (const bad of ['a b@example.com', '.a@example.com', 'a..b@example.com', 'a@exa mple.com']) {
      assert.equal(parseMailAddress(bad), undefined, bad);
    }
  });

  it('binds GUID lists, normalizing case and reporting bad items by index', () => {
    const binder = createBinder();
    const ids = bindGuidList(binder, ['7D4F3C2A-1B2C-4D5E-8F90-123456789ABC', 'nope'], '$.userIds');
    assert.deepEqual(ids, ['7d4f3c2a-1b2c-4d5e-8f90-123456789abc']);
    assert.deepEqual(binder.errors, {
      '$.userIds[1]': ['The JSON value could not be converted to System.Guid. Path: $.userIds[1].'],
    });
    assert.equal(bindGuidList(createBinder(), undefined, '$.userIds'), null);
  });
});

describe('docspace-sim fault knobs', () => {
  it('refuses unknown knobs, out-of-range rates and bad script entries', () => {
    assert.throws(() => parseFaultsPatch({ latency: 5 }), FaultsPatchError);
    assert.throws(() => parseFaultsPatch({ rate5xx: 1.5 }), FaultsPatchError);
    assert.throws(() => parseFaultsPatch({ script: [{ kind: '418' }] }), FaultsPatchError);
    assert.throws(
      () => parseFaultsPatch({ script: [{ kind: '5xx', status: 404 }] }),
      FaultsPatchError,
    );
    assert.deepEqual(
      parseFaultsPatch({ rateLimitPerSecond: null, script: [{ kind: '429', retryAfterSec: 2 }] }),
      { rateLimitPerSecond: null, script: [{ kind: '429', retryAfterSec: 2 }] },
    );
  });

  it('decides down first, then the script in FIFO order by match, then the limiter', () => {
    let rolls = 0;
    const faults = createFaultInjector({
      now: () => 0,
      random: () => {
        rolls += 1;
        return 0.99;
      },
    });
    faults.set({
      script: [
        { kind: 'reset', match: { method: 'post', path: '/api/2.0/people/invite' } },
        { kind: 'timeout' },
      ],
      rateLimitPerSecond: 1,
    });
    assert.equal(faults.decide('GET', '/api/2.0/people/email')?.action, 'timeout');
    assert.equal(faults.decide('POST', '/api/2.0/people/invite')?.action, 'reset');
    assert.equal(faults.decide('POST', '/api/2.0/people'), undefined);
    const limited = faults.decide('POST', '/api/2.0/people');
    assert.equal(limited?.action, 'respond');
    assert.equal(limited.cause, 'rate-limit');
    assert.equal(rolls, 1, 'random is only drawn when no deterministic fault applies');
    faults.set({ down: true });
    const down = faults.decide('POST', '/api/2.0/people');
    assert.equal(down?.action === 'respond' ? down.response.status : 0, 503);
  });
});
