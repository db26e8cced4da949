import type { Config } from '../src/config.js';
import { createHrHttp } from '../src/providers/hr-http.js';
import type { HireFetcher, Provider } from '../src/providers/types.js';

/** A fetcher per enabled HR system that sends only ids (its API settings come from the config). */
export function createFetchers(
  config: Config,
  providers: readonly Provider[],
): Record<string, HireFetcher> {
  const fetchers: Record<string, HireFetcher> = {};
  for (const provider of providers) {
    const settings = config.providers[provider.name];
    if (settings?.fetches !== true || provider.createFetcher === undefined) continue;
    fetchers[provider.name] = provider.createFetcher(settings.settings, (baseURL, headers) =>
      createHrHttp(baseURL, headers, config.docspace.timeoutMs),
    );
  }
  return fetchers;
}
