/**
 * `npm run docspace-sim`: the simulator alone (its own program: it shares no code with the
 * service). Composition root, so it reads the environment, through docspace-sim/settings.ts:
 * `DOCSPACE_SIM_PORT`, `DOCSPACE_SIM_HOST`, `DOCSPACE_API_KEY`, `DOCSPACE_SIM_LANG` and
 * `DOCSPACE_SIM_PAID_SEATS`.
 */
import { DEMO_API_KEY, createDocspaceSim } from './server.js';
import { loadSimSettings } from './settings.js';

let settings;
try {
  settings = loadSimSettings(process.env);
} catch (err: unknown) {
  process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
}
const { apiKey, lang, paidSeats } = settings;

const sim = createDocspaceSim({
  apiKeys: [apiKey],
  lang,
  ...(paidSeats === undefined ? {} : { paidSeats }),
});
const { url } = await sim.listen(settings.port, settings.host);
const keyNote =
  apiKey === DEMO_API_KEY ? `the demo key ${DEMO_API_KEY}` : 'the key from DOCSPACE_API_KEY';
process.stdout.write(
  `DocSpace simulator listening on ${url} (accepts ${keyNote}; answers in ${lang}; state at ${url}/sim/state)\n`,
);

let stopping = false;
function stop(signal: NodeJS.Signals): void {
  if (stopping) return;
  stopping = true;
  sim.close().then(
    () => {
      process.stdout.write(`DocSpace simulator stopped (${signal})\n`);
      process.exit(0);
    },
    (err: unknown) => {
      process.stderr.write(`DocSpace simulator failed to stop: ${String(err)}\n`);
      process.exit(1);
    },
  );
}
process.once('SIGTERM', stop);
process.once('SIGINT', stop);
