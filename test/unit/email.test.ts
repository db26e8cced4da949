import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { EMAIL_MAX_LENGTH, isValidEmail, normalizeEmail } from '../../src/domain/email.js';

describe('isValidEmail (DocSpace strict rule)', () => {
  for (const email of [
    'alice@example.com',
    'alice.smith@example.com',
    'Alice.Smith@Example.COM',
    'alice+onboarding@mail.example.co.uk',
    "o'brien@example.com",
    'first_last-1@sub-domain.example.org',
    '"alice smith"@example.com',
    'alice@[192.168.0.1]',
    '  alice@example.com  ',
  ]) {
    it(`accepts ${JSON.stringify(email)}`, () => {
      assert.equal(isValidEmail(email), true);
    });
  }

  for (const email of [
    '',
    '   ',
    'alice',
    'alice@',
    '@example.com',
    '.alice@example.com',
    'alice.@example.com',
    'al..ice@example.com',
    'a@b',
    'alice@example',
    'alice@example.c',
    'alice@example.com.',
    'alice@.example.com',
    'alice@exa_mple.com',
    'alice@zoë.example',
    'alice smith@example.com',
    'alice@exa mple.com',
    'al"ice@example.com',
    '"alice@example.com',
    'alice@@example.com',
    'alice@bob@example.com',
    '<alice>@example.com',
    'alice(x)@example.com',
    'alice,bob@example.com',
    'alice;bob@example.com',
    'alice:bob@example.com',
    'ali\\ce@example.com',
    'alice@example.123',
    'alice@[300.1.1.1.1]',
    'Alice <alice@example.com>',
  ]) {
    it(`refuses ${JSON.stringify(email)}`, () => {
      assert.equal(isValidEmail(email), false);
    });
  }

  it('accepts 255 characters and refuses 256', () => {
    assert.equal(EMAIL_MAX_LENGTH, 255);
    // Short labels: a stretch of more than 63 characters between dots is refused for itself.
    const at255 = `${'a.'.repeat(121)}a@example.com`;
    const at256 = `${'a.'.repeat(121)}aa@example.com`;
    assert.equal(at255.length, 255);

    assert.equal(isValidEmail(at255), true);
    assert.equal(isValidEmail(at256), false);
  });

  it('measures the length after trimming', () => {
    assert.equal(isValidEmail(`   ${'a.'.repeat(121)}a@example.com   `), true);
  });

  // BUG (reported to the lead): DocSpace's invite loop refuses punycode with 400 "Incorrect email"
  // and stops the batch (UserController.InviteUsers, docs/docspace.md; the simulator's routes-invite.ts does the
  // same). isValidEmail says intake applies DocSpace's rule so that no hire reaches an invitation
  // batch DocSpace would refuse, yet it lets these through.
  it('refuses punycode (xn--) domains, as the invite endpoint does', () => {
    assert.equal(isValidEmail('alice@xn--mller-kva.example'), false);
    assert.equal(isValidEmail('alice@mail.XN--80ak6aa92e.com'), false);
  });

  // BUG (reported to the lead): the same check (StringExtension.TestEmailPunyCode in
  // DocSpace-server common/ASC.Core.Common/Core/StringExtension.cs) runs IdnMapping.GetAscii over
  // every regex group, so a non-ASCII local part also counts as punycode and is refused.
  it('refuses non-ASCII characters, which DocSpace treats as punycode', () => {
    assert.equal(isValidEmail('zoë@example.com'), false);
  });

  // The same test maps the whole address with ICU (dots split it, the @ does not): a label
  // longer than 63 characters, or an empty one, is an error that DocSpace counts as punycode.
  it('refuses a stretch of more than 63 characters between dots, the @ included, and an empty one', () => {
    assert.equal(isValidEmail(`${'a'.repeat(55)}@example.com`), true, '63: "<55>@example"');
    assert.equal(isValidEmail(`${'a'.repeat(56)}@example.com`), false, '64');
    assert.equal(isValidEmail(`ann@${'b'.repeat(64)}.com`), false);
    assert.equal(isValidEmail(`first.${'c'.repeat(50)}.last@example.com`), true);
    assert.equal(isValidEmail('"a..b"@example.com'), false);
  });
});

describe('normalizeEmail', () => {
  it('lower-cases and trims, so differently cased addresses are one key', () => {
    assert.equal(normalizeEmail('  Alice.Smith@Example.COM '), 'alice.smith@example.com');
    assert.equal(normalizeEmail('ALICE@EXAMPLE.COM'), normalizeEmail('alice@example.com'));
  });

  it('leaves an already normal address unchanged', () => {
    assert.equal(normalizeEmail('bob@example.com'), 'bob@example.com');
  });
});
