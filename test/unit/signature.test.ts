import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { describe, it } from 'node:test';
import { Webhook } from 'standardwebhooks';
import fc from 'fast-check';
import {
  SIGNATURE_TOLERANCE_SECONDS,
  WEBHOOK_ID_MAX_LENGTH,
  createSignatureVerifier,
  type HmacFactory,
  signStandardWebhook,
  type SignatureHeaders,
} from '../../src/domain/signature.js';
import { SignatureError } from '../../src/errors.js';

const KEY_A = Buffer.alloc(32, 0xa1);
const KEY_B = Buffer.alloc(32, 0xb2);
const SECRET_A = `whsec_${KEY_A.toString('base64')}`;
const SECRET_B = `whsec_${KEY_B.toString('base64')}`;
const T0 = new Date('2026-11-26T10:00:00.000Z');
const T0_SECONDS = '1795687200';
const BODY = '{"type":"employee.hired","data":{"email":"alice@example.com","firstName":"Alice"}}';

const at = (date: Date) => () => date.getTime();
const plus = (seconds: number) => new Date(T0.getTime() + seconds * 1000);

/** The Standard Webhooks signature, computed by hand: base64(HMAC-SHA256(key, id.ts.body)). */
function hmacV1(key: Buffer, id: string, seconds: string, body: string): string {
  return `v1,${createHmac('sha256', key).update(`${id}.${seconds}.${body}`).digest('base64')}`;
}

function signed(secret: string, id = 'msg_1', body = BODY, when = T0): SignatureHeaders {
  return signStandardWebhook(secret, id, body, when);
}

/** Runs `fn`, expects a SignatureError, returns it for further checks. */
function signatureErrorOf(fn: () => unknown): SignatureError {
  try {
    fn();
  } catch (err: unknown) {
    assert.ok(err instanceof SignatureError, `expected SignatureError, got ${String(err)}`);
    assert.equal(err.code, 'ERR_SIGNATURE');
    assert.equal(err.name, 'SignatureError');
    return err;
  }
  assert.fail('expected a SignatureError, nothing was thrown');
}

describe('signStandardWebhook', () => {
  it('produces the three headers with Unix seconds and a hand-computable v1 HMAC', () => {
    const headers = signStandardWebhook(SECRET_A, 'msg_1', BODY, T0);

    assert.deepEqual(headers, {
      'webhook-id': 'msg_1',
      'webhook-timestamp': T0_SECONDS,
      'webhook-signature': hmacV1(KEY_A, 'msg_1', T0_SECONDS, BODY),
    });
  });

  it('floors milliseconds in the timestamp', () => {
    const headers = signStandardWebhook(SECRET_A, 'msg_1', BODY, new Date(T0.getTime() + 999));

    assert.equal(headers['webhook-timestamp'], T0_SECONDS);
  });
});

describe('createSignatureVerifier', () => {
  it('when the signature is valid, then it returns the webhook-id', () => {
    const verify = createSignatureVerifier([SECRET_A], at(T0));

    assert.equal(verify(Buffer.from(BODY), signed(SECRET_A, 'msg_2Xyz')), 'msg_2Xyz');
  });

  it('when the signature was computed by hand (not by the library), then it verifies', () => {
    const verify = createSignatureVerifier([SECRET_A], at(T0));
    const headers = {
      'webhook-id': 'msg_hand',
      'webhook-timestamp': T0_SECONDS,
      'webhook-signature': hmacV1(KEY_A, 'msg_hand', T0_SECONDS, BODY),
    };

    assert.equal(verify(Buffer.from(BODY), headers), 'msg_hand');
  });

  it('when the signature list has several entries and one is valid, then it verifies', () => {
    const verify = createSignatureVerifier([SECRET_A], at(T0));
    const good = signed(SECRET_A)['webhook-signature'] ?? '';
    const wrong = signed(SECRET_B)['webhook-signature'] ?? '';
    const headers = {
      ...signed(SECRET_A),
      'webhook-signature': `${wrong} v1,AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA= ${good}`,
    };

    assert.equal(verify(Buffer.from(BODY), headers), 'msg_1');
  });

  it('when two secrets are configured and the delivery is signed with the second, then it verifies', () => {
    const verify = createSignatureVerifier([SECRET_A, SECRET_B], at(T0));

    assert.equal(verify(Buffer.from(BODY), signed(SECRET_B, 'msg_rot')), 'msg_rot');
  });

  it('when the delivery is signed with another secret, then it throws SignatureError', () => {
    const verify = createSignatureVerifier([SECRET_A], at(T0));

    const err = signatureErrorOf(() => verify(Buffer.from(BODY), signed(SECRET_B)));
    assert.equal(err.message, 'no signature matches any configured secret');
  });

  it('when one byte of the body is changed, then it throws SignatureError', () => {
    const verify = createSignatureVerifier([SECRET_A], at(T0));
    const tampered = Buffer.from(BODY);
    const index = tampered.indexOf('alice');
    tampered[index] = 'b'.charCodeAt(0);

    assert.notEqual(tampered.toString(), BODY);
    signatureErrorOf(() => verify(tampered, signed(SECRET_A)));
  });

  it('when the webhook-id differs from the one signed, then it throws SignatureError', () => {
    const verify = createSignatureVerifier([SECRET_A], at(T0));
    const headers = { ...signed(SECRET_A, 'msg_1'), 'webhook-id': 'msg_2' };

    signatureErrorOf(() => verify(Buffer.from(BODY), headers));
  });

  for (const header of ['webhook-id', 'webhook-timestamp', 'webhook-signature'] as const) {
    it(`when ${header} is missing, then it throws SignatureError naming the headers`, () => {
      const verify = createSignatureVerifier([SECRET_A], at(T0));
      const headers: SignatureHeaders = { ...signed(SECRET_A), [header]: undefined };

      const err = signatureErrorOf(() => verify(Buffer.from(BODY), headers));
      assert.equal(
        err.message,
        'missing webhook-id, webhook-timestamp or webhook-signature header',
      );
    });
  }

  for (const timestamp of ['abc', '1795687200.5', '-1795687200', '', '1e9', ' 1795687200']) {
    it(`when webhook-timestamp is ${JSON.stringify(timestamp)}, then it throws SignatureError`, () => {
      const verify = createSignatureVerifier([SECRET_A], at(T0));
      const headers = { ...signed(SECRET_A), 'webhook-timestamp': timestamp };

      const err = signatureErrorOf(() => verify(Buffer.from(BODY), headers));
      assert.equal(err.message, 'webhook-timestamp must be Unix seconds');
    });
  }

  it('when the timestamp is 6 minutes old by the injected clock, then it throws SignatureError', () => {
    const verify = createSignatureVerifier([SECRET_A], at(plus(6 * 60)));

    const err = signatureErrorOf(() => verify(Buffer.from(BODY), signed(SECRET_A)));
    assert.equal(err.message, 'webhook-timestamp is more than 5 minutes away from now');
  });

  it('when the timestamp is 6 minutes in the future by the injected clock, then it throws SignatureError', () => {
    const verify = createSignatureVerifier([SECRET_A], at(plus(-6 * 60)));

    const err = signatureErrorOf(() => verify(Buffer.from(BODY), signed(SECRET_A)));
    assert.equal(err.message, 'webhook-timestamp is more than 5 minutes away from now');
  });

  it('when the timestamp is exactly 5 minutes old or ahead, then it verifies', () => {
    assert.equal(SIGNATURE_TOLERANCE_SECONDS, 300);
    const past = createSignatureVerifier([SECRET_A], at(plus(300)));
    const future = createSignatureVerifier([SECRET_A], at(plus(-300)));

    assert.equal(past(Buffer.from(BODY), signed(SECRET_A)), 'msg_1');
    assert.equal(future(Buffer.from(BODY), signed(SECRET_A)), 'msg_1');
  });

  it('when the timestamp is 5 minutes and 1 second old, then it throws SignatureError', () => {
    const verify = createSignatureVerifier([SECRET_A], at(plus(301)));

    signatureErrorOf(() => verify(Buffer.from(BODY), signed(SECRET_A)));
  });

  it('when a stale delivery is signed correctly for its own time, then the clock still refuses it', () => {
    const old = plus(-3600);
    const verify = createSignatureVerifier([SECRET_A], at(T0));

    signatureErrorOf(() => verify(Buffer.from(BODY), signed(SECRET_A, 'msg_1', BODY, old)));
  });

  it('when an entry has another version (v1a,) with the right digest, then it is ignored', () => {
    const verify = createSignatureVerifier([SECRET_A], at(T0));
    const digest = (signed(SECRET_A)['webhook-signature'] ?? '').slice('v1,'.length);
    const headers = { ...signed(SECRET_A), 'webhook-signature': `v1a,${digest}` };

    signatureErrorOf(() => verify(Buffer.from(BODY), headers));
  });

  it('when a v1a entry sits next to a valid v1 entry, then it verifies', () => {
    const verify = createSignatureVerifier([SECRET_A], at(T0));
    const good = signed(SECRET_A)['webhook-signature'] ?? '';
    const headers = { ...signed(SECRET_A), 'webhook-signature': `v1a,c29tZXRoaW5n ${good}` };

    assert.equal(verify(Buffer.from(BODY), headers), 'msg_1');
  });

  it('when no secret is configured, then every delivery is refused', () => {
    const verify = createSignatureVerifier([], at(T0));

    signatureErrorOf(() => verify(Buffer.from(BODY), signed(SECRET_A)));
  });

  it('when the body is empty and signed as empty, then it verifies', () => {
    const verify = createSignatureVerifier([SECRET_A], at(T0));

    assert.equal(verify(Buffer.alloc(0), signed(SECRET_A, 'msg_empty', '')), 'msg_empty');
  });

  it('agrees with the standardwebhooks library: what it accepts we accept, with the same id', () => {
    const now = new Date();
    const headers = signStandardWebhook(SECRET_A, 'msg_lib', BODY, now);
    const library = new Webhook(SECRET_A);
    const ours = createSignatureVerifier([SECRET_A], () => now.getTime());

    assert.deepEqual(library.verify(BODY, headers), JSON.parse(BODY));
    assert.equal(ours(Buffer.from(BODY), headers), 'msg_lib');
  });

  it("agrees with the standardwebhooks library: a signature from the library's sign() verifies", () => {
    const now = new Date();
    const library = new Webhook(SECRET_B);
    const headers = {
      'webhook-id': 'msg_lib2',
      'webhook-timestamp': String(Math.floor(now.getTime() / 1000)),
      'webhook-signature': library.sign('msg_lib2', now, BODY),
    };
    const ours = createSignatureVerifier([SECRET_A, SECRET_B], () => now.getTime());

    assert.equal(ours(Buffer.from(BODY), headers), 'msg_lib2');
    assert.throws(() => new Webhook(SECRET_A).verify(BODY, headers));
    signatureErrorOf(() =>
      createSignatureVerifier([SECRET_A], () => now.getTime())(Buffer.from(BODY), headers),
    );
  });

  it("agrees with the standardwebhooks library: signStandardWebhook's output is the library's sign() for any id and text body", () => {
    fc.assert(
      fc.property(
        fc.string({ minLength: 1, maxLength: 40 }),
        fc.string({ unit: 'grapheme', maxLength: 200 }),
        fc.integer({ min: 0, max: 4_000_000_000 }),
        (id, body, seconds) => {
          const when = new Date(seconds * 1000);
          assert.equal(
            signStandardWebhook(SECRET_B, id, body, when)['webhook-signature'],
            new Webhook(SECRET_B).sign(id, when, body),
          );
        },
      ),
    );
  });
});

/** An HMAC factory that counts how many HMACs the verifier starts (issue #10, item 1). */
function countingHmac(): { factory: HmacFactory; calls: () => number } {
  let calls = 0;
  return {
    factory: (key) => {
      calls += 1;
      return createHmac('sha256', key);
    },
    calls: () => calls,
  };
}

describe('createSignatureVerifier: cost of a forged delivery (issue #10, item 1)', () => {
  const MIB = Buffer.alloc(1024 * 1024, 0x61);
  const entry = (bytes: number) => `v1,${Buffer.alloc(bytes, 7).toString('base64')}`;

  for (const [what, signature] of [
    ['no v1 entry at all', 'v1a,c29tZXRoaW5n v2,abc'],
    ['a v1 entry of 31 bytes', entry(31)],
    ['a v1 entry of 33 bytes', entry(33)],
    ['a v1 entry that is not base64', `v1,${'!'.repeat(44)}`],
    ['an empty v1 entry', 'v1,'],
    ['thousands of short v1 entries', Array.from({ length: 2000 }, () => 'v1,AAAA').join(' ')],
  ] as const) {
    it(`when webhook-signature holds ${what}, then it is refused before any HMAC is computed`, () => {
      const hmac = countingHmac();
      const verify = createSignatureVerifier([SECRET_A, SECRET_B], at(T0), hmac.factory);
      const headers = { ...signed(SECRET_A, 'msg_1', ''), 'webhook-signature': signature };

      signatureErrorOf(() => verify(MIB, headers));
      assert.equal(hmac.calls(), 0, 'no HMAC over the 1 MiB body');
    });
  }

  it('when an entry has the right shape but the wrong digest, then one node:crypto HMAC per secret is computed, and no more', () => {
    const hmac = countingHmac();
    const verify = createSignatureVerifier([SECRET_A, SECRET_B], at(T0), hmac.factory);
    const headers = {
      ...signed(SECRET_A),
      'webhook-signature': `${entry(32)} ${entry(32)} ${entry(32)}`,
    };

    signatureErrorOf(() => verify(Buffer.from(BODY), headers));
    assert.equal(hmac.calls(), 2);
  });

  it('when the signature is right, then it verifies through the injected HMAC', () => {
    const hmac = countingHmac();
    const verify = createSignatureVerifier([SECRET_A], at(T0), hmac.factory);

    assert.equal(verify(Buffer.from(BODY), signed(SECRET_A)), 'msg_1');
    assert.equal(hmac.calls(), 1);
  });

  it('when the timestamp is stale, then no HMAC is computed either', () => {
    const hmac = countingHmac();
    const verify = createSignatureVerifier([SECRET_A], at(plus(3600)), hmac.factory);

    signatureErrorOf(() => verify(MIB, signed(SECRET_A)));
    assert.equal(hmac.calls(), 0);
  });

  it(`when webhook-id is longer than ${WEBHOOK_ID_MAX_LENGTH} characters, then it is refused before any HMAC, even when signed`, () => {
    assert.equal(WEBHOOK_ID_MAX_LENGTH, 256);
    const hmac = countingHmac();
    const verify = createSignatureVerifier([SECRET_A], at(T0), hmac.factory);
    const longest = 'm'.repeat(WEBHOOK_ID_MAX_LENGTH);

    assert.equal(verify(Buffer.from(BODY), signed(SECRET_A, longest)), longest);
    const calls = hmac.calls();
    const err = signatureErrorOf(() => verify(Buffer.from(BODY), signed(SECRET_A, `${longest}m`)));
    assert.match(err.message, /webhook-id must be 1 to 256 characters/);
    assert.equal(hmac.calls(), calls);
  });
});

describe('createSignatureVerifier: exact bytes (issue #10, item 1)', () => {
  /** Bytes that are not UTF-8: a lone continuation byte, an overlong form, a cut-off sequence. */
  const RAW = Buffer.concat([
    Buffer.from('{"type":"x","n":"'),
    Buffer.from([0xff, 0xc0, 0x80, 0xe2]),
    Buffer.from('"}'),
  ]);
  /** The same text once decoded: every bad byte becomes U+FFFD, so it decodes alike. */
  const LOOKALIKE = Buffer.concat([
    Buffer.from('{"type":"x","n":"'),
    Buffer.from([0xfe, 0xc1, 0x81, 0xe3]),
    Buffer.from('"}'),
  ]);

  /** Signed over the exact bytes, as a sender that does not decode its body does. */
  function signBytes(key: Buffer, id: string, body: Buffer): SignatureHeaders {
    const digest = createHmac('sha256', key)
      .update(`${id}.${T0_SECONDS}.`)
      .update(body)
      .digest('base64');
    return {
      'webhook-id': id,
      'webhook-timestamp': T0_SECONDS,
      'webhook-signature': `v1,${digest}`,
    };
  }

  it('when the body holds bytes that are not UTF-8, signed over those bytes, then it verifies', () => {
    const verify = createSignatureVerifier([SECRET_A], at(T0));

    assert.equal(RAW.toString('utf8'), LOOKALIKE.toString('utf8'), 'both decode to one string');
    assert.equal(verify(RAW, signBytes(KEY_A, 'msg_bytes', RAW)), 'msg_bytes');
  });

  it('when other invalid bytes that decode to the same text arrive under that signature, then it is refused', () => {
    const verify = createSignatureVerifier([SECRET_A], at(T0));

    signatureErrorOf(() => verify(LOOKALIKE, signBytes(KEY_A, 'msg_bytes', RAW)));
  });

  it('signStandardWebhook signs a Buffer body over its bytes', () => {
    const headers = signStandardWebhook(SECRET_A, 'msg_bytes', RAW, T0);

    assert.deepEqual(headers, signBytes(KEY_A, 'msg_bytes', RAW));
  });
});
