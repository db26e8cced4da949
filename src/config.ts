import { decodeWebhookSecret } from './domain/signature.js';
import { ConfigError, type ErrorDetail } from './errors.js';
import { PROVIDERS } from './providers/registry.js';
import { DEFAULT_FAILED_RETENTION_DAYS } from './queue/contract.js';
import { readProviderSettings, type ProviderConfig } from './providers/settings.js';
import { parseRedisSettings, type RedisSettings } from './redis-settings.js';

/** DocSpace's EmployeeType integers (common/ASC.Core.Common/Core/EmployeeType.cs; docs/docspace.md); names changed in v3.0, integers did not. */
export const USER_TYPES = { User: 4, RoomAdmin: 1, DocSpaceAdmin: 3 } as const;
export type UserTypeName = keyof typeof USER_TYPES;

export const INVITE_MODES = ['invite', 'resend', 'none'] as const;
export type InviteMode = (typeof INVITE_MODES)[number];

/** Which halves of the service a process runs; decides which settings are required. */
export type Role = 'api' | 'worker' | 'all';

export interface Config {
  readonly port: number;
  /** Port of a worker-only process' /healthz, /readyz and /metrics; 0: no such server. */
  readonly workerMetricsPort: number;
  /** `REDIS_URL` as given; {@link Config.redis} says how to connect (one server, Sentinel, Cluster). */
  readonly redisUrl: string;
  readonly redis: RedisSettings;
  readonly queuePrefix: string;
  readonly docspace: {
    readonly url: string;
    readonly apiKey: string;
    readonly userType: UserTypeName;
    readonly maxRps: number;
    readonly concurrency: number;
    readonly timeoutMs: number;
    /** The shared circuit breaker (docs/reliability.md); threshold 0 turns it off. */
    readonly circuit: {
      readonly threshold: number;
      readonly waitMs: number;
      readonly maxWaitMs: number;
    };
  };
  readonly invite: {
    readonly mode: InviteMode;
    readonly batchSize: number;
    readonly maxWaitMs: number;
  };
  readonly jobs: {
    readonly attempts: number;
    readonly backoffMs: number;
    /** A job's lock; a killed worker's job is taken over after about lock + stalled interval. */
    readonly lockDurationMs: number;
    readonly stalledIntervalMs: number;
    /** Failed jobs (people's data) are removed this many days after they failed. */
    readonly failedRetentionDays: number;
  };
  /** Standard Webhooks secrets (`whsec_…`); more than one while a secret is being rotated. */
  readonly webhookSecrets: readonly string[];
  readonly adminToken: string | undefined;
  /** Bearer token `/metrics` asks for (API and worker); unset: `/metrics` is public. */
  readonly metricsToken: string | undefined;
  /**
   * Webhook deliveries per minute per client address; 0 (the default): no limit. Off by default:
   * an HR bulk import sends hundreds a minute from one address, and BambooHR and Personio never
   * deliver again after a 4xx (docs/reliability.md).
   */
  readonly webhookRateLimitPerMinute: number;
  /** Proxies in front whose `X-Forwarded-For` is believed (0: the peer is the client). */
  readonly trustProxyHops: number;
  readonly logLevel: string;
  /** HR systems with their own webhook format, by name (`bamboohr`, …). */
  readonly providers: Readonly<Record<string, ProviderConfig>>;
}

const LOG_LEVELS = ['error', 'warn', 'info', 'http', 'verbose', 'debug', 'silly'];

/**
 * Reads the settings from `env` (docs/configuration.md). Pure: the caller passes `process.env`.
 * Every problem is collected and thrown at once in one {@link ConfigError}.
 */
export function loadConfig(env: NodeJS.ProcessEnv, role: Role = 'all'): Readonly<Config> {
  const problems: ErrorDetail[] = [];
  const read = (name: string): string | undefined => {
    const value = env[name]?.trim();
    return value === undefined || value === '' ? undefined : value;
  };
  const int = (name: string, fallback: number, min: number, max: number): number => {
    const raw = read(name);
    if (raw === undefined) return fallback;
    const value = Number(raw);
    if (!/^\d+$/.test(raw) || value < min || value > max) {
      problems.push({
        path: name,
        message: `must be a whole number from ${min} to ${max}, got "${raw}"`,
      });
      return fallback;
    }
    return value;
  };
  const oneOf = <T extends string>(name: string, allowed: readonly T[], fallback: T): T => {
    const raw = read(name) ?? fallback;
    if ((allowed as readonly string[]).includes(raw)) return raw as T;
    problems.push({ path: name, message: `must be one of ${allowed.join(', ')}, got "${raw}"` });
    return fallback;
  };
  const url = (
    name: string,
    fallback: string | undefined,
    protocols: readonly string[],
  ): string => {
    const raw = read(name) ?? fallback;
    if (raw === undefined) return '';
    try {
      const parsed = new URL(raw);
      if (!protocols.includes(parsed.protocol)) throw new Error('protocol');
      return raw.replace(/\/+$/, '');
    } catch {
      problems.push({
        path: name,
        message: `must be a ${protocols.join(' or ')} URL, got "${redactUrl(raw)}"`,
      });
      return raw;
    }
  };

  const needsDocspace = role !== 'api';
  const docspaceUrl = url('DOCSPACE_URL', undefined, ['http:', 'https:']);
  if (needsDocspace && docspaceUrl === '') {
    problems.push({
      path: 'DOCSPACE_URL',
      message: 'is required (e.g. https://yourportal.onlyoffice.com)',
    });
  }
  const apiKey = read('DOCSPACE_API_KEY') ?? '';
  if (needsDocspace && apiKey === '') {
    problems.push({
      path: 'DOCSPACE_API_KEY',
      message: 'is required (Settings → Developer Tools → API keys)',
    });
  }

  const webhookSecrets = (read('WEBHOOK_SECRET') ?? '').split(/\s+/).filter((s) => s !== '');
  webhookSecrets.forEach((secret, index) => {
    if (!secret.startsWith('whsec_') || decodeWebhookSecret(secret) === undefined) {
      problems.push({
        path: 'WEBHOOK_SECRET',
        message: `secret #${index + 1} is not a Standard Webhooks secret ("whsec_" followed by base64)`,
      });
    }
  });

  const adminToken = read('ADMIN_TOKEN');
  if (adminToken !== undefined && adminToken.length < 16) {
    problems.push({ path: 'ADMIN_TOKEN', message: 'must be at least 16 characters' });
  }

  const metricsToken = read('METRICS_TOKEN');
  if (metricsToken !== undefined && metricsToken.length < 16) {
    problems.push({ path: 'METRICS_TOKEN', message: 'must be at least 16 characters' });
  }

  const queuePrefix = read('QUEUE_PREFIX') ?? 'docspace-onboarding';
  if (queuePrefix.includes(':') && !/^\{[^}]+\}$/.test(queuePrefix)) {
    problems.push({ path: 'QUEUE_PREFIX', message: 'may not contain ":"' });
  }

  const redisUrl = url('REDIS_URL', 'redis://127.0.0.1:6379', ['redis:', 'rediss:']);
  const redis = parseRedisSettings(
    {
      url: redisUrl,
      sentinels: read('REDIS_SENTINELS'),
      sentinelMaster: read('REDIS_SENTINEL_MASTER'),
      sentinelPassword: read('REDIS_SENTINEL_PASSWORD'),
      clusterNodes: read('REDIS_CLUSTER_NODES'),
      tlsCaFile: read('REDIS_TLS_CA_FILE'),
      queuePrefix,
    },
    problems,
  );

  const config: Config = {
    port: int('PORT', 3000, 0, 65535),
    workerMetricsPort: int('WORKER_METRICS_PORT', 9464, 0, 65535),
    redisUrl,
    redis,
    queuePrefix,
    docspace: {
      url: docspaceUrl,
      apiKey,
      userType: oneOf('DOCSPACE_USER_TYPE', Object.keys(USER_TYPES) as UserTypeName[], 'User'),
      maxRps: int('DOCSPACE_MAX_RPS', 20, 1, 10_000),
      concurrency: int('DOCSPACE_CONCURRENCY', 10, 1, 1_000),
      timeoutMs: int('DOCSPACE_TIMEOUT_MS', 15_000, 100, 600_000),
      circuit: {
        threshold: int('DOCSPACE_CIRCUIT_THRESHOLD', 5, 0, 1_000),
        waitMs: int('DOCSPACE_CIRCUIT_WAIT_MS', 5_000, 10, 3_600_000),
        maxWaitMs: int('DOCSPACE_CIRCUIT_MAX_WAIT_MS', 300_000, 10, 86_400_000),
      },
    },
    invite: {
      mode: oneOf('INVITE_MODE', INVITE_MODES, 'invite'),
      batchSize: int('INVITE_BATCH_SIZE', 50, 1, 1_000),
      maxWaitMs: int('INVITE_BATCH_MAX_WAIT_MS', 5_000, 10, 86_400_000),
    },
    jobs: {
      attempts: int('JOB_ATTEMPTS', 12, 1, 100),
      backoffMs: int('JOB_BACKOFF_MS', 2_000, 1, 3_600_000),
      lockDurationMs: int('WORKER_LOCK_DURATION_MS', 5_000, 500, 600_000),
      stalledIntervalMs: int('WORKER_STALLED_INTERVAL_MS', 1_000, 100, 600_000),
      failedRetentionDays: int(
        'FAILED_JOB_RETENTION_DAYS',
        DEFAULT_FAILED_RETENTION_DAYS,
        1,
        3_650,
      ),
    },
    webhookSecrets,
    adminToken,
    metricsToken,
    webhookRateLimitPerMinute: int('WEBHOOK_RATE_LIMIT_PER_MINUTE', 0, 0, 1_000_000),
    trustProxyHops: int('TRUST_PROXY', 0, 0, 10),
    logLevel: oneOf('LOG_LEVEL', LOG_LEVELS, 'info'),
    providers: readProviderSettings(env, PROVIDERS, needsDocspace, problems),
  };

  if (config.docspace.circuit.maxWaitMs < config.docspace.circuit.waitMs) {
    problems.push({
      path: 'DOCSPACE_CIRCUIT_MAX_WAIT_MS',
      message: `must not be shorter than DOCSPACE_CIRCUIT_WAIT_MS (${config.docspace.circuit.waitMs})`,
    });
  }

  if (problems.length > 0) throw new ConfigError(problems);
  return deepFreeze(config);
}

/** Hides a password in a URL before it is shown in an error. */
function redactUrl(raw: string): string {
  // Everything up to the last "@": passwords may themselves hold "@" or "/".
  return raw.includes('@') ? raw.replace(/\/\/.*@/s, '//***@') : raw;
}

function deepFreeze<T extends object>(value: T): T {
  for (const inner of Object.values(value)) {
    if (typeof inner === 'object' && inner !== null) deepFreeze(inner as object);
  }
  return Object.freeze(value);
}
