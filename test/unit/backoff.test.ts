import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DocspaceError } from '../../src/errors.js';
import { MAX_BACKOFF_MS, createBackoffStrategy } from '../../workers/backoff.js';

const ENDPOINT = 'POST /api/2.0/people';
const always = (value: number) => () => value;

function passing(retryAfterMs?: number): DocspaceError {
  return new DocspaceError({
    kind: 'passing',
    endpoint: ENDPOINT,
    status: 429,
    message: `${ENDPOINT} answered 429`,
    retryAfterMs,
  });
}

describe('createBackoffStrategy', () => {
  it('when random() is 1, then the delay doubles from the base each attempt', () => {
    const backoff = createBackoffStrategy(1000, always(1));

    const delays = [1, 2, 3, 4, 5].map((attempt) => backoff(attempt, 'docspace'));

    assert.deepEqual(delays, [1000, 2000, 4000, 8000, 16000]);
  });

  it('when random() is 0, then the delay is half of the exponential (equal jitter floor)', () => {
    const backoff = createBackoffStrategy(1000, always(0));

    const delays = [1, 2, 3, 4, 5].map((attempt) => backoff(attempt, 'docspace'));

    assert.deepEqual(delays, [500, 1000, 2000, 4000, 8000]);
  });

  it('when random() is 0.5, then the delay is three quarters of the exponential', () => {
    const backoff = createBackoffStrategy(1000, always(0.5));

    assert.equal(backoff(3, 'docspace'), 3000);
  });

  it('for any random value, the delay stays between half and all of the exponential', () => {
    let seed = 12345;
    const random = () => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed / 2 ** 31;
    };
    const backoff = createBackoffStrategy(2000, random);
    for (let attempt = 1; attempt <= 12; attempt += 1) {
      const exponential = 2000 * 2 ** (attempt - 1);

      const delay = backoff(attempt, 'docspace');

      assert.ok(delay >= exponential / 2 && delay <= exponential, `attempt ${attempt}: ${delay}`);
      assert.equal(Number.isInteger(delay), true);
    }
  });

  it('when attemptsMade is 0, then the base is used as for the first attempt', () => {
    const backoff = createBackoffStrategy(1000, always(1));

    assert.equal(backoff(0), 1000);
  });

  it('when the exponential passes an hour, then it is capped at MAX_BACKOFF_MS', () => {
    assert.equal(MAX_BACKOFF_MS, 3_600_000);
    const high = createBackoffStrategy(1000, always(1));
    const low = createBackoffStrategy(1000, always(0));

    assert.equal(high(13), 3_600_000);
    assert.equal(high(50), 3_600_000);
    assert.equal(high(2000), 3_600_000);
    assert.equal(low(50), 1_800_000);
  });

  it('when a DocspaceError carries a larger Retry-After, then Retry-After wins', () => {
    const backoff = createBackoffStrategy(1000, always(1));

    assert.equal(backoff(1, 'docspace', passing(30_000)), 30_000);
  });

  it('when a DocspaceError carries a smaller Retry-After, then the backoff wins', () => {
    const backoff = createBackoffStrategy(1000, always(1));

    assert.equal(backoff(4, 'docspace', passing(3000)), 8000);
  });

  it('when a DocspaceError carries no Retry-After, then the backoff is used', () => {
    const backoff = createBackoffStrategy(1000, always(0));

    assert.equal(backoff(2, 'docspace', passing()), 1000);
  });

  it('when another error has a retryAfterMs property, then it is ignored', () => {
    const backoff = createBackoffStrategy(1000, always(1));
    const other = Object.assign(new Error('not ours'), { retryAfterMs: 60_000 });

    assert.equal(backoff(1, 'docspace', other), 1000);
  });
});
