/**
 * `npm run demo`: the whole service on one machine against the DocSpace simulator (demo/run.ts).
 * Composition root: the one place on this side that reads the environment (and `.env`).
 */
import { loadDotEnv } from '../src/env-file.js';
import { runDemo } from './run.js';

try {
  loadDotEnv();
  await runDemo(process.env);
} catch (err: unknown) {
  process.stderr.write(
    `docspace-onboarding demo: ${err instanceof Error ? err.message : String(err)}\n`,
  );
  process.exit(1);
}
