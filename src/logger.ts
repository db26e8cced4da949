import winston from 'winston';
import { maskEmails } from './domain/pii.js';

/** The narrow logger every module receives; winston stays in this file. */
export interface Logger {
  debug(message: string, meta?: Record<string, unknown>): void;
  info(message: string, meta?: Record<string, unknown>): void;
  warn(message: string, meta?: Record<string, unknown>): void;
  error(message: string, meta?: Record<string, unknown>): void;
  child(meta: Record<string, unknown>): Logger;
}

export interface LoggerOptions {
  readonly level: string;
  readonly service: string;
  readonly silent?: boolean;
  /** Where lines go; stdout by default. Tests pass a stream to read what was logged. */
  readonly stream?: NodeJS.WritableStream;
}

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

const redact = winston.format((info) => {
  for (const key of Object.keys(info)) {
    info[key] = REDACTED_KEYS.test(key) ? '[redacted]' : scrub(info[key], 1);
  }
  return info;
});

/**
 * JSON lines on stdout, one per event: `{"level","message","timestamp","service",…}`.
 * @example createLogger({ level: 'info', service: 'api' }).child({ jobId }).info('hire created')
 */
export function createLogger(options: LoggerOptions): Logger {
  const transport =
    options.stream === undefined
      ? new winston.transports.Console()
      : new winston.transports.Stream({ stream: options.stream });
  return winston.createLogger({
    level: options.level,
    silent: options.silent ?? false,
    defaultMeta: { service: options.service },
    format: winston.format.combine(
      redact(),
      winston.format.timestamp(),
      winston.format.errors({ stack: true }),
      winston.format.json(),
    ),
    // winston's typings declare its transports as interfaces over TransportStream, which the
    // type-aware lint reads as "not made by the constructor"; they are.
    // eslint-disable-next-line @typescript-eslint/no-unsafe-class-instance-assignment
    transports: [transport],
  });
}
