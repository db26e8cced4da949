import type { Config } from '../src/config.js';
import { createHrHttp } from '../src/providers/hr-http.js';
import type { HireFetcher, Provider } from '../src/providers/types.js';

/**
 * A fetcher per HR system that sends only ids (its API settings come from the config), for each one
 * whose webhook is enabled or whose API settings are all set. A worker has no use for the webhook
 * secret (docker-compose.yml gives it none): its API credentials are what it needs.
 */
export function createFetchers(
  config: Config,
  providers: readonly Provider[],
): Record<string, HireFetcher> {
  const fetchers: Record<string, HireFetcher> = {};
  for (const provider of providers) {
    const settings = config.providers[provider.name];
    if (settings === undefined || provider.createFetcher === undefined) continue;
    const required = provider.settings.filter((setting) => setting.requiredForWorker === true);
    const credentialed =
      required.length > 0 &&
      required.every((setting) => (settings.settings[setting.env] ?? '') !== '');
    if (!settings.enabled && !credentialed) continue;
    fetchers[provider.name] = provider.createFetcher(settings.settings, (baseURL, headers) =>
      createHrHttp(baseURL, headers, config.docspace.timeoutMs),
    );
  }
  return fetchers;
}
