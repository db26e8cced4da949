import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { HrApiError } from '../../src/errors.js';
import { createHrHttp } from '../../src/providers/hr-http.js';
import {
  createPersonioFetcher,
  TOKEN_REFRESH_MARGIN_MS,
} from '../../src/providers/personio-api.js';
import { CLIENT_ID, CLIENT_SECRET, startPersonioApi } from '../helpers/personio-api.js';

describe('Personio fetcher: the access token', () => {
  it('is kept until shortly before expires_in, then renewed', async (t) => {
    const api = await startPersonioApi(3600);
    t.after(() => api.close());
    let clock = 1_000_000;
    const fetcher = createPersonioFetcher({
      http: createHrHttp(api.url, {}),
      clientId: CLIENT_ID,
      clientSecret: CLIENT_SECRET,
      now: () => clock,
    });
    const ref = { source: 'personio', employeeId: 'T1' };
    await fetcher.fetch(ref);
    clock += 3600_000 - TOKEN_REFRESH_MARGIN_MS - 1;
    const hire = await fetcher.fetch(ref);
    assert.equal(api.tokenCalls(), 1);
    assert.deepEqual(hire, {
      source: 'personio',
      hireId: 'T1',
      email: 'hire.T1@example.com',
      firstName: 'Lena',
      lastName: 'Personio',
    });
    clock += 2;
    await fetcher.fetch(ref);
    assert.equal(api.tokenCalls(), 2);
  });

  it('gives up at once when even a new token gets a 401 (no loop)', async (t) => {
    const api = await startPersonioApi();
    t.after(() => api.close());
    api.state.personsAlways401 = true;
    const fetcher = createPersonioFetcher({
      http: createHrHttp(api.url, {}),
      clientId: CLIENT_ID,
      clientSecret: CLIENT_SECRET,
    });
    await assert.rejects(
      fetcher.fetch({ source: 'personio', employeeId: 'T2' }),
      (err: unknown) =>
        err instanceof HrApiError &&
        err.kind === 'lasting' &&
        err.status === 401 &&
        err.message.includes('personio:persons:read'),
    );
    assert.equal(api.tokenCalls(), 1);
    assert.equal(api.callsTo('/v2/persons/T2').length, 1);
  });
});
