/**
 * Child process entry of the baselines: `seed` or `naive`, configured by the same environment
 * variables as `workers/main.ts worker`. Tells the benchmark over IPC when it is ready.
 */
import { onStop, signalReady } from '../processes.js';
import { startNaiveBaseline } from './naive.js';
import { startSeedBaseline } from './seed.js';

const kind = process.argv[2];
if (kind !== 'seed' && kind !== 'naive') {
  process.stderr.write(`baseline: unknown kind "${String(kind)}" (seed or naive)\n`);
  process.exit(2);
}
const running = kind === 'seed' ? await startSeedBaseline() : await startNaiveBaseline();
onStop(running.close);
signalReady();
