import { DEMO_API_KEY } from './constants.js';
import { parseSimLang, SIM_LANGS, type SimLang } from './messages.js';

/** The port the simulator listens on unless `DOCSPACE_SIM_PORT` says otherwise. */
export const DEFAULT_SIM_PORT = 8090;

/** The simulator's settings, read from the environment by {@link loadSimSettings}. */
export interface SimSettings {
  /** `DOCSPACE_SIM_PORT` (default 8090; 0 picks a free port). */
  readonly port: number;
  /** `DOCSPACE_SIM_HOST` (default 127.0.0.1; 0.0.0.0 in a container). */
  readonly host: string;
  /** `DOCSPACE_SIM_LANG`: the API key owner's language, `en` or `de` (default `en`). */
  readonly lang: SimLang;
  /** `DOCSPACE_SIM_PAID_SEATS`: paid seats of the plan (default: no limit). */
  readonly paidSeats: number | undefined;
  /** `DOCSPACE_API_KEY`: the key it accepts (default: the documented demo key). */
  readonly apiKey: string;
}

/** Settings the simulator cannot start with; lists every problem. */
export class SimSettingsError extends Error {
  override name = 'SimSettingsError' as const;
}

/**
 * The one place that reads the simulator's settings (`npm run docspace-sim` and `npm run demo` both
 * come here). Every problem is listed at once.
 * @throws SimSettingsError
 */
export function loadSimSettings(env: Readonly<Record<string, string | undefined>>): SimSettings {
  const problems: string[] = [];
  const rawPort = env['DOCSPACE_SIM_PORT']?.trim() ?? '';
  const port = rawPort === '' ? DEFAULT_SIM_PORT : /^\d{1,5}$/.test(rawPort) ? Number(rawPort) : -1;
  if (port < 0 || port > 65535) {
    problems.push(`DOCSPACE_SIM_PORT must be a port number (0 to 65535), not "${rawPort}"`);
  }
  const rawLang = env['DOCSPACE_SIM_LANG']?.trim() ?? '';
  const lang = rawLang === '' ? 'en' : parseSimLang(rawLang);
  if (lang === undefined) {
    problems.push(`DOCSPACE_SIM_LANG must be one of ${SIM_LANGS.join(', ')}, not "${rawLang}"`);
  }
  const rawSeats = env['DOCSPACE_SIM_PAID_SEATS']?.trim() ?? '';
  if (rawSeats !== '' && !/^\d+$/.test(rawSeats)) {
    problems.push(`DOCSPACE_SIM_PAID_SEATS must be a whole number, not "${rawSeats}"`);
  }
  const host = env['DOCSPACE_SIM_HOST']?.trim() ?? '';
  const apiKey = env['DOCSPACE_API_KEY']?.trim() ?? '';
  if (problems.length > 0 || lang === undefined) throw new SimSettingsError(problems.join('\n'));
  return {
    port,
    host: host === '' ? '127.0.0.1' : host,
    lang,
    paidSeats: rawSeats === '' ? undefined : Number(rawSeats),
    apiKey: apiKey === '' ? DEMO_API_KEY : apiKey,
  };
}
