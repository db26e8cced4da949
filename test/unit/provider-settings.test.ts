import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { loadConfig } from '../../src/config.js';
import { ConfigError } from '../../src/errors.js';
import { PROVIDERS } from '../../src/providers/registry.js';
import { createFetchers } from '../../workers/fetchers.js';

const DOCSPACE = {
  DOCSPACE_URL: 'https://portal.example.com',
  DOCSPACE_API_KEY: 'sk-0123456789abcdef',
};
const BAMBOO_API = { BAMBOOHR_COMPANY_DOMAIN: 'acme', BAMBOOHR_API_KEY: 'bamboo-api-key' };

describe('HR systems on a worker without webhook secrets (each container only its own secrets)', () => {
  it('when a worker has an HR system’s API settings but not its webhook secret, then it still fetches the people that system names', () => {
    const config = loadConfig({ ...DOCSPACE, ...BAMBOO_API }, 'worker');

    const bamboo = config.providers['bamboohr'];
    assert.equal(bamboo?.enabled, false, 'no webhook route');
    assert.equal(bamboo.fetches, true);
    assert.deepEqual(Object.keys(createFetchers(config, PROVIDERS)), ['bamboohr']);
  });

  it('when a worker has only part of them, then start is refused naming the missing one', () => {
    assert.throws(
      () => loadConfig({ ...DOCSPACE, BAMBOOHR_API_KEY: 'bamboo-api-key' }, 'worker'),
      (err: unknown) =>
        err instanceof ConfigError &&
        err.details.length === 1 &&
        err.details[0]?.path === 'BAMBOOHR_COMPANY_DOMAIN' &&
        err.details[0].message.includes("BambooHR's API is set up"),
    );
  });

  it('when an API process has them, then nothing is enabled: a webhook route needs its own secret', () => {
    const config = loadConfig(BAMBOO_API, 'api');

    const bamboo = config.providers['bamboohr'];
    assert.equal(bamboo?.enabled, false);
    assert.equal(bamboo.fetches, false);
  });

  it('when the webhook secret is set, then a worker fetches as before and needs the API settings', () => {
    const enabled = loadConfig(
      { ...DOCSPACE, ...BAMBOO_API, BAMBOOHR_WEBHOOK_SECRET: 'bamboo-webhook-key' },
      'worker',
    );
    assert.equal(enabled.providers['bamboohr']?.fetches, true);
    assert.throws(
      () => loadConfig({ ...DOCSPACE, BAMBOOHR_WEBHOOK_SECRET: 'bamboo-webhook-key' }, 'worker'),
      (err: unknown) =>
        err instanceof ConfigError &&
        err.details.some((d) => d.message.includes('BAMBOOHR_WEBHOOK_SECRET is set')),
    );
  });
});
