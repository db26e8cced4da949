import { loadConfig, USER_TYPES, type Config } from '../../src/config.js';
import { createDocspaceClient, type DocspaceClient } from '../../src/docspace/client.js';
import { createDocspaceHttp } from '../../src/docspace/http.js';
import { createRequestBudget } from '../../src/docspace/request-budget.js';
import { createKeys } from '../../src/queue/keys.js';
import { createRedis } from '../../src/queue/redis.js';
import { createBackoffStrategy } from '../../workers/backoff.js';

/**
 * What both baselines share with the service, so that only the algorithm differs: the settings,
 * the DocSpace client (HTTP, timeouts, classification) and the request budget (`DOCSPACE_MAX_RPS`
 * across processes, `concurrency` in flight, by default `DOCSPACE_CONCURRENCY`), on the
 * benchmark's own prefix.
 */
export function baselineDeps(concurrency?: number): {
  config: Config;
  connection: ReturnType<typeof createRedis>;
  docspace: DocspaceClient;
  userType: number;
  /**
   * The jobs the API stores ask for the `docspace` backoff (src/queue/contract.ts): without it a
   * failed attempt logs "Unknown backoff strategy docspace" instead of being retried.
   */
  settings: { backoffStrategy: ReturnType<typeof createBackoffStrategy> };
} {
  const config = loadConfig(process.env, 'worker');
  const connection = createRedis(config.redis, 'worker');
  const budget = createRequestBudget({
    redis: connection,
    keys: createKeys(config.queuePrefix),
    maxRps: config.docspace.maxRps,
    concurrency: concurrency ?? config.docspace.concurrency,
  });
  const docspace = createDocspaceClient({
    http: createDocspaceHttp({
      baseURL: config.docspace.url,
      apiKey: config.docspace.apiKey,
      timeoutMs: config.docspace.timeoutMs,
    }),
    budget,
  });
  return {
    config,
    connection,
    docspace,
    userType: USER_TYPES[config.docspace.userType],
    settings: { backoffStrategy: createBackoffStrategy(config.jobs.backoffMs) },
  };
}
