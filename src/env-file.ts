import { existsSync } from 'node:fs';

/**
 * Loads `.env` from the working directory when there is one (Node's own parser, no dependency).
 * Variables already set in the environment win, so `PORT=4000 npm start` overrides the file.
 */
export function loadDotEnv(path = '.env'): void {
  if (existsSync(path)) process.loadEnvFile(path);
}
