/**
 * The simulator's own name and email rules (docspace-sim/people-rules.ts), read from DocSpace's
 * server and its .NET runtime, and its settings (docspace-sim/settings.ts).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  isValidUserName,
  NAME_COLUMN_LENGTH,
  sameEmailKey,
  storedName,
  testEmailPunyCode,
  testEmailRegex,
} from '../../docspace-sim/people-rules.js';
import { DEMO_API_KEY } from '../../docspace-sim/constants.js';
import { loadSimSettings, SimSettingsError } from '../../docspace-sim/settings.js';

describe('simulator: the name rule (core:username:regex, as .NET applies it)', () => {
  it('when a name holds letters and marks of any script, apostrophes, spaces and hyphens, it is taken', () => {
    for (const name of [
      'Alice',
      "O'Brien",
      'Jean-Luc',
      'José María',
      'Zoe\u0308',
      'محمد',
      '李小龍',
    ]) {
      assert.equal(isValidUserName(name), true, name);
    }
  });

  it('when a name holds a digit, a dot, a comma or an emoji, it is refused', () => {
    for (const name of ['R2D2', 'Smith Jr.', 'Lee, Ann', 'Ann 👩‍💻', '', ' x\t']) {
      assert.equal(isValidUserName(name), false, JSON.stringify(name));
    }
  });

  it('when a letter lies outside the Basic Multilingual Plane, it is refused: .NET matches \\p{L} per UTF-16 unit, and a surrogate is no letter', () => {
    for (const name of ['𝔄𝔩𝔦𝔠𝔢', 'Ann 𝒜', '𠀀']) {
      assert.equal(isValidUserName(name), false, name);
    }
  });

  it(`when a name is longer than ${NAME_COLUMN_LENGTH} characters, the database keeps the first ${NAME_COLUMN_LENGTH} (MySQL without strict mode)`, () => {
    assert.equal(storedName('É'.repeat(70)), 'É'.repeat(NAME_COLUMN_LENGTH));
    assert.equal(storedName('Ann'), 'Ann');
  });
});

describe('simulator: the email rules of POST /people/invite (TestEmailRegex, TestEmailPunyCode)', () => {
  it('when an address is plain, it passes both tests', () => {
    for (const email of [
      'alice@example.com',
      'A.B+tag@Example.CO',
      'x@[127.0.0.1]',
      '"a b"@x.io',
    ]) {
      assert.equal(testEmailRegex(email), true, email);
      assert.equal(testEmailPunyCode(email), false, email);
    }
  });

  it('when an address breaks the strict pattern, TestEmailRegex refuses it', () => {
    for (const email of [
      '',
      'a@b',
      'a@bücher.de',
      'a..b@x.com',
      'a@x.c',
      'Name <a@x.com>',
      'a@-',
      '.a@x.com',
    ]) {
      assert.equal(testEmailRegex(email), false, email);
    }
  });

  it('when a part of the address is not ASCII or already an ACE label, TestEmailPunyCode finds it', () => {
    for (const email of ['josé@example.com', 'a@xn--bcher-kva.de', 'a\u0001b@x.com']) {
      assert.equal(testEmailPunyCode(email), true, email);
    }
  });

  it('when a label of a part (the local part and the domain count as one name) is longer than 63 characters, TestEmailPunyCode finds it', () => {
    const local = 'a'.repeat(56);
    assert.equal(
      testEmailPunyCode(`${local}@example.com`),
      true,
      '"<56 a>@example" is a 64-character label',
    );
    assert.equal(testEmailPunyCode(`${'a'.repeat(55)}@example.com`), false);
    assert.equal(testEmailPunyCode(`a@${'b'.repeat(64)}.com`), true);
  });

  it('when the address has spaces around it, the punycode test sees no match and passes it (it does not trim; TestEmailRegex does)', () => {
    assert.equal(testEmailRegex(' josé@example.com '), true);
    assert.equal(testEmailPunyCode(' josé@example.com '), false);
  });

  it('when two addresses differ in case only, they are one account (utf8_general_ci)', () => {
    assert.equal(sameEmailKey(' Ann@Example.com'), sameEmailKey('ann@example.com'));
  });
});

describe('simulator: settings (the one place that reads DOCSPACE_SIM_*)', () => {
  it('when nothing is set, it listens on 127.0.0.1:8090, answers in English and takes the demo key', () => {
    assert.deepEqual(loadSimSettings({}), {
      port: 8090,
      host: '127.0.0.1',
      lang: 'en',
      paidSeats: undefined,
      apiKey: DEMO_API_KEY,
    });
  });

  it('when everything is set, it takes each value', () => {
    const settings = loadSimSettings({
      DOCSPACE_SIM_PORT: '0',
      DOCSPACE_SIM_HOST: '0.0.0.0',
      DOCSPACE_SIM_LANG: 'DE',
      DOCSPACE_SIM_PAID_SEATS: '3',
      DOCSPACE_API_KEY: 'sk-mine',
    });
    assert.deepEqual(settings, {
      port: 0,
      host: '0.0.0.0',
      lang: 'de',
      paidSeats: 3,
      apiKey: 'sk-mine',
    });
  });

  it('when several values are wrong, every problem is listed at once', () => {
    assert.throws(
      () =>
        loadSimSettings({
          DOCSPACE_SIM_PORT: '70000',
          DOCSPACE_SIM_LANG: 'fr',
          DOCSPACE_SIM_PAID_SEATS: 'two',
        }),
      (err) =>
        err instanceof SimSettingsError &&
        err.message.includes('DOCSPACE_SIM_PORT') &&
        err.message.includes('DOCSPACE_SIM_LANG') &&
        err.message.includes('DOCSPACE_SIM_PAID_SEATS'),
    );
    assert.throws(() => loadSimSettings({ DOCSPACE_SIM_PORT: '80a' }), SimSettingsError);
  });
});
