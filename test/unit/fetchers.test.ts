import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { loadConfig } from '../../src/config.js';
import { PROVIDERS } from '../../src/providers/registry.js';
import { createFetchers } from '../../workers/fetchers.js';

const DOCSPACE = { DOCSPACE_URL: 'https://portal.example.com', DOCSPACE_API_KEY: 'sk-test-key' };

describe('createFetchers: which HR systems a worker can read', () => {
  it('when only the API credentials are set (no webhook secret, as docker-compose.yml gives a worker), then those HR systems are read', () => {
    const config = loadConfig(
      {
        ...DOCSPACE,
        BAMBOOHR_COMPANY_DOMAIN: 'acme',
        BAMBOOHR_API_KEY: 'bamboo-api-key',
        HIBOB_SERVICE_USER_ID: 'svc',
        HIBOB_SERVICE_USER_TOKEN: 'svc-token',
        PERSONIO_CLIENT_ID: 'id',
        PERSONIO_CLIENT_SECRET: 'secret',
      },
      'worker',
    );
    assert.deepEqual(Object.keys(createFetchers(config, PROVIDERS)).sort(), [
      'bamboohr',
      'hibob',
      'personio',
    ]);
  });

  it('when an HR system has none of its API settings, then it is not read; when it has some, then the settings are refused', () => {
    assert.deepEqual(Object.keys(createFetchers(loadConfig(DOCSPACE, 'worker'), PROVIDERS)), []);
    assert.throws(
      () =>
        loadConfig(
          { ...DOCSPACE, BAMBOOHR_API_KEY: 'bamboo-api-key', HIBOB_SERVICE_USER_ID: 'svc' },
          'worker',
        ),
      /BAMBOOHR_COMPANY_DOMAIN: is required when BambooHR's API is set up/,
    );
  });
});
