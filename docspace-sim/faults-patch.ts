import type { FaultKind, ScriptedFault, SimFaults } from './types.js';

/** A rejected knob patch; `message` says which field is wrong. */
export class FaultsPatchError extends Error {
  override name = 'FaultsPatchError' as const;
}

const KINDS: readonly FaultKind[] = [
  '429',
  '5xx',
  'reset',
  'reset-after-commit',
  'hang-after-commit',
  'timeout',
];
const NULLABLE = [
  'retryAfterSec',
  'rateLimitPerSecond',
  'sensitiveApiPer15Min',
  'invitationLimit',
  'paidSeats',
] as const;
const RATES = ['rate429', 'rate5xx', 'rateReset'] as const;
const DURATIONS = ['latencyMs', 'latencyJitterMs'] as const;

/**
 * Checks a knob patch (from `PUT /sim/faults` or `setFaults`) and returns it typed.
 * Unknown fields are refused so that a typo does not silently leave a fault off.
 * @throws FaultsPatchError
 */
export function parseFaultsPatch(value: unknown): Partial<SimFaults> {
  if (!isRecord(value)) throw new FaultsPatchError('faults must be a JSON object');
  const patch: Partial<SimFaults> = {};
  for (const [key, field] of Object.entries(value)) {
    if ((DURATIONS as readonly string[]).includes(key)) {
      patch[key as (typeof DURATIONS)[number]] = nonNegative(key, field);
    } else if ((RATES as readonly string[]).includes(key)) {
      const rate = nonNegative(key, field);
      if (rate > 1) throw new FaultsPatchError(`${key} must be between 0 and 1`);
      patch[key as (typeof RATES)[number]] = rate;
    } else if ((NULLABLE as readonly string[]).includes(key)) {
      patch[key as (typeof NULLABLE)[number]] = field === null ? null : nonNegative(key, field);
    } else if (key === 'down') {
      if (typeof field !== 'boolean') throw new FaultsPatchError('down must be a boolean');
      patch.down = field;
    } else if (key === 'script') {
      if (!Array.isArray(field)) throw new FaultsPatchError('script must be an array');
      patch.script = field.map((entry: unknown, i) => scriptEntry(entry, i));
    } else {
      throw new FaultsPatchError(`unknown fault knob: ${key}`);
    }
  }
  return patch;
}

function scriptEntry(value: unknown, i: number): ScriptedFault {
  const where = `script[${i}]`;
  if (!isRecord(value)) throw new FaultsPatchError(`${where} must be an object`);
  const kind = KINDS.find((k) => k === value['kind']);
  if (kind === undefined) {
    throw new FaultsPatchError(`${where}.kind must be one of ${KINDS.join(', ')}`);
  }
  let entry: ScriptedFault = { kind };
  const match = value['match'];
  if (match !== undefined) {
    if (!isRecord(match)) throw new FaultsPatchError(`${where}.match must be an object`);
    const method = optionalString(`${where}.match.method`, match['method']);
    const path = optionalString(`${where}.match.path`, match['path']);
    entry = {
      ...entry,
      match: {
        ...(method === undefined ? {} : { method }),
        ...(path === undefined ? {} : { path }),
      },
    };
  }
  if (value['status'] !== undefined) {
    const status = nonNegative(`${where}.status`, value['status']);
    if (!Number.isInteger(status) || status < 500 || status > 599) {
      throw new FaultsPatchError(`${where}.status must be a 5xx status`);
    }
    entry = { ...entry, status };
  }
  if (value['retryAfterSec'] !== undefined) {
    entry = {
      ...entry,
      retryAfterSec: nonNegative(`${where}.retryAfterSec`, value['retryAfterSec']),
    };
  }
  return entry;
}

function nonNegative(key: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
    throw new FaultsPatchError(`${key} must be a non-negative number`);
  }
  return value;
}

function optionalString(key: string, value: unknown): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'string') throw new FaultsPatchError(`${key} must be a string`);
  return value;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
