import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { loadConfig } from '../../src/config.js';
import { ConfigError } from '../../src/errors.js';
import { describeRedis } from '../../src/queue/redis.js';

function problemsOf(env: NodeJS.ProcessEnv): { path: string; message: string }[] {
  try {
    loadConfig(env, 'api');
  } catch (err: unknown) {
    assert.ok(err instanceof ConfigError, String(err));
    return [...err.details];
  }
  assert.fail('expected a ConfigError');
}

describe('Redis topology settings', () => {
  it('when none is set, then the service connects to REDIS_URL alone', () => {
    const { redis } = loadConfig({ REDIS_URL: 'redis://:pw@cache:6380/3' }, 'api');

    assert.deepEqual(redis, { url: 'redis://:pw@cache:6380/3' });
  });

  it('when REDIS_SENTINELS is set, then its nodes, the master (default mymaster) and the sentinel password are kept', () => {
    const plain = loadConfig({ REDIS_SENTINELS: 's-0:26379, s-1:26380 ,[::1]:26381' }, 'api');
    const named = loadConfig(
      {
        REDIS_SENTINELS: 's-0:26379',
        REDIS_SENTINEL_MASTER: 'onboarding',
        REDIS_SENTINEL_PASSWORD: 'sentinel-pw',
      },
      'api',
    );

    assert.deepEqual(plain.redis.sentinels, [
      { host: 's-0', port: 26379 },
      { host: 's-1', port: 26380 },
      { host: '::1', port: 26381 },
    ]);
    assert.equal(plain.redis.sentinelMaster, 'mymaster');
    assert.equal(plain.redis.sentinelPassword, undefined);
    assert.equal(named.redis.sentinelMaster, 'onboarding');
    assert.equal(named.redis.sentinelPassword, 'sentinel-pw');
  });

  it('when REDIS_CLUSTER_NODES is set with a prefix in braces, then the nodes are kept', () => {
    const config = loadConfig(
      { REDIS_CLUSTER_NODES: 'r-0:6379,r-1:6379', QUEUE_PREFIX: '{onboarding}' },
      'api',
    );

    assert.deepEqual(config.redis.clusterNodes, [
      { host: 'r-0', port: 6379 },
      { host: 'r-1', port: 6379 },
    ]);
  });

  it('when REDIS_CLUSTER_NODES is set and QUEUE_PREFIX is not in braces, then start is refused and the message says why', () => {
    const problems = problemsOf({ REDIS_CLUSTER_NODES: 'r-0:6379' });

    const [problem, ...others] = problems;
    assert.deepEqual(others, []);
    assert.equal(problem?.path, 'QUEUE_PREFIX');
    assert.match(problem.message, /\{docspace-onboarding\}/);
    assert.match(problem.message, /one hash slot/);
  });

  it('when a prefix only has braces later or empty ones, then Cluster refuses it too', () => {
    for (const prefix of ['onboarding{x}', '{}onboarding', '{}']) {
      const problems = problemsOf({ REDIS_CLUSTER_NODES: 'r-0:6379', QUEUE_PREFIX: prefix });
      assert.deepEqual(
        problems.map((p) => p.path),
        ['QUEUE_PREFIX'],
        prefix,
      );
    }
  });

  it('when several Redis settings are wrong, then every problem is reported at once', () => {
    const problems = problemsOf({
      REDIS_URL: 'redis://cache:6379/2',
      REDIS_SENTINELS: 's-0,s-1:99999',
      REDIS_CLUSTER_NODES: 'r-0:6379',
      REDIS_TLS_CA_FILE: '/etc/ca.pem',
    });

    assert.deepEqual(
      problems.map((p) => p.path),
      [
        'REDIS_SENTINELS',
        'REDIS_SENTINELS',
        'REDIS_CLUSTER_NODES',
        'QUEUE_PREFIX',
        'REDIS_URL',
        'REDIS_TLS_CA_FILE',
      ],
    );
    assert.match(problems[0]?.message ?? '', /"s-0" is not host:port/);
    assert.match(problems[2]?.message ?? '', /together with REDIS_SENTINELS/);
    assert.match(problems[4]?.message ?? '', /only database 0/);
    assert.match(problems[5]?.message ?? '', /rediss:\/\//);
  });

  it('when rediss:// comes with a CA file, then the file is kept for the connection', () => {
    const config = loadConfig(
      { REDIS_URL: 'rediss://cache:6380', REDIS_TLS_CA_FILE: '/etc/redis/ca.pem' },
      'api',
    );

    assert.equal(config.redis.tlsCaFile, '/etc/redis/ca.pem');
  });

  it('describes where it connects without a password', () => {
    assert.deepEqual(describeRedis({ url: 'redis://:s3cret@cache:6379' }), {
      where: 'Redis at redis://:***@cache:6379',
      setting: 'REDIS_URL',
    });
    const sentinel = describeRedis({
      url: 'redis://:s3cret@x:1',
      sentinels: [{ host: 's-0', port: 26379 }],
      sentinelMaster: 'mymaster',
      sentinelPassword: 'also-secret',
    });
    assert.equal(sentinel.setting, 'REDIS_SENTINELS');
    assert.match(sentinel.where, /"mymaster" through the sentinels at s-0:26379/);
    assert.doesNotMatch(JSON.stringify(sentinel), /secret/);
    assert.equal(
      describeRedis({ url: 'redis://x', clusterNodes: [{ host: 'r-0', port: 7000 }] }).where,
      'Redis Cluster at r-0:7000',
    );
  });
});
