/**
 * A person's records are found by `emailKey` (src/queue/keys.ts): a change in how it is computed
 * would orphan every record, timeline and lease written by an earlier version during a rolling
 * deploy. The values below were computed by the version before `crypto.hash` (createHash).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { emailKey } from '../../src/queue/keys.js';

describe('emailKey', () => {
  it('keeps the keys earlier versions wrote (normalised address, sha-256, 32 hex digits)', () => {
    assert.equal(emailKey('Ada.Lovelace@Example.COM'), 'e814ff3dc480a94c7ce9334062ec4733');
    assert.equal(emailKey('  zoë@bücher.example '), 'da8eee39dc892262a96413945a0c3e0d');
  });
});
