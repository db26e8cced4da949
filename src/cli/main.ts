/**
 * `npm run replay -- …`: the operators' command line (docs/operations.md): replays failed jobs,
 * lists and releases held offboardings (docs/operations.md#leavers). Composition root:
 * reads the settings like the service does (Redis, QUEUE_PREFIX, LOG_LEVEL from the environment or
 * .env), talks to Redis directly, and exits with the codes listed in `--help` (see EXIT).
 */
import { loadConfig, type Config } from '../config.js';
import { loadDotEnv } from '../env-file.js';
import { ConfigError } from '../errors.js';
import { createLogger } from '../logger.js';
import { openQueues } from '../queue/job-listing.js';
import { createKeys } from '../queue/keys.js';
import { createOffboardingStore } from '../queue/offboarding-store.js';
import { createRedis, describeRedis, waitForRedis } from '../queue/redis.js';
import { createReplayer } from '../queue/replay.js';
import { runRequest } from './commands.js';
import { EXIT, parseCli, type CliOutput } from './program.js';
import { createLogRouter, createProgressView } from './progress.js';

/** How long the first connection may take before the command gives up with exit code 4. */
const REDIS_CONNECT_TIMEOUT_MS = 3_000;

async function main(): Promise<number> {
  loadDotEnv();
  const output: CliOutput = {
    out: (text) => process.stdout.write(text),
    err: (text) => process.stderr.write(text),
  };
  const request = parseCli(process.argv.slice(2), output);
  if ('exit' in request) return request.exit;

  let config: Readonly<Config>;
  try {
    config = loadConfig(process.env, 'api');
  } catch (err: unknown) {
    if (!(err instanceof ConfigError)) throw err;
    output.err(`${err.message}\n`);
    return EXIT.error;
  }

  const redis = createRedis(config.redis, 'producer');
  let redisError: string | undefined;
  const noteRedisError = (err: Error): void => {
    redisError = err.message;
  };
  redis.on('error', noteRedisError);
  const { where, setting } = describeRedis(config.redis);
  try {
    await waitForRedis(redis, REDIS_CONNECT_TIMEOUT_MS);
  } catch {
    const cause = redisError === undefined ? '' : ` (${redisError})`;
    output.err(
      `${where} did not answer within ${REDIS_CONNECT_TIMEOUT_MS / 1000} s${cause}; check ${setting}.\n`,
    );
    redis.disconnect();
    return EXIT.redisUnreachable;
  }

  const logs = createLogRouter(process.stderr);
  const logger = createLogger({
    level: config.logLevel,
    service: 'replay-cli',
    stream: logs.stream,
  }).child({ via: 'cli' });
  const { queues, close } = openQueues(redis, config.queuePrefix, noteRedisError);
  try {
    return await runRequest(request, {
      replayer: createReplayer({ queues, logger }),
      output,
      progress: () => createProgressView(process.stdout, logs),
      offboarding: createOffboardingStore({ redis, keys: createKeys(config.queuePrefix) }),
      hires: queues.hires,
      logger,
    });
  } catch (err: unknown) {
    const message = err instanceof Error ? err.message : String(err);
    if (redis.status !== 'ready') {
      output.err(`${where} went away: ${redisError ?? message}\n`);
      return EXIT.redisUnreachable;
    }
    output.err(`replay failed: ${message}\n`);
    return EXIT.error;
  } finally {
    await close().catch(() => undefined);
    await redis.quit().catch(() => {
      redis.disconnect();
    });
  }
}

main().then(
  (code) => {
    process.exitCode = code;
    // Everything is closed by now, but ioredis keeps a 2 s timer after a connection that never
    // opened (AbstractConnector.disconnect); a script should not wait for it, nor for any other.
    setTimeout(() => process.exit(code), 200).unref();
  },
  (err: unknown) => {
    process.stderr.write(`replay failed: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(EXIT.error);
  },
);
