import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { describe, it } from 'node:test';
import { Webhook } from 'standardwebhooks';
import {
  SIGNATURE_TOLERANCE_SECONDS,
  createSignatureVerifier,
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

const at = (date: Date) => () => date;
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
    const ours = createSignatureVerifier([SECRET_A], () => now);

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
    const ours = createSignatureVerifier([SECRET_A, SECRET_B], () => now);

    assert.equal(ours(Buffer.from(BODY), headers), 'msg_lib2');
    assert.throws(() => new Webhook(SECRET_A).verify(BODY, headers));
    signatureErrorOf(() =>
      createSignatureVerifier([SECRET_A], () => now)(Buffer.from(BODY), headers),
    );
  });
});
