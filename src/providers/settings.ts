import type { ErrorDetail } from '../errors.js';
import type { Provider, ProviderSettings } from './types.js';

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
 * environment). A provider is enabled when its `enabledBy` setting is set; then the settings marked
 * `requiredForWorker` must be set too for processes that run workers. Problems go to `problems`.
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
      if (setting.kind === 'url' && !isHttpUrl(value)) {
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
