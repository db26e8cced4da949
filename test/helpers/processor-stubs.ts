/**
 * Stand-ins for the job processors' unit tests: typed object literals that keep what the
 * processors did in memory (no Redis, no DocSpace). The Redis-backed parts they stand in for have
 * their own tests (test/integration/invite-flush.test.ts, invite-buffer.test.ts, hire-store use in
 * the stack tests); these check the processors' decisions alone.
 */
import type { Hire } from '../../src/domain/hire.js';
import { createLogger } from '../../src/logger.js';
import type { HireRecord, HireStore, Transition } from '../../src/queue/hire-store.js';
import { emailKey } from '../../src/queue/keys.js';
import type { InviteBuffer } from '../../src/queue/invite-buffer.js';
import type { CircuitHold } from '../../workers/circuit-hold.js';
import { createJobWaits, type JobWaits } from '../../workers/job-waits.js';

export const silentLogger = () => createLogger({ level: 'error', service: 'test', silent: true });

/** A hire as the generic webhook delivers it. */
export const hire = (email: string, firstName = 'Ann'): Hire => ({
  source: 'hires',
  hireId: `H-${email}`,
  email,
  firstName,
  lastName: 'Lee',
});

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

/**
 * The per-person record in memory, with the transitions' state rules of src/queue/hire-store.ts
 * (a person never moves backwards), and the invite buffer the `created` transition fills.
 */
export function memoryStore(buffer?: MemoryBuffer, now: () => number = Date.now) {
  const records = new Map<string, Mutable<HireRecord>>();
  const timeline: { key: string; event: string; detail?: string }[] = [];
  const move = (
    key: string,
    from: readonly string[],
    fields: Partial<HireRecord>,
    event: string,
    detail?: string,
  ): Promise<Transition> => {
    const current = records.get(key);
    const state = current?.state ?? '';
    if (!from.includes(state)) return Promise.resolve({ applied: false, state });
    const base: Mutable<HireRecord> = current ?? {
      email: '',
      hireId: '',
      source: '',
      state: 'received',
    };
    records.set(key, { ...base, ...fields });
    timeline.push({ key, event, ...(detail === undefined ? {} : { detail }) });
    return Promise.resolve({ applied: true, from: state });
  };
  const store = {
    keyOf: emailKey,
    get: (key: string) => Promise.resolve(records.get(key) as HireRecord | undefined),
    received: (h: Hire) =>
      move(
        emailKey(h.email),
        ['', 'failed', 'received'],
        { state: 'received', email: h.email, hireId: h.hireId, source: h.source },
        'received',
      ),
    beginAttempt: (key: string) => {
      const record = records.get(key);
      if (record && record.firstAttemptAt === undefined) record.firstAttemptAt = now();
      return Promise.resolve(record?.firstAttemptAt ?? now());
    },
    forgetAttempt: (key: string) => {
      const record = records.get(key);
      if (record) delete record.firstAttemptAt;
      return Promise.resolve();
    },
    created: (
      key: string,
      userId: string,
      _jobId: string,
      invite: boolean,
      _facts?: unknown,
      person?: Pick<Hire, 'email' | 'hireId' | 'source'>,
    ) => {
      const done = move(
        key,
        ['', 'received', 'failed'],
        { ...person, state: 'created', userId },
        'created',
        userId,
      );
      if (invite) buffer?.keys.push(key);
      return done;
    },
    existed: (
      key: string,
      userId: string | undefined,
      _jobId: string,
      person?: Pick<Hire, 'email' | 'hireId' | 'source'>,
    ) =>
      move(
        key,
        ['', 'received', 'failed'],
        { ...person, state: 'existed', ...(userId ? { userId } : {}) },
        'existed',
      ),
    invited: (key: string) => move(key, ['created', 'failed'], { state: 'invited' }, 'invited'),
    failed: (key: string, reason: string) =>
      move(
        key,
        ['', 'received', 'created', 'failed'],
        { state: 'failed', lastError: reason },
        'failed',
        reason,
      ),
    noteError: (key: string, reason: string) => {
      timeline.push({ key, event: 'retrying', detail: reason });
      return Promise.resolve();
    },
    note: (key: string, event: string, detail: string) => {
      timeline.push({ key, event, detail });
      return Promise.resolve();
    },
    awaitEmail: () => Promise.resolve(),
    isAwaitingEmail: () => Promise.resolve(false),
    stopAwaitingEmail: () => Promise.resolve(),
  } satisfies Partial<HireStore>;
  /** Puts a person in a state directly (the Arrange of a test). */
  const put = (email: string, record: Partial<HireRecord>) => {
    records.set(emailKey(email), {
      email,
      hireId: `H-${email}`,
      source: 'hires',
      state: 'received',
      ...record,
    });
  };
  const stateOf = (email: string) => records.get(emailKey(email))?.state;
  return { store, put, stateOf, records, timeline };
}

/** The invite buffer in memory; `added` counts how often a full batch was checked for. */
export interface MemoryBuffer extends Pick<InviteBuffer, 'size' | 'peek' | 'take' | 'added'> {
  readonly keys: string[];
  readonly told: () => number;
}

export function memoryBuffer(): MemoryBuffer {
  const keys: string[] = [];
  let told = 0;
  return {
    keys,
    told: () => told,
    size: () => Promise.resolve(keys.length),
    peek: (count) => Promise.resolve(keys.slice(0, count)),
    take: (taken) => {
      for (const key of taken) {
        const at = keys.indexOf(key);
        if (at >= 0) keys.splice(at, 1);
      }
      return Promise.resolve();
    },
    added: () => {
      told += 1;
      return Promise.resolve();
    },
  };
}

/**
 * The real wait policy (workers/job-waits.ts) over recording stand-ins for what it holds: the
 * circuit (closed unless told), the shared budget's pause and the queue's rate limit.
 */
export function recordingWaits(
  circuitState: Awaited<ReturnType<CircuitHold['read']>> = {
    state: 'closed',
    waitMs: 0,
  },
): { waits: JobWaits; held: string[] } {
  const held: string[] = [];
  const circuit: CircuitHold = {
    read: () => Promise.resolve(circuitState),
    hold: (ms) => {
      held.push(`circuit ${ms}`);
      return Promise.resolve();
    },
  };
  const waits = createJobWaits({
    circuit,
    budget: {
      pause: (ms) => {
        held.push(`budget ${ms}`);
        return Promise.resolve();
      },
    },
    queue: {
      name: 'test',
      rateLimit: (ms) => {
        held.push(`queue ${ms}`);
        return Promise.resolve();
      },
    },
    logger: silentLogger(),
  });
  return { waits, held };
}
