import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { USER_TYPES, loadConfig } from '../../src/config.js';
import { ConfigError } from '../../src/errors.js';

const SECRET_A = `whsec_${Buffer.alloc(32, 0xa1).toString('base64')}`;
const SECRET_B = `whsec_${Buffer.alloc(24, 0xb2).toString('base64')}`;
const DOCSPACE = {
  DOCSPACE_URL: 'https://portal.example.com',
  DOCSPACE_API_KEY: 'sk-0123456789abcdef',
};

/** Runs `fn`, expects a ConfigError, returns it for further checks. */
function configErrorOf(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (err: unknown) {
    assert.ok(err instanceof ConfigError, `expected ConfigError, got ${String(err)}`);
    assert.equal(err.code, 'ERR_CONFIG');
    return err;
  }
  assert.fail('expected a ConfigError, nothing was thrown');
}

const paths = (err: ConfigError) => err.details.map((d) => d.path);

describe('loadConfig', () => {
  it('when nothing is set for the api role, then every default of docs/configuration.md applies', () => {
    const config = loadConfig({}, 'api');

    assert.equal(config.port, 3000);
    assert.equal(config.redisUrl, 'redis://127.0.0.1:6379');
    assert.equal(config.queuePrefix, 'docspace-onboarding');
    assert.equal(config.docspace.userType, 'User');
    assert.equal(config.invite.mode, 'invite');
    assert.equal(config.invite.batchSize, 50);
    assert.equal(config.invite.maxWaitMs, 5000);
    assert.equal(config.docspace.maxRps, 20);
    assert.equal(config.docspace.concurrency, 10);
    assert.equal(config.logLevel, 'info');
    assert.deepEqual(config.webhookSecrets, []);
    assert.equal(config.adminToken, undefined);
    assert.equal(config.docspace.url, '');
    assert.equal(config.docspace.apiKey, '');
  });

  it('when values are set, then they are parsed and used', () => {
    const config = loadConfig(
      {
        ...DOCSPACE,
        PORT: '8080',
        REDIS_URL: 'rediss://redis.internal:6380/2',
        QUEUE_PREFIX: '{onboarding}',
        DOCSPACE_USER_TYPE: 'RoomAdmin',
        INVITE_MODE: 'resend',
        INVITE_BATCH_SIZE: '10',
        INVITE_BATCH_MAX_WAIT_MS: '250',
        DOCSPACE_MAX_RPS: '5',
        DOCSPACE_CONCURRENCY: '3',
        LOG_LEVEL: 'debug',
        ADMIN_TOKEN: 'a-long-admin-token-123',
      },
      'all',
    );

    assert.equal(config.port, 8080);
    assert.equal(config.redisUrl, 'rediss://redis.internal:6380/2');
    assert.equal(config.queuePrefix, '{onboarding}');
    assert.equal(config.docspace.url, 'https://portal.example.com');
    assert.equal(config.docspace.apiKey, 'sk-0123456789abcdef');
    assert.equal(config.docspace.userType, 'RoomAdmin');
    assert.equal(USER_TYPES[config.docspace.userType], 1);
    assert.equal(config.invite.mode, 'resend');
    assert.equal(config.invite.batchSize, 10);
    assert.equal(config.invite.maxWaitMs, 250);
    assert.equal(config.docspace.maxRps, 5);
    assert.equal(config.docspace.concurrency, 3);
    assert.equal(config.logLevel, 'debug');
    assert.equal(config.adminToken, 'a-long-admin-token-123');
  });

  it('maps the user types to the DocSpace integers', () => {
    assert.deepEqual(USER_TYPES, { User: 4, RoomAdmin: 1, DocSpaceAdmin: 3 });
  });

  it('when a setting is empty or only spaces, then its default applies', () => {
    const config = loadConfig({ PORT: '', LOG_LEVEL: '   ', INVITE_MODE: '' }, 'api');

    assert.equal(config.port, 3000);
    assert.equal(config.logLevel, 'info');
    assert.equal(config.invite.mode, 'invite');
  });

  it('when DOCSPACE_URL ends with slashes, then they are removed', () => {
    const config = loadConfig({ ...DOCSPACE, DOCSPACE_URL: 'https://portal.example.com//' });

    assert.equal(config.docspace.url, 'https://portal.example.com');
  });

  it('when the role is api, then DOCSPACE_URL and DOCSPACE_API_KEY are not needed', () => {
    assert.doesNotThrow(() => loadConfig({}, 'api'));
  });

  for (const role of ['worker', 'all'] as const) {
    it(`when the role is ${role} and DocSpace is not set, then both settings are reported`, () => {
      const err = configErrorOf(() => loadConfig({}, role));

      assert.deepEqual(paths(err).sort(), ['DOCSPACE_API_KEY', 'DOCSPACE_URL']);
    });
  }

  it('when no role is given, then it is all and DocSpace is required', () => {
    const err = configErrorOf(() => loadConfig({}));

    assert.deepEqual(paths(err).sort(), ['DOCSPACE_API_KEY', 'DOCSPACE_URL']);
  });

  it('when many settings are wrong, then one ConfigError lists every one of them', () => {
    const env = {
      PORT: 'eighty',
      REDIS_URL: 'http://redis:6379',
      QUEUE_PREFIX: 'a:b',
      DOCSPACE_URL: 'ftp://portal.example.com',
      DOCSPACE_USER_TYPE: 'Guest',
      INVITE_MODE: 'bulk',
      INVITE_BATCH_SIZE: '0',
      INVITE_BATCH_MAX_WAIT_MS: '-5',
      DOCSPACE_MAX_RPS: '1.5',
      DOCSPACE_CONCURRENCY: '1e3',
      WEBHOOK_SECRET: 'not-a-secret',
      ADMIN_TOKEN: 'short',
      LOG_LEVEL: 'loud',
    };

    const err = configErrorOf(() => loadConfig(env, 'worker'));

    const expected = [
      ...Object.keys(env),
      'DOCSPACE_API_KEY', // missing for the worker role
    ];
    assert.deepEqual([...paths(err)].sort(), [...expected].sort());
    for (const name of expected) assert.match(err.message, new RegExp(`- ${name}: `));
  });

  it('when settings are wrong on their own and together, then one ConfigError lists both kinds', () => {
    const err = configErrorOf(() =>
      loadConfig(
        {
          PORT: 'eighty',
          LOG_LEVEL: 'loud',
          DOCSPACE_CIRCUIT_WAIT_MS: '100',
          DOCSPACE_CIRCUIT_MAX_WAIT_MS: '50',
          REDIS_SENTINELS: 'a:26379',
          REDIS_CLUSTER_NODES: 'b:6379',
        },
        'api',
      ),
    );

    assert.deepEqual(paths(err), [
      'PORT',
      'LOG_LEVEL',
      'DOCSPACE_CIRCUIT_MAX_WAIT_MS',
      'REDIS_CLUSTER_NODES',
      'QUEUE_PREFIX',
    ]);
  });

  it('reports a bad number with its range and the value received', () => {
    const err = configErrorOf(() => loadConfig({ PORT: '65536' }, 'api'));

    assert.deepEqual(err.details, [
      { path: 'PORT', message: 'must be a whole number from 0 to 65535, got "65536"' },
    ]);
  });

  it('reads FAILED_JOB_RETENTION_DAYS: 30 days by default, 1 to 3650 (issue #10)', () => {
    assert.equal(loadConfig({}, 'api').jobs.failedRetentionDays, 30);
    assert.equal(loadConfig({ FAILED_JOB_RETENTION_DAYS: '7' }, 'api').jobs.failedRetentionDays, 7);
    for (const bad of ['0', '3651', '1.5', 'forever']) {
      const err = configErrorOf(() => loadConfig({ FAILED_JOB_RETENTION_DAYS: bad }, 'api'));
      assert.deepEqual(err.details, [
        {
          path: 'FAILED_JOB_RETENTION_DAYS',
          message: `must be a whole number from 1 to 3650, got "${bad}"`,
        },
      ]);
    }
  });

  it('refuses an HR webhook secret or token shorter than 16 characters, without echoing it (issue #10)', () => {
    const short = {
      BAMBOOHR_WEBHOOK_SECRET: 'bhr-short-1',
      HIBOB_WEBHOOK_SECRET: 'bob-short-22',
      GREENHOUSE_WEBHOOK_SECRET: 'gh-short-333',
      PERSONIO_WEBHOOK_TOKEN: 'pw-short-4444',
    };
    const err = configErrorOf(() => loadConfig(short, 'api'));
    assert.deepEqual(paths(err).sort(), Object.keys(short).sort());
    for (const detail of err.details) assert.match(detail.message, /at least 16 characters/);
    for (const value of Object.values(short)) assert.ok(!err.message.includes(value));
    assert.ok(!JSON.stringify(err.details).includes('short-'));

    const long = Object.fromEntries(Object.keys(short).map((name) => [name, 'x'.repeat(16)]));
    const config = loadConfig(long, 'api');
    assert.ok(Object.values(config.providers).every((provider) => provider.enabled));
  });

  it('reports a bad choice with the allowed values', () => {
    const err = configErrorOf(() => loadConfig({ DOCSPACE_USER_TYPE: 'Guest' }, 'api'));

    assert.deepEqual(err.details, [
      {
        path: 'DOCSPACE_USER_TYPE',
        message: 'must be one of User, RoomAdmin, DocSpaceAdmin, got "Guest"',
      },
    ]);
  });

  it('when QUEUE_PREFIX is wrapped in braces for Redis Cluster, then ":" is not checked inside', () => {
    assert.equal(loadConfig({ QUEUE_PREFIX: '{a:b}' }, 'api').queuePrefix, '{a:b}');
  });

  it('when WEBHOOK_SECRET holds two space-separated secrets, then both are kept in order', () => {
    const config = loadConfig({ WEBHOOK_SECRET: `  ${SECRET_A}   ${SECRET_B} ` }, 'api');

    assert.deepEqual(config.webhookSecrets, [SECRET_A, SECRET_B]);
  });

  it('when WEBHOOK_SECRET holds secrets on several lines, then both are kept', () => {
    const config = loadConfig({ WEBHOOK_SECRET: `${SECRET_A}\n${SECRET_B}` }, 'api');

    assert.deepEqual(config.webhookSecrets, [SECRET_A, SECRET_B]);
  });

  for (const bad of ['whsec_', 'whsec_!!!notbase64', Buffer.alloc(32, 1).toString('base64')]) {
    it(`when a secret is ${JSON.stringify(bad.slice(0, 12))}…, then it is reported by position, not echoed`, () => {
      const err = configErrorOf(() => loadConfig({ WEBHOOK_SECRET: `${SECRET_A} ${bad}` }, 'api'));

      assert.deepEqual(err.details, [
        {
          path: 'WEBHOOK_SECRET',
          message: 'secret #2 is not a Standard Webhooks secret ("whsec_" followed by base64)',
        },
      ]);
      const material = bad.replace(/^whsec_/, '');
      if (material !== '') assert.equal(err.message.includes(material), false);
      assert.equal(err.message.includes(SECRET_A), false);
    });
  }

  it('when ADMIN_TOKEN is shorter than 16 characters, then it is refused without echoing it', () => {
    const err = configErrorOf(() => loadConfig({ ADMIN_TOKEN: 'hunter2hunter2' }, 'api'));

    assert.deepEqual(err.details, [
      { path: 'ADMIN_TOKEN', message: 'must be at least 16 characters' },
    ]);
    assert.equal(err.message.includes('hunter2'), false);
  });

  it('when a bad URL carries a password, then the error shows the URL without it', () => {
    const err = configErrorOf(() =>
      loadConfig({ REDIS_URL: 'http://default:s3cretPass@redis:6379' }, 'api'),
    );

    assert.deepEqual(err.details, [
      {
        path: 'REDIS_URL',
        message: 'must be a redis: or rediss: URL, got "http://***@redis:6379"',
      },
    ]);
    assert.equal(err.message.includes('s3cretPass'), false);
  });

  it('when the DOCSPACE_URL with a password is not a URL, then the password is not echoed', () => {
    const err = configErrorOf(() =>
      loadConfig({ ...DOCSPACE, DOCSPACE_URL: 'https://admin:s3cretPass@' }, 'worker'),
    );

    assert.deepEqual(paths(err), ['DOCSPACE_URL']);
    assert.equal(err.message.includes('s3cretPass'), false);
  });

  // BUG (reported to the lead): redactUrl stops at the first "@" and at any "/", so a password
  // holding an unencoded "@" or "/" leaks, in part or whole, into the error (and the startup log).
  it('when the password in a bad URL holds "@" or "/", then no part of it is echoed', () => {
    const at = configErrorOf(() =>
      loadConfig({ REDIS_URL: 'http://default:pa@ssword@redis:6379' }, 'api'),
    );
    const slash = configErrorOf(() =>
      loadConfig({ REDIS_URL: 'redis://default:pa/ssword@redis:6379' }, 'api'),
    );

    assert.equal(
      at.details[0]?.message,
      'must be a redis: or rediss: URL, got "http://***@redis:6379"',
    );
    assert.equal(slash.message.includes('ssword'), false, slash.message);
  });

  it('returns a deeply frozen object', () => {
    const config = loadConfig({ ...DOCSPACE, WEBHOOK_SECRET: SECRET_A });

    assert.equal(Object.isFrozen(config), true);
    assert.equal(Object.isFrozen(config.docspace), true);
    assert.equal(Object.isFrozen(config.invite), true);
    assert.equal(Object.isFrozen(config.jobs), true);
    assert.equal(Object.isFrozen(config.webhookSecrets), true);
    assert.throws(() => {
      (config as { port: number }).port = 1;
    }, TypeError);
    assert.throws(() => {
      (config.docspace as { apiKey: string }).apiKey = 'stolen';
    }, TypeError);
    assert.throws(() => {
      (config.webhookSecrets as string[]).push(SECRET_B);
    }, TypeError);
    assert.equal(config.port, 3000);
    assert.equal(config.docspace.apiKey, 'sk-0123456789abcdef');
  });

  it('does not change the env object it reads', () => {
    const env = { ...DOCSPACE, PORT: ' 4000 ' };

    assert.equal(loadConfig(env).port, 4000);
    assert.deepEqual(env, { ...DOCSPACE, PORT: ' 4000 ' });
  });
});
