import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseDuration } from '../../src/domain/duration.js';
import { PayloadError } from '../../src/errors.js';

describe('parseDuration (replay --since, ?since=)', () => {
  for (const [text, ms] of [
    ['90s', 90_000],
    ['30m', 1_800_000],
    ['2h', 7_200_000],
    ['7d', 604_800_000],
    ['1D', 86_400_000],
    [' 15m ', 900_000],
    ['366d', 366 * 86_400_000],
  ] as const) {
    it(`reads ${JSON.stringify(text)} as ${ms} ms`, () => {
      assert.equal(parseDuration(text), ms);
    });
  }

  for (const text of [
    '',
    '2',
    'h',
    '2hr',
    '1.5h',
    '-1h',
    '0m',
    '2 h',
    '1w',
    '2h30m',
    '367d',
    'abc',
  ]) {
    it(`when given ${JSON.stringify(text)}, then it throws a PayloadError naming the parameter`, () => {
      assert.throws(
        () => parseDuration(text, 'since'),
        (err: unknown) => {
          assert.ok(err instanceof PayloadError);
          assert.equal(err.code, 'ERR_PAYLOAD');
          assert.equal(err.details[0]?.path, 'since');
          assert.match(err.details[0].message, /30m/);
          return true;
        },
      );
    });
  }

  it('names the flag it was given for', () => {
    assert.throws(() => parseDuration('soon', '--since'), /--since/);
  });
});
