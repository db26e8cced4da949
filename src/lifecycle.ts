import type { Logger } from './logger.js';

/** Longest a shutdown may take before the process exits anyway (active jobs get this long). */
export const SHUTDOWN_TIMEOUT_MS = 30_000;

/**
 * On SIGTERM or SIGINT: runs `close` once, then exits 0 (1 if closing failed or took longer than
 * `timeoutMs`). A second signal exits at once.
 */
export function exitOnSignals(
  logger: Logger,
  close: () => Promise<void>,
  timeoutMs = SHUTDOWN_TIMEOUT_MS,
): void {
  let closing = false;
  const onSignal = (signal: NodeJS.Signals): void => {
    if (closing) {
      logger.warn('second signal: exiting now', { signal });
      process.exit(1);
    }
    closing = true;
    logger.info('shutting down', { signal });
    const timer = setTimeout(() => {
      logger.error('shutdown took too long; exiting', { timeoutMs });
      process.exit(1);
    }, timeoutMs);
    timer.unref();
    close().then(
      () => {
        logger.info('stopped');
        process.exit(0);
      },
      (err: unknown) => {
        logger.error('shutdown failed', {
          error: err instanceof Error ? err.message : String(err),
        });
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
}
