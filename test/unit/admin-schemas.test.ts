import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { z } from 'zod';
import { problemsOf } from '../../src/domain/problems.js';
import { BulkRetryQuery, JobListQuery, NoQuery } from '../../src/http/admin-schemas.js';

function problems(schema: z.ZodType, query: Record<string, unknown>) {
  const parsed = schema.safeParse(query);
  if (parsed.success) assert.fail('expected the query to be refused');
  return problemsOf(parsed.error.issues);
}

describe('admin API query schemas', () => {
  it('when a list query is empty, then the defaults apply', () => {
    assert.deepEqual(JobListQuery.parse({}), { state: 'failed', start: 0, limit: 50 });
  });

  it('when a query has an unknown, a repeated and a wrong parameter, then all three are listed', () => {
    assert.deepEqual(problems(JobListQuery, { limit: ['2', '3'], start: '1.5', sort: 'asc' }), [
      { path: 'start', message: 'must be a whole number from 0 to 1000000000' },
      { path: 'limit', message: 'give it once, as a plain value' },
      { path: 'sort', message: 'unknown query parameter (known: state, queue, start, limit)' },
    ]);
  });

  it('when a bulk replay names since and dryRun, then they are read as milliseconds and a boolean', () => {
    assert.deepEqual(BulkRetryQuery.parse({ since: '2h', dryRun: '' }), {
      state: 'failed',
      since: 7_200_000,
      dryRun: true,
    });
    assert.deepEqual(BulkRetryQuery.parse({ dryRun: '0', reason: 'timeout' }), {
      state: 'failed',
      reason: 'timeout',
      dryRun: false,
    });
  });

  it('when a bulk replay has a typo in a filter, then it is refused rather than widened', () => {
    assert.deepEqual(problems(BulkRetryQuery, { reson: 'boom', since: '2hr' }), [
      {
        path: 'since',
        message:
          'must be a whole number of s, m, h or d (e.g. 90s, 30m, 2h, 7d), at most 366d; got "2hr"',
      },
      {
        path: 'reson',
        message: 'unknown query parameter (known: state, since, reason, queue, dryRun)',
      },
    ]);
  });

  it('when a route takes no parameters, then any is refused', () => {
    assert.deepEqual(problems(NoQuery, { a: '1' }), [
      { path: 'a', message: 'unknown query parameter (known: none)' },
    ]);
  });
});
