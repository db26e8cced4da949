import { z } from 'zod';
import { problemsOf } from './domain/problems.js';
import { decodeWebhookSecret } from './domain/signature.js';
import { isTimeZone } from './domain/effective-date.js';
import { ConfigError } from './errors.js';
import { PROVIDERS } from './providers/registry.js';
import {
  checkProviderSettings,
  providerConfigsOf,
  providerSettingsShape,
} from './providers/settings.js';
import { DEFAULT_FAILED_RETENTION_DAYS } from './queue/contract.js';
import { checkRedisSettings, REDIS_SETTINGS, redisSettingsOf } from './redis-settings.js';
import { longSecret, oneOf, optionalWholeNumber, readEnv, url, wholeNumber } from './settings.js';

/** DocSpace's EmployeeType integers (common/ASC.Core.Common/Core/EmployeeType.cs; docs/docspace.md); names changed in v3.0, integers did not. */
export const USER_TYPES = { User: 4, RoomAdmin: 1, DocSpaceAdmin: 3 } as const;
export type UserTypeName = keyof typeof USER_TYPES;
const USER_TYPE_NAMES = ['User', 'RoomAdmin', 'DocSpaceAdmin'] as const satisfies UserTypeName[];

export const INVITE_MODES = ['invite', 'resend', 'none'] as const;
export type InviteMode = (typeof INVITE_MODES)[number];

/** Which halves of the service a process runs; decides which settings are required. */
export type Role = 'api' | 'worker' | 'all';

export const OFFBOARDING_MODES = ['off', 'disable'] as const;
export const OFFBOARDING_SCOPES = ['created', 'all'] as const;
export type OffboardingMode = (typeof OFFBOARDING_MODES)[number];
export type OffboardingScope = (typeof OFFBOARDING_SCOPES)[number];

/** `HR_TIMEZONE`: an IANA zone the runtime knows. */
const hrTimeZone = z
  .string()
  .refine(isTimeZone, {
    error: (issue) =>
      `must be an IANA time zone such as Europe/Berlin, got "${String(issue.input)}"`,
  })
  .default('UTC');

const LOG_LEVELS = ['error', 'warn', 'info', 'http', 'verbose', 'debug', 'silly'] as const;

/** `WEBHOOK_SECRET`: Standard Webhooks secrets, space-separated; reported by position, never echoed. */
const webhookSecrets = z
  .string()
  .optional()
  .transform((raw, ctx) => {
    const secrets = (raw ?? '').split(/\s+/).filter((s) => s !== '');
    secrets.forEach((secret, index) => {
      if (!secret.startsWith('whsec_') || decodeWebhookSecret(secret) === undefined) {
        ctx.issues.push({
          code: 'custom',
          input: undefined,
          message: `secret #${index + 1} is not a Standard Webhooks secret ("whsec_" followed by base64)`,
        });
      }
    });
    return secrets;
  });

/** Every setting of the service by its environment name; what is required depends on the role. */
function settingsShape(role: Role) {
  const needsDocspace = role !== 'api';
  return {
    PORT: wholeNumber(3000, 0, 65535),
    WORKER_METRICS_PORT: wholeNumber(9464, 0, 65535),
    ...REDIS_SETTINGS,
    QUEUE_PREFIX: z
      .string()
      .refine((prefix) => !prefix.includes(':') || /^\{[^}]+\}$/.test(prefix), {
        error: 'may not contain ":"',
      })
      .default('docspace-onboarding'),
    DOCSPACE_URL: needsDocspace
      ? url(['http:', 'https:'], 'is required (e.g. https://yourportal.onlyoffice.com)')
      : url(['http:', 'https:']).default(''),
    DOCSPACE_API_KEY: needsDocspace
      ? z.string({ error: 'is required (Settings → Developer Tools → API keys)' })
      : z.string().default(''),
    DOCSPACE_USER_TYPE: oneOf(USER_TYPE_NAMES, 'User'),
    DOCSPACE_MAX_RPS: wholeNumber(20, 1, 10_000),
    DOCSPACE_CONCURRENCY: wholeNumber(10, 1, 1_000),
    DOCSPACE_TIMEOUT_MS: wholeNumber(15_000, 100, 600_000),
    DOCSPACE_CIRCUIT_THRESHOLD: wholeNumber(5, 0, 1_000),
    DOCSPACE_CIRCUIT_WAIT_MS: wholeNumber(5_000, 10, 3_600_000),
    DOCSPACE_CIRCUIT_MAX_WAIT_MS: wholeNumber(300_000, 10, 86_400_000),
    INVITE_MODE: oneOf(INVITE_MODES, 'invite'),
    INVITE_BATCH_SIZE: wholeNumber(50, 1, 1_000),
    INVITE_BATCH_MAX_WAIT_MS: wholeNumber(5_000, 10, 86_400_000),
    JOB_ATTEMPTS: wholeNumber(12, 1, 100),
    JOB_BACKOFF_MS: wholeNumber(2_000, 1, 3_600_000),
    WORKER_LOCK_DURATION_MS: wholeNumber(5_000, 500, 600_000),
    WORKER_STALLED_INTERVAL_MS: wholeNumber(1_000, 100, 600_000),
    FAILED_JOB_RETENTION_DAYS: wholeNumber(DEFAULT_FAILED_RETENTION_DAYS, 1, 3_650),
    WEBHOOK_SECRET: webhookSecrets,
    ADMIN_TOKEN: longSecret(),
    METRICS_TOKEN: longSecret(),
    WEBHOOK_RATE_LIMIT_PER_MINUTE: wholeNumber(0, 0, 1_000_000),
    TRUST_PROXY: wholeNumber(0, 0, 10),
    LOG_LEVEL: oneOf(LOG_LEVELS, 'info'),
    OFFBOARDING: oneOf(OFFBOARDING_MODES, 'off'),
    OFFBOARDING_SCOPE: oneOf(OFFBOARDING_SCOPES, 'created'),
    OFFBOARDING_MAX_PER_HOUR: wholeNumber(10, 0, 100_000),
    HR_TIMEZONE: hrTimeZone,
    PROVISION_LEAD_DAYS: optionalWholeNumber(0, 365),
    PROVISIONING_RULES: z.string().trim().optional(),
    ...providerSettingsShape(PROVIDERS),
  };
}

type Settings = z.output<z.ZodObject<ReturnType<typeof settingsShape>>>;

/**
 * The settings schema for a role: each setting's own checks, then the rules between settings.
 * Those run even when a setting is wrong on its own (`when`), so one start lists every problem.
 */
export function settingsSchema(role: Role) {
  return z
    .object(settingsShape(role))
    .check(
      z.superRefine(
        (value: Partial<Record<string, unknown>>, ctx) => {
          const wait = value['DOCSPACE_CIRCUIT_WAIT_MS'];
          const maxWait = value['DOCSPACE_CIRCUIT_MAX_WAIT_MS'];
          if (typeof wait === 'number' && typeof maxWait === 'number' && maxWait < wait) {
            ctx.addIssue({
              code: 'custom',
              path: ['DOCSPACE_CIRCUIT_MAX_WAIT_MS'],
              message: `must not be shorter than DOCSPACE_CIRCUIT_WAIT_MS (${wait})`,
              input: undefined,
            });
          }
          checkRedisSettings(value, ctx);
          checkProviderSettings(PROVIDERS, role !== 'api', value, ctx);
        },
        { when: () => true },
      ),
    )
    .transform((settings) => toConfig(settings, role));
}

/** The settings as the code uses them. */
function toConfig(s: Settings, role: Role) {
  return {
    port: s.PORT,
    /** Port of a worker-only process' /healthz, /readyz and /metrics; 0: no such server. */
    workerMetricsPort: s.WORKER_METRICS_PORT,
    /** `REDIS_URL` as given; {@link Config.redis} says how to connect (one server, Sentinel, Cluster). */
    redisUrl: s.REDIS_URL,
    redis: redisSettingsOf(s),
    queuePrefix: s.QUEUE_PREFIX,
    docspace: {
      url: s.DOCSPACE_URL,
      apiKey: s.DOCSPACE_API_KEY,
      userType: s.DOCSPACE_USER_TYPE,
      maxRps: s.DOCSPACE_MAX_RPS,
      concurrency: s.DOCSPACE_CONCURRENCY,
      timeoutMs: s.DOCSPACE_TIMEOUT_MS,
      /** The shared circuit breaker (docs/reliability.md); threshold 0 turns it off. */
      circuit: {
        threshold: s.DOCSPACE_CIRCUIT_THRESHOLD,
        waitMs: s.DOCSPACE_CIRCUIT_WAIT_MS,
        maxWaitMs: s.DOCSPACE_CIRCUIT_MAX_WAIT_MS,
      },
    },
    invite: {
      mode: s.INVITE_MODE,
      batchSize: s.INVITE_BATCH_SIZE,
      maxWaitMs: s.INVITE_BATCH_MAX_WAIT_MS,
    },
    jobs: {
      attempts: s.JOB_ATTEMPTS,
      backoffMs: s.JOB_BACKOFF_MS,
      /** A job's lock; a killed worker's job is taken over after about lock + stalled interval. */
      lockDurationMs: s.WORKER_LOCK_DURATION_MS,
      stalledIntervalMs: s.WORKER_STALLED_INTERVAL_MS,
      /** Failed jobs (people's data) are removed this many days after they failed. */
      failedRetentionDays: s.FAILED_JOB_RETENTION_DAYS,
    },
    /** Standard Webhooks secrets (`whsec_…`); more than one while a secret is being rotated. */
    webhookSecrets: s.WEBHOOK_SECRET,
    adminToken: s.ADMIN_TOKEN,
    /** Bearer token `/metrics` asks for (API and worker); unset: `/metrics` is public. */
    metricsToken: s.METRICS_TOKEN,
    /**
     * Webhook deliveries per minute per client address; 0 (the default): no limit. Off by default:
     * an HR bulk import sends hundreds a minute from one address, and BambooHR and Personio never
     * deliver again after a 4xx (docs/reliability.md).
     */
    webhookRateLimitPerMinute: s.WEBHOOK_RATE_LIMIT_PER_MINUTE,
    /** Proxies in front whose `X-Forwarded-For` is believed (0: the peer is the client). */
    trustProxyHops: s.TRUST_PROXY,
    logLevel: s.LOG_LEVEL,
    /** Leavers (docs/design.md, rule 12): what a termination does, and to which accounts. */
    offboarding: {
      mode: s.OFFBOARDING,
      scope: s.OFFBOARDING_SCOPE,
      /** More disables than this in a rolling hour wait `held` for an admin. */
      maxPerHour: s.OFFBOARDING_MAX_PER_HOUR,
    },
    /** The IANA zone HR dates are read in: a start date begins, a termination date ends. */
    hrTimeZone: s.HR_TIMEZONE,
    /** Joiners are made this many days before `startDate` (rule 14); undefined: at once. */
    provisionLeadDays: s.PROVISION_LEAD_DAYS,
    /** Path of the rules file (docs/rules.md); read and checked when the worker starts. */
    rulesFile: s.PROVISIONING_RULES === '' ? undefined : s.PROVISIONING_RULES,
    /** HR systems with their own webhook format, by name (`bamboohr`, …). */
    providers: providerConfigsOf(PROVIDERS, role !== 'api', s),
  };
}

/** The service's settings, as read from the environment (the type follows the schema). */
export type Config = DeepReadonly<z.output<ReturnType<typeof settingsSchema>>>;

type DeepReadonly<T> = T extends (infer U)[]
  ? readonly DeepReadonly<U>[]
  : T extends object
    ? { readonly [K in keyof T]: DeepReadonly<T[K]> }
    : T;

/**
 * Reads the settings from `env` (docs/configuration.md). Pure: the caller passes `process.env`.
 * Every problem is collected and thrown at once in one {@link ConfigError}.
 */
export function loadConfig(env: NodeJS.ProcessEnv, role: Role = 'all'): Config {
  const schema = settingsSchema(role);
  const parsed = schema.safeParse(readEnv(env, Object.keys(schema.in.shape)));
  if (!parsed.success) throw new ConfigError(problemsOf(parsed.error.issues));
  return deepFreeze(parsed.data);
}

function deepFreeze<T extends object>(value: T): T {
  for (const inner of Object.values(value)) {
    if (typeof inner === 'object' && inner !== null) deepFreeze(inner as object);
  }
  return Object.freeze(value);
}
