import { loadConfig, type Role } from '../src/config.js';
import { loadDotEnv } from '../src/env-file.js';
import { exitOnSignals } from '../src/lifecycle.js';
import { createLogger } from '../src/logger.js';
import { createMetrics } from '../src/metrics.js';
import { createRedis } from '../src/queue/redis.js';
import { startApi } from '../src/server.js';
import { startWorkerHttp } from './http.js';
import { startWorkers } from './start.js';

/**
 * Entry point of the worker side: `worker` (npm run start:worker) or `all` (npm start: API and
 * worker in one process). The one place on this side that reads the environment. The demo has its
 * own entry point (demo/main.ts).
 */
const mode = process.argv[2] ?? 'worker';
try {
  loadDotEnv();
  if (mode === 'worker' || mode === 'all') {
    const role: Role = mode;
    const config = loadConfig(process.env, role);
    const logger = createLogger({ level: config.logLevel, service: `docspace-onboarding-${role}` });
    const connection = createRedis(config.redis, 'worker');
    connection.on('error', (err: Error) => {
      logger.warn('redis (worker) unavailable', { error: err.message });
    });
    const metrics = createMetrics({ logger });
    const workers = await startWorkers({ config, logger, connection, metrics });
    const api = role === 'all' ? await startApi({ config, logger, metrics }) : undefined;
    // A worker-only process has no API server: this one shows its health and metrics. A taken
    // port (several workers on one host) costs the endpoints, not the jobs: warn and work on.
    let stopping = false;
    const http =
      role === 'worker' && config.workerMetricsPort !== 0
        ? await startWorkerHttp({
            port: config.workerMetricsPort,
            metrics,
            metricsToken: config.metricsToken,
            ping: () => connection.ping(),
            logger,
            stopping: () => stopping,
          }).catch((err: unknown) => {
            logger.error('no /healthz, /readyz or /metrics: WORKER_METRICS_PORT cannot be used', {
              port: config.workerMetricsPort,
              error: err instanceof Error ? err.message : String(err),
              fix: 'give each worker on this host its own WORKER_METRICS_PORT, or 0 for none',
            });
            return undefined;
          })
        : undefined;
    exitOnSignals(logger, async () => {
      stopping = true;
      await api?.close();
      await workers.close();
      await http?.close();
      await connection.quit();
    });
  } else {
    throw new Error(`unknown mode "${mode}": use worker or all (the demo is npm run demo)`);
  }
} catch (err: unknown) {
  process.stderr.write(
    `docspace-onboarding: ${err instanceof Error ? err.message : String(err)}\n`,
  );
  process.exit(1);
}
