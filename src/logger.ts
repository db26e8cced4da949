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
  if (typeof value === 'string') return maskEmails(value);
  if (depth > 4 || typeof value !== 'object' || value === null) return value;
  if (Array.isArray(value)) return value.map((item) => scrub(item, depth + 1));
  if (value instanceof Error) return value;
  const out: Record<string, unknown> = {};
  for (const [key, inner] of Object.entries(value)) {
    out[key] = REDACTED_KEYS.test(key) ? '[redacted]' : scrub(inner, depth + 1);
  }
  return out;
}

/** Copies `meta`'s fields into `line`, redacted and masked. */
function addScrubbed(line: Record<string, unknown>, meta: Record<string, unknown>): void {
  for (const key of Object.keys(meta)) {
    line[key] = REDACTED_KEYS.test(key) ? '[redacted]' : scrub(meta[key], 1);
  }
}

/**
 * The line as JSON. What JSON.stringify refuses (a cycle, a BigInt) is written as `[Circular]` and
 * a string, rather than losing the line.
 */
function stringify(line: Record<string, unknown>): string {
  try {
    return JSON.stringify(line);
  } catch {
    const seen = new WeakSet<object>();
    return JSON.stringify(line, (_key, value: unknown) => {
      if (typeof value === 'bigint') return value.toString();
      if (typeof value === 'object' && value !== null) {
        if (seen.has(value)) return '[Circular]';
        seen.add(value);
      }
      return value;
    });
  }
}

/**
 * JSON lines on stdout, one per event: `{"level","message","timestamp","service",…}`, fields
 * redacted by key name and every email address masked. Written straight to the stream: one
 * object, one JSON.stringify and one write per line, which is cheap enough for a line per webhook
 * delivery (docs/performance.md#intake-levers; winston's stream pipeline cost several times more).
 * @example createLogger({ level: 'info', service: 'api' }).child({ jobId }).info('hire created')
 */
export function createLogger(options: LoggerOptions): Logger {
  const stream = options.stream ?? process.stdout;
  const index = LOG_LEVELS.indexOf(options.level as (typeof LOG_LEVELS)[number]);
  // An unknown level logs everything, as winston did (config.ts only lets known ones through).
  const threshold = index === -1 ? LOG_LEVELS.length : index;
  const silent = options.silent ?? false;
  const enabled = (level: (typeof LOG_LEVELS)[number]): boolean =>
    !silent && LOG_LEVELS.indexOf(level) <= threshold;

  // `context`: the child's fields, already redacted and masked.
  const make = (context: Record<string, unknown>): Logger => {
    const write = (
      level: (typeof LOG_LEVELS)[number],
      message: string,
      meta: Record<string, unknown> | undefined,
    ): void => {
      if (!enabled(level)) return;
      // winston's rule, kept: a `message` in the meta is appended to the line's message.
      const extra = meta?.['message'];
      const tail = typeof extra === 'string' ? extra : extra instanceof Error ? String(extra) : '';
      const text = maskEmails(tail === '' ? message : `${message} ${tail}`);
      const timestamp = new Date().toISOString();
      const line: Record<string, unknown> = {
        level,
        message: text,
        timestamp,
        service: options.service,
      };
      Object.assign(line, context);
      if (meta !== undefined) addScrubbed(line, meta);
      // The meta may name `service`, never the line's own level, message and time.
      line['level'] = level;
      line['message'] = text;
      line['timestamp'] = timestamp;
      stream.write(`${stringify(line)}\n`);
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
  return make({});
}
