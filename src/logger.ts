import { pino } from 'pino';
import { maskEmails } from './domain/pii.js';

/** The narrow logger every module receives; how lines are made stays in this file. */
export interface Logger {
  debug(message: string, meta?: Record<string, unknown>): void;
  info(message: string, meta?: Record<string, unknown>): void;
  warn(message: string, meta?: Record<string, unknown>): void;
  error(message: string, meta?: Record<string, unknown>): void;
  child(meta: Record<string, unknown>): Logger;
}

export interface LoggerOptions {
  /** `LOG_LEVEL`: one of {@link LOG_LEVELS} (npm's levels); lines below it are dropped. */
  readonly level: string;
  readonly service: string;
  readonly silent?: boolean;
  /** Where lines go; stdout by default. Tests pass a stream to read what was logged. */
  readonly stream?: NodeJS.WritableStream;
}

/** npm's levels, most severe first (the names `LOG_LEVEL` takes, docs/configuration.md). */
export const LOG_LEVELS = ['error', 'warn', 'info', 'http', 'verbose', 'debug', 'silly'] as const;

/**
 * Keys whose values never reach a log line, whatever module puts them there: secrets, API keys,
 * signatures and authorization headers.
 */
const REDACTED_KEYS =
  /(authorization|cookie|password|passwd|secret|token|signature|api[-_]?key)s?$/i;

/**
 * Replaces sensitive values at any depth (a few levels) and masks every email address in strings
 * (`a***@e***.com`), leaving the rest of the line as it is. Addresses reach log lines inside other
 * people's texts: DocSpace errors (`User disabled: <email>`), failure reasons, request paths.
 */
function scrub(value: unknown, depth: number): unknown {
  if (typeof value === 'string') return masked(value);
  // JSON has no BigInt: written as its digits, in a string (pino's fallback would write a bare number).
  if (typeof value === 'bigint') return value.toString();
  if (depth > 4 || typeof value !== 'object' || value === null) return value;
  if (Array.isArray(value)) return value.map((item) => scrub(item, depth + 1));
  if (value instanceof Error) return value;
  const out: Record<string, unknown> = {};
  for (const [key, inner] of Object.entries(value)) {
    out[key] = REDACTED_KEYS.test(key) ? '[redacted]' : scrub(inner, depth + 1);
  }
  return out;
}

/**
 * `maskEmails(text)`, without running its pattern over text that holds no `@`: an address has one,
 * and most fields of a line (ids, counts, routes) have none (docs/performance.md#intake-levers).
 */
function masked(text: string): string {
  return text.includes('@') ? maskEmails(text) : text;
}

/** Copies `meta`'s fields into `line`, redacted and masked; the line's own keys stay its own. */
function addScrubbed(line: Record<string, unknown>, meta: Record<string, unknown>): void {
  for (const key of Object.keys(meta)) {
    if (OWN_KEYS.has(key)) continue;
    line[key] = REDACTED_KEYS.test(key) ? '[redacted]' : scrub(meta[key], 1);
  }
}

/** Keys pino writes itself: a meta field never replaces the line's level, message or time. */
const OWN_KEYS = new Set(['level', 'message', 'timestamp']);

/**
 * npm's levels on pino's numbers: error, warn, info and debug keep pino's values; `http` and
 * `verbose` sit between info and debug, `silly` takes trace's place (docs/configuration.md#logs).
 */
const PINO_LEVELS: Readonly<Record<(typeof LOG_LEVELS)[number], number>> = {
  error: 50,
  warn: 40,
  info: 30,
  http: 25,
  verbose: 22,
  debug: 20,
  silly: 10,
};

/**
 * JSON lines on stdout, one per event: `{"level","timestamp","service",…,"message"}`, fields
 * redacted by key name and every email address masked, written by pino
 * (docs/performance.md#intake-levers). stdout is a synchronous destination, so no line is lost
 * when the process exits or crashes. What JSON.stringify refuses (a cycle) is written by pino's
 * safe stringify as `[Circular]` rather than losing the line.
 * @example createLogger({ level: 'info', service: 'api' }).child({ jobId }).info('hire created')
 */
export function createLogger(options: LoggerOptions): Logger {
  // An unknown level logs everything, as winston did (config.ts only lets known ones through).
  const level = Object.hasOwn(PINO_LEVELS, options.level) ? options.level : 'silly';
  const lines = pino<keyof typeof PINO_LEVELS, true>(
    {
      level,
      enabled: !(options.silent ?? false),
      customLevels: PINO_LEVELS,
      useOnlyCustomLevels: true,
      messageKey: 'message',
      // No pid, hostname: `service` is the context's first field below (a meta `service` replaces it).
      base: null,
      timestamp: () => `,"timestamp":"${new Date().toISOString()}"`,
      formatters: { level: (label) => ({ level: label }) },
      // Not pino's error serializer: an Error's message and stack would reach the line unmasked; an
      // Error is written as JSON.stringify writes it (`{}`), wherever it is.
      serializers: { err: (value: unknown) => value },
    },
    options.stream ?? pino.destination({ dest: 1, sync: true }),
  );

  // `context`: the service and the child's fields, already redacted and masked. They are merged
  // here rather than as pino bindings so that a call's field replaces a child's (one key, not two).
  const make = (context: Record<string, unknown>): Logger => {
    const write = (
      name: 'debug' | 'info' | 'warn' | 'error',
      message: string,
      meta: Record<string, unknown> | undefined,
    ): void => {
      if (!lines.isLevelEnabled(name)) return;
      // winston's rule, kept: a `message` in the meta is appended to the line's message.
      const extra = meta?.['message'];
      const tail = typeof extra === 'string' ? extra : extra instanceof Error ? String(extra) : '';
      const line = { ...context };
      if (meta !== undefined) addScrubbed(line, meta);
      lines[name](line, masked(tail === '' ? message : `${message} ${tail}`));
    };
    return {
      debug: (message, meta) => {
        write('debug', message, meta);
      },
      info: (message, meta) => {
        write('info', message, meta);
      },
      warn: (message, meta) => {
        write('warn', message, meta);
      },
      error: (message, meta) => {
        write('error', message, meta);
      },
      child: (meta) => {
        const fields = { ...context };
        addScrubbed(fields, meta);
        return make(fields);
      },
    };
  };
  return make({ service: options.service });
}
