/**
 * `npm run docspace-sim`: the simulator alone. Composition root, so it reads the environment:
 * `DOCSPACE_SIM_PORT` (default 8090), `DOCSPACE_SIM_HOST` (default 127.0.0.1; 0.0.0.0 in a
 * container), `DOCSPACE_API_KEY` (the accepted key; the documented demo key when unset),
 * `DOCSPACE_SIM_LANG` (the key owner's language, `en` or `de`; default `en`) and
 * `DOCSPACE_SIM_PAID_SEATS` (paid seats of the plan; default no limit).
 */
import { DEMO_API_KEY, createDocspaceSim, parseSimLang, SIM_LANGS } from './server.js';

const DEFAULT_PORT = 8090;

function portFrom(value: string | undefined): number {
  if (value === undefined || value.trim() === '') return DEFAULT_PORT;
  const port = Number(value);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    process.stderr.write(`DOCSPACE_SIM_PORT must be a port number, not "${value}"\n`);
    process.exit(1);
  }
  return port;
}

function fail(message: string): never {
  process.stderr.write(`${message}\n`);
  process.exit(1);
}

const port = portFrom(process.env['DOCSPACE_SIM_PORT']);
const rawLang = process.env['DOCSPACE_SIM_LANG']?.trim() ?? '';
const lang =
  rawLang === ''
    ? 'en'
    : (parseSimLang(rawLang) ??
      fail(`DOCSPACE_SIM_LANG must be one of ${SIM_LANGS.join(', ')}, not "${rawLang}"`));
const rawSeats = process.env['DOCSPACE_SIM_PAID_SEATS']?.trim() ?? '';
if (rawSeats !== '' && !/^\d+$/.test(rawSeats)) {
  fail(`DOCSPACE_SIM_PAID_SEATS must be a whole number, not "${rawSeats}"`);
}
const host = process.env['DOCSPACE_SIM_HOST']?.trim() ?? '127.0.0.1';
const configuredKey = process.env['DOCSPACE_API_KEY']?.trim() ?? '';
const apiKey = configuredKey === '' ? DEMO_API_KEY : configuredKey;

const sim = createDocspaceSim({
  apiKeys: [apiKey],
  lang,
  ...(rawSeats === '' ? {} : { paidSeats: Number(rawSeats) }),
});
const { url } = await sim.listen(port, host === '' ? '127.0.0.1' : host);
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
