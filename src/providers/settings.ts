import { z } from 'zod';
import { problemsOf } from '../domain/problems.js';
import type { ErrorDetail } from '../errors.js';
import { longSecret, oneOf, readEnv } from '../settings.js';
import type { Provider, ProviderSetting, ProviderSettings } from './types.js';

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

/** The schema of one provider setting, from its descriptor; unset is its default or `""`. */
function settingSchema(
  provider: Provider,
  setting: ProviderSetting,
): z.ZodType<string, string | undefined> {
  const fallback = setting.default ?? '';
  if (typeof setting.kind === 'object') {
    const [first = '', ...rest] = setting.kind.oneOf;
    return oneOf([first, ...rest], fallback);
  }
  if (setting.kind === 'url') {
    return z
      .string()
      .refine(isHttpUrl, { error: 'must be an http or https URL' })
      .default(fallback);
  }
  if (setting.env === provider.enabledBy && setting.kind === 'secret') {
    // Never echoed: the message names the setting and the rule only.
    return longSecret(
      `must be at least ${MIN_WEBHOOK_SECRET_LENGTH} characters (a webhook secret anyone could guess authenticates nothing)`,
    ).transform((value) => value ?? fallback);
  }
  return z.string().default(fallback);
}

/** Every provider's settings, by environment name (part of `loadConfig`'s schema). */
export function providerSettingsShape(
  providers: readonly Provider[],
): Record<string, z.ZodType<string, string | undefined>> {
  return Object.fromEntries(
    providers.flatMap((provider) =>
      provider.settings.map((setting) => [setting.env, settingSchema(provider, setting)]),
    ),
  );
}

const isSet = (value: unknown) => typeof value === 'string' && value !== '';

/**
 * Workers fetch from a provider's API when it is enabled (its `enabledBy` setting, the webhook
 * secret, is set) or its worker settings are set on their own; then every setting marked
 * `requiredForWorker` must be set. Problems go to `ctx`.
 */
export function checkProviderSettings(
  providers: readonly Provider[],
  needsWorkerSettings: boolean,
  value: Readonly<Record<string, unknown>>,
  ctx: z.RefinementCtx,
): void {
  if (!needsWorkerSettings) return;
  for (const provider of providers) {
    const enabled = isSet(value[provider.enabledBy]);
    const workerSettings = provider.settings.filter((s) => s.requiredForWorker === true);
    if (!enabled && !workerSettings.some((s) => isSet(value[s.env]))) continue;
    const why = enabled ? `${provider.enabledBy} is set` : `${provider.title}'s API is set up`;
    for (const setting of workerSettings) {
      if (isSet(value[setting.env])) continue;
      ctx.addIssue({
        code: 'custom',
        path: [setting.env],
        message: `is required when ${why} (${setting.description})`,
        input: undefined,
      });
    }
  }
}

/** Each provider's settings, and whether its route answers and its people are fetched. */
export function providerConfigsOf(
  providers: readonly Provider[],
  needsWorkerSettings: boolean,
  value: Readonly<Record<string, unknown>>,
): Readonly<Record<string, ProviderConfig>> {
  const result: Record<string, ProviderConfig> = {};
  for (const provider of providers) {
    const settings = Object.fromEntries(
      provider.settings.map((s) => {
        const setting = value[s.env];
        return [s.env, typeof setting === 'string' ? setting : ''];
      }),
    );
    const enabled = isSet(settings[provider.enabledBy]);
    const workerSettings = provider.settings.filter((s) => s.requiredForWorker === true);
    const fetches =
      needsWorkerSettings && (enabled || workerSettings.some((s) => isSet(settings[s.env])));
    result[provider.name] = { enabled, fetches, settings: Object.freeze(settings) };
  }
  return result;
}

/**
 * The settings of `providers` alone, read from `env`; problems go to `problems`. `loadConfig`
 * reads them within its own schema; this is for a process (or a test) with other HR systems.
 */
export function readProviderSettings(
  env: NodeJS.ProcessEnv,
  providers: readonly Provider[],
  needsWorkerSettings: boolean,
  problems: ErrorDetail[],
): Readonly<Record<string, ProviderConfig>> {
  const shape = providerSettingsShape(providers);
  const values = readEnv(env, Object.keys(shape));
  const parsed = z
    .object(shape)
    .check(
      z.superRefine(
        (value: Readonly<Record<string, unknown>>, ctx) => {
          checkProviderSettings(providers, needsWorkerSettings, value, ctx);
        },
        { when: () => true },
      ),
    )
    .safeParse(values);
  if (!parsed.success) problems.push(...problemsOf(parsed.error.issues));
  return providerConfigsOf(providers, needsWorkerSettings, parsed.data ?? values);
}

function isHttpUrl(value: string): boolean {
  try {
    const url = new URL(value);
    return url.protocol === 'http:' || url.protocol === 'https:';
  } catch {
    return false;
  }
}
