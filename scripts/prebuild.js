// Runs before `npm start`, `npm run start:api`, `npm run start:worker` and `npm run replay` (their
// pre-scripts in package.json), which all run the compiled JavaScript in dist/ with plain node.
//
// In a checkout TypeScript is installed: compile src/ and workers/ first, so the command runs what
// the source says, and stop on a compile error rather than run an older build. In the production
// image (`npm ci --omit=dev`) TypeScript is absent and dist/ is what the image was built with
// (read-only): there is nothing to do, and the command runs as it is.
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import process from 'node:process';

const resolve = createRequire(join(process.cwd(), 'package.json')).resolve;
let tsc;
try {
  tsc = resolve('typescript/bin/tsc');
} catch {
  process.exit(0);
}
const { status } = spawnSync(process.execPath, [tsc, '-p', '.'], { stdio: 'inherit' });
process.exit(status ?? 1);
