import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { loadConfig } from '../../src/config.js';
import { CircuitOpenError, ConfigError, DocspaceError } from '../../src/errors.js';
import {
  MIN_CIRCUIT_WAIT_MS,
  type Admission,
  type CircuitBreaker,
  type RequestOutcome,
  type Verdict,
} from '../../src/docspace/circuit.js';
import { createCircuitGuard } from '../../src/docspace/circuit-guard.js';
import { createCircuitHold } from '../../workers/circuit-hold.js';

const CLOSED: Verdict = {
  state: 'closed',
  waitMs: 0,
  change: undefined,
  failures: 0,
  outageMs: 0,
};

/** A breaker that admits as told and records every report. */
function fakeBreaker(admission: Admission, verdict: Verdict = CLOSED) {
  const reports: RequestOutcome[] = [];
  const breaker: CircuitBreaker = {
    admit: () => Promise.resolve(admission),
    report: (_ticket, outcome) => {
      reports.push(outcome);
      return Promise.resolve(verdict);
    },
    read: () => Promise.resolve({ state: 'closed', waitMs: 0 }),
  };
  return { breaker, reports };
}

function recordingLogger() {
  const lines: { level: string; message: string; meta: Record<string, unknown> }[] = [];
  const log =
    (level: string) =>
    (message: string, meta: Record<string, unknown> = {}) => {
      lines.push({ level, message, meta });
    };
  return { lines, logger: { info: log('info'), warn: log('warn') } };
}

const answer = (status: number, data: unknown = {}) => ({ status, data });
const CREATE = 'POST /api/2.0/people';
const LOOKUP = 'GET /api/2.0/people/email';
const passing = () =>
  new DocspaceError({
    kind: 'passing',
    endpoint: 'POST /api/2.0/people',
    message: 'POST /api/2.0/people got no answer (ECONNRESET)',
  });
const GO: Admission = { kind: 'go', failures: 0 };
const PROBE: Admission = { kind: 'probe', halfOpened: true };

describe('createCircuitGuard: what each request tells the breaker', () => {
  it('when the circuit is closed and nothing was counted, an answer costs no report', async () => {
    const { breaker, reports } = fakeBreaker(GO);
    const guarded = createCircuitGuard({ breaker, logger: recordingLogger().logger });
    assert.deepEqual(await guarded.run(CREATE, () => Promise.resolve(answer(200))), answer(200));
    assert.deepEqual(reports, []);
  });

  it('when failures were counted, an answer (2xx or a lasting 4xx) resets the count', async () => {
    const { breaker, reports } = fakeBreaker({ kind: 'go', failures: 2 });
    const guarded = createCircuitGuard({ breaker, logger: recordingLogger().logger });
    await guarded.run(CREATE, () => Promise.resolve(answer(200)));
    await guarded.run(CREATE, () => Promise.resolve(answer(403)));
    assert.deepEqual(reports, ['answered', 'answered']);
  });

  it('when DocSpace answers 5xx, 408 or 425, or gives no answer, a failure is counted and the result passes through unchanged', async () => {
    const { breaker, reports } = fakeBreaker(GO);
    const guarded = createCircuitGuard({ breaker, logger: recordingLogger().logger });
    for (const status of [500, 502, 503, 504, 408, 425]) {
      assert.deepEqual(
        await guarded.run(CREATE, () => Promise.resolve(answer(status))),
        answer(status),
      );
    }
    const error = passing();
    await assert.rejects(
      guarded.run(CREATE, () => Promise.reject(error)),
      (err) => err === error,
    );
    assert.deepEqual(reports, Array(7).fill('failed'));
  });

  it("when DocSpace answers 429, nothing is counted (Retry-After pauses everyone), but a probe's 429 closes the circuit", async () => {
    const closed = fakeBreaker(GO);
    await createCircuitGuard({ breaker: closed.breaker, logger: recordingLogger().logger }).run(
      CREATE,
      () => Promise.resolve(answer(429)),
    );
    assert.deepEqual(closed.reports, []);
    const probing = fakeBreaker(PROBE);
    await createCircuitGuard({
      breaker: probing.breaker,
      logger: recordingLogger().logger,
    }).run(CREATE, () => Promise.resolve(answer(429)));
    assert.deepEqual(probing.reports, ['answered']);
  });

  for (const message of [
    'User with this email is already registered',
    'Ein Benutzer mit dieser E-Mail-Adresse ist bereits registriert',
  ]) {
    it(`when an old server answers a create 500 with its own error ("${message}"), nothing is counted: the lookup that follows decides, whatever the language`, async () => {
      const counted = fakeBreaker({ kind: 'go', failures: 1 });
      const create = answer(500, { error: { message }, status: 1, statusCode: 500 });
      await createCircuitGuard({
        breaker: counted.breaker,
        logger: recordingLogger().logger,
      }).run(CREATE, () => Promise.resolve(create));
      assert.deepEqual(counted.reports, [], 'neither a failure nor an answer');
      const probing = fakeBreaker(PROBE);
      await createCircuitGuard({
        breaker: probing.breaker,
        logger: recordingLogger().logger,
      }).run(CREATE, () => Promise.resolve(create));
      assert.deepEqual(probing.reports, ['unsent'], 'the probe slot goes to the next request');
    });
  }

  it('when a lookup answers 500 with an error body, it counts as a failure (DocSpace is unwell)', async () => {
    const { breaker, reports } = fakeBreaker({ kind: 'go', failures: 1 });
    const lookup = answer(500, { error: { message: 'boom' }, status: 1, statusCode: 500 });
    await createCircuitGuard({ breaker, logger: recordingLogger().logger }).run(LOOKUP, () =>
      Promise.resolve(lookup),
    );
    assert.deepEqual(reports, ['failed']);
  });

  it('when a probe could not be sent (a lasting error before the wire), the probe slot is given back', async () => {
    const { breaker, reports } = fakeBreaker(PROBE);
    const guarded = createCircuitGuard({ breaker, logger: recordingLogger().logger });
    await assert.rejects(guarded.run(CREATE, () => Promise.reject(new TypeError('bad request'))));
    assert.deepEqual(reports, ['unsent']);
  });

  it('when the circuit refuses, the request is never sent and a CircuitOpenError carries the wait', async () => {
    const { breaker, reports } = fakeBreaker({ kind: 'refused', state: 'open', waitMs: 4_321 });
    const guarded = createCircuitGuard({ breaker, logger: recordingLogger().logger });
    let sent = false;
    await assert.rejects(
      guarded.run(CREATE, () => {
        sent = true;
        return Promise.resolve(answer(200));
      }),
      (err) =>
        err instanceof CircuitOpenError &&
        err.waitMs === 4_321 &&
        err.state === 'open' &&
        err.kind === 'passing' &&
        err.retryAfterMs === 4_321,
    );
    assert.equal(sent, false);
    assert.deepEqual(reports, []);
  });

  it('when the circuit refuses with a wait below the minimum, the CircuitOpenError asks for the minimum', async () => {
    const { breaker } = fakeBreaker({ kind: 'refused', state: 'half-open', waitMs: 3 });
    const guarded = createCircuitGuard({ breaker, logger: recordingLogger().logger });
    await assert.rejects(
      guarded.run(CREATE, () => Promise.resolve(answer(200))),
      (err) =>
        err instanceof CircuitOpenError &&
        err.waitMs === MIN_CIRCUIT_WAIT_MS &&
        err.retryAfterMs === MIN_CIRCUIT_WAIT_MS,
    );
  });
});

describe('createCircuitGuard: an admission the request budget took with its slot', () => {
  it('when the budget admitted the request, the guard follows that admission, reports under its ticket and asks the breaker nothing', async () => {
    const admits: string[] = [];
    const reported: string[] = [];
    const breaker: CircuitBreaker = {
      admit: (ticket) => {
        admits.push(ticket);
        return Promise.resolve(GO);
      },
      report: (ticket, outcome) => {
        reported.push(`${ticket} ${outcome}`);
        return Promise.resolve(CLOSED);
      },
      read: () => Promise.resolve({ state: 'closed', waitMs: 0 }),
    };
    const guarded = createCircuitGuard({ breaker, logger: recordingLogger().logger });
    const refused: Admission = { kind: 'refused', state: 'open', waitMs: 500 };
    await assert.rejects(
      guarded.run(CREATE, () => Promise.resolve(answer(200)), { ticket: 't1', admission: refused }),
      (err) => err instanceof CircuitOpenError && err.waitMs === 500,
    );
    await guarded.run(CREATE, () => Promise.resolve(answer(200)), {
      ticket: 't2',
      admission: PROBE,
    });
    assert.deepEqual(admits, []);
    assert.deepEqual(reported, ['t2 answered']);
    // Without an admission (a budget with no circuit), the guard asks the breaker itself.
    await guarded.run(CREATE, () => Promise.resolve(answer(200)), {
      ticket: 't3',
      admission: undefined,
    });
    assert.deepEqual(admits, ['t3']);
  });
});

describe('createCircuitGuard: transitions are logged once, with a metric', () => {
  it('when a failure opens the circuit, "docspace circuit open" is logged with the wait and the opening is counted', async () => {
    const { breaker } = fakeBreaker(GO, {
      state: 'open',
      waitMs: 5_000,
      change: 'opened',
      failures: 5,
      outageMs: 0,
    });
    const { lines, logger } = recordingLogger();
    let openings = 0;
    const guarded = createCircuitGuard({
      breaker,
      logger,
      metrics: {
        circuitOpened: () => {
          openings += 1;
        },
      },
    });
    await guarded.run(CREATE, () => Promise.resolve(answer(503)));
    assert.equal(openings, 1);
    assert.deepEqual(lines, [
      {
        level: 'warn',
        message: 'docspace circuit open',
        meta: { circuit: 'open', waitMs: 5_000, failures: 5, after: 'consecutive failures' },
      },
    ]);
  });

  it('when a request probes, "half-open" is logged; when the probe is answered, "closed" with the outage', async () => {
    const { breaker } = fakeBreaker(PROBE, {
      state: 'closed',
      waitMs: 0,
      change: 'closed',
      failures: 0,
      outageMs: 12_345,
    });
    const { lines, logger } = recordingLogger();
    await createCircuitGuard({ breaker, logger }).run(CREATE, () => Promise.resolve(answer(200)));
    assert.deepEqual(
      lines.map((l) => [l.level, l.message, l.meta]),
      [
        ['info', 'docspace circuit half-open', { circuit: 'half-open' }],
        ['info', 'docspace circuit closed', { circuit: 'closed', outageMs: 12_345 }],
      ],
    );
  });

  it('when the breaker cannot record an outcome (Redis away), the request keeps its own result', async () => {
    const { breaker } = fakeBreaker(PROBE);
    breaker.report = () => Promise.reject(new Error('Connection is closed.'));
    const { lines, logger } = recordingLogger();
    const guarded = createCircuitGuard({ breaker, logger });
    assert.deepEqual(await guarded.run(CREATE, () => Promise.resolve(answer(201))), answer(201));
    assert.ok(lines.some((l) => l.message === 'docspace circuit: outcome not recorded'));
  });
});

describe('CircuitOpenError and the queue hold', () => {
  it('is a passing failure with its own code, whose Retry-After is the wait', () => {
    const err = new CircuitOpenError('half-open', 250);
    assert.equal(err.waitMs, 250);
    assert.equal(err.retryAfterMs, 250);
    assert.equal(err.kind, 'passing');
    assert.equal(err.code, 'ERR_DOCSPACE_CIRCUIT_OPEN');
    assert.match(err.message, /circuit is half-open/);
  });

  it('holds every queue for the wait, at least the minimum', async () => {
    const calls: string[] = [];
    const queue = (name: string) => ({
      rateLimit: (ms: number) => {
        calls.push(`${name} ${ms}`);
        return Promise.resolve();
      },
    });
    const hold = createCircuitHold(undefined, [queue('hires'), queue('invites')]);
    await hold.hold(5_000);
    await hold.hold(1);
    assert.deepEqual(calls, [
      'hires 5000',
      'invites 5000',
      `hires ${MIN_CIRCUIT_WAIT_MS}`,
      `invites ${MIN_CIRCUIT_WAIT_MS}`,
    ]);
    assert.deepEqual(await hold.read(), { state: 'closed', waitMs: 0 });
  });
});

describe('circuit breaker settings', () => {
  const required = { DOCSPACE_URL: 'https://portal.example.com', DOCSPACE_API_KEY: 'k' };

  it('defaults to 5 failures, a 5 s first wait and a 5 min longest wait', () => {
    assert.deepEqual(loadConfig(required).docspace.circuit, {
      threshold: 5,
      waitMs: 5_000,
      maxWaitMs: 300_000,
    });
  });

  it('takes 0 to turn it off, and refuses a longest wait below the first', () => {
    const off = loadConfig({ ...required, DOCSPACE_CIRCUIT_THRESHOLD: '0' });
    assert.equal(off.docspace.circuit.threshold, 0);
    assert.throws(
      () =>
        loadConfig({
          ...required,
          DOCSPACE_CIRCUIT_THRESHOLD: '-1',
          DOCSPACE_CIRCUIT_WAIT_MS: '10000',
          DOCSPACE_CIRCUIT_MAX_WAIT_MS: '5000',
        }),
      (err) =>
        err instanceof ConfigError &&
        err.details.map((d) => d.path).join() ===
          'DOCSPACE_CIRCUIT_THRESHOLD,DOCSPACE_CIRCUIT_MAX_WAIT_MS',
    );
  });
});
