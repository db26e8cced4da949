import { loadConfig } from './config.js';
import { loadDotEnv } from './env-file.js';
import { exitOnSignals } from './lifecycle.js';
import { createLogger } from './logger.js';
import { startApi } from './server.js';

/** `npm run start:api`: the HTTP side alone (scale it apart from the workers). */
try {
  loadDotEnv();
  const config = loadConfig(process.env, 'api');
  const logger = createLogger({ level: config.logLevel, service: 'docspace-onboarding-api' });
  const api = await startApi({ config, logger });
  exitOnSignals(logger, api.close);
} catch (err: unknown) {
  process.stderr.write(
    `docspace-onboarding: ${err instanceof Error ? err.message : String(err)}\n`,
  );
  process.exit(1);
}
