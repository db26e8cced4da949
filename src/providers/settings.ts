import type { ErrorDetail } from '../errors.js';
import type { Provider, ProviderSettings } from './types.js';

/**
 * Shortest webhook secret or token a provider is enabled with, as for `ADMIN_TOKEN`. BambooHR and
 * Bob generate theirs; Greenhouse's secret key and Personio's token are chosen by whoever sets up
 * the webhook, and a short one would let anyone sign or post deliveries.
 */
export const MIN_WEBHOOK_SECRET_LENGTH = 16;

/** One provider's settings as `loadConfig` read them. */
export interface ProviderConfig {
  /** Its webhook route answers (its `enabledBy` setting, the webhook secret, is set). */
  readonly enabled: boolean;
  /**
   * Workers fetch the people its webhooks name: enabled, or its worker settings (API credentials)
   * set on their own, so a worker needs no webhook secret (deploy/kubernetes gives it none).
   */
  readonly fetches: boolean;
  readonly settings: ProviderSettings;
}

/**
 * Reads every provider's settings from `env` (called by `loadConfig`, the one place that reads the
 * environment). A provider is enabled when its `enabledBy` setting is set; that secret must be at
 * least {@link MIN_WEBHOOK_SECRET_LENGTH} characters, and the settings marked `requiredForWorker`
 * must be set too for processes that run workers. Problems go to `problems`.
 */
export function readProviderSettings(
  env: NodeJS.ProcessEnv,
  providers: readonly Provider[],
  needsWorkerSettings: boolean,
  problems: ErrorDetail[],
): Readonly<Record<string, ProviderConfig>> {
  const result: Record<string, ProviderConfig> = {};
  for (const provider of providers) {
    const settings: Record<string, string> = {};
    for (const setting of provider.settings) {
      const raw = env[setting.env]?.trim() ?? '';
      const value = raw === '' ? (setting.default ?? '') : raw;
      settings[setting.env] = value;
      if (value === '') continue;
      if (
        setting.env === provider.enabledBy &&
        setting.kind === 'secret' &&
        value.length < MIN_WEBHOOK_SECRET_LENGTH
      ) {
        // Never echoed: the message names the setting and the rule only.
        problems.push({
          path: setting.env,
          message: `must be at least ${MIN_WEBHOOK_SECRET_LENGTH} characters (a webhook secret anyone could guess authenticates nothing)`,
        });
      } else if (setting.kind === 'url' && !isHttpUrl(value)) {
        problems.push({ path: setting.env, message: `must be an http or https URL` });
      } else if (typeof setting.kind === 'object' && !setting.kind.oneOf.includes(value)) {
        problems.push({
          path: setting.env,
          message: `must be one of ${setting.kind.oneOf.join(', ')}, got "${value}"`,
        });
      }
    }
    const enabled = (settings[provider.enabledBy] ?? '') !== '';
    const workerSettings = provider.settings.filter((s) => s.requiredForWorker === true);
    const someWorkerSetting = workerSettings.some((s) => settings[s.env] !== '');
    const fetches = needsWorkerSettings && (enabled || someWorkerSetting);
    if (fetches) {
      const why = enabled ? `${provider.enabledBy} is set` : `${provider.title}'s API is set up`;
      for (const setting of workerSettings) {
        if (settings[setting.env] === '') {
          problems.push({
            path: setting.env,
            message: `is required when ${why} (${setting.description})`,
          });
        }
      }
    }
    result[provider.name] = { enabled, fetches, settings: Object.freeze(settings) };
  }
  return result;
}

function isHttpUrl(value: string): boolean {
  try {
    const url = new URL(value);
    return url.protocol === 'http:' || url.protocol === 'https:';
  } catch {
    return false;
  }
}
