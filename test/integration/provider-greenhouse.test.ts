import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { greenhouse } from '../../src/providers/greenhouse.js';
import {
  fixtureText,
  greenhouseJson,
  hireCandidate,
  signGreenhouse,
  type Candidate,
} from '../helpers/greenhouse.js';
import { waitFor } from '../helpers/redis.js';
import { inviteCounts, startStack, type Stack } from '../helpers/stack.js';

const SECRET = 'gh-integration-secret';
let counter = 0;

/** POSTs `raw` to /webhooks/greenhouse as Greenhouse does: signed, with a fresh event id. */
async function deliver(
  stack: Stack,
  raw: string,
  options: { eventId?: string | null; secret?: string } = {},
): Promise<Response> {
  const eventId =
    options.eventId === undefined ? `gh-evt-${Date.now()}-${++counter}` : options.eventId;
  return await fetch(`${stack.apiUrl}/webhooks/greenhouse`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      'user-agent': 'Greenhouse',
      signature: signGreenhouse(options.secret ?? SECRET, raw),
      ...(eventId === null ? {} : { 'greenhouse-event-id': eventId }),
    },
    body: raw,
  });
}

/** The documented hire, for a candidate of its own (id and addresses) so tests never meet. */
function hireOf(id: number, edit: (candidate: Candidate) => void = () => undefined): string {
  return greenhouseJson(
    hireCandidate((candidate) => {
      candidate.id = id;
      candidate.email_addresses = [
        { value: `personal.${id}@example.com`, type: 'personal' },
        { value: `work.${id}@example.com`, type: 'work' },
      ];
      edit(candidate);
    }),
  );
}

async function jobCount(stack: Stack): Promise<number> {
  const counts = await stack.hires.getJobCounts();
  return Object.values(counts).reduce((a, b) => a + b, 0);
}

describe('POST /webhooks/greenhouse (GREENHOUSE_EMAIL=work-only, the default)', () => {
  let stack: Stack;
  before(async () => {
    stack = await startStack({ GREENHOUSE_WEBHOOK_SECRET: SECRET }, { providers: [greenhouse] });
  });
  after(async () => {
    await stack.close();
  });

  it('answers the ping, other actions, a bad signature and a bad body without storing anything', async () => {
    const ping = await deliver(stack, '{"action":"ping","payload":{"web_hook_id":4321}}');
    assert.equal(ping.status, 200);
    assert.deepEqual(await ping.json(), { status: 'ok' });
    const stage = await deliver(stack, fixtureText('candidate-stage-change.json'));
    assert.equal(stage.status, 200);
    assert.deepEqual(await stage.json(), { status: 'ignored', type: 'candidate_stage_change' });
    const hire = hireOf(1);
    assert.equal((await deliver(stack, hire, { secret: 'not-the-secret' })).status, 401);
    const unsigned = await fetch(`${stack.apiUrl}/webhooks/greenhouse`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: hire,
    });
    assert.equal(unsigned.status, 401);
    assert.equal((await deliver(stack, '{"action":"hire_candidate","payload":{}}')).status, 400);
    assert.equal((await deliver(stack, '{"action":"hire_candidate"')).status, 400);
    assert.equal(await jobCount(stack), 0);
  });

  it('provisions the documented hire by its work email; a redelivery is a duplicate; both exactly 200', async () => {
    const raw = fixtureText('hire-candidate.json');
    const first = await deliver(stack, raw, { eventId: 'gh-doc-1' });
    assert.equal(first.status, 200);
    assert.deepEqual(await first.json(), { status: 'accepted', hires: 1 });
    const again = await deliver(stack, raw, { eventId: 'gh-doc-1' });
    assert.equal(again.status, 200);
    assert.deepEqual(await again.json(), { status: 'duplicate', hires: 1 });

    await stack.settled(['work@example.com'], ['invited']);
    const record = await stack.store.get(stack.store.keyOf('work@example.com'));
    assert.equal(record?.source, 'greenhouse');
    assert.equal(record.hireId, '35897443');
    const user = stack.sim.state().users.find((u) => u.email === 'work@example.com');
    assert.equal(user?.firstName, 'Johnny');
    assert.equal(user.lastName, 'Smith');
    assert.equal(inviteCounts(stack.sim).get('work@example.com'), 1);
    assert.equal(
      stack.sim.state().users.some((u) => u.email === 'personal@example.com'),
      false,
    );
  });

  it('verifies Unicode-escaped bytes as sent and creates the user with the decoded names', async () => {
    const raw = hireOf(2, (c) => {
      c.first_name = 'Renée';
      c.last_name = 'O’Brien';
    });
    assert.match(raw, /Ren\\u00e9e/);
    assert.equal((await deliver(stack, raw)).status, 200);
    await stack.settled(['work.2@example.com'], ['invited']);
    const user = stack.sim.state().users.find((u) => u.email === 'work.2@example.com');
    assert.equal(user?.firstName, 'Renée');
    assert.equal(user.lastName, "O'Brien");
  });

  it('stores the same signed body once, under whatever new Greenhouse-Event-IDs it is replayed (issue #10, item 5)', async () => {
    const raw = hireOf(5);
    const answers = [];
    for (const eventId of ['gh-replay-1', 'gh-replay-2', 'gh-replay-3']) {
      answers.push(
        ((await (await deliver(stack, raw, { eventId })).json()) as { status: string }).status,
      );
    }
    assert.deepEqual(answers, ['accepted', 'duplicate', 'duplicate']);
    await stack.settled(['work.5@example.com'], ['invited']);
    const jobs = (await stack.hires.getJobs()).filter(
      (job) => (job.data as { hire?: { hireId: string } }).hire?.hireId === '5',
    );
    assert.equal(jobs.length, 1, 'one job for the replayed body');
  });

  it('without Greenhouse-Event-ID, keys the delivery by application and offer, so a retry is a duplicate', async () => {
    const raw = hireOf(3);
    const first = await deliver(stack, raw, { eventId: null });
    assert.deepEqual(await first.json(), { status: 'accepted', hires: 1 });
    const retry = await deliver(stack, raw, { eventId: null });
    assert.equal(retry.status, 200);
    assert.deepEqual(await retry.json(), { status: 'duplicate', hires: 1 });
    await stack.settled(['work.3@example.com'], ['invited']);
    assert.equal(inviteCounts(stack.sim).get('work.3@example.com'), 1);
  });

  it('fails the job at once, naming GREENHOUSE_EMAIL, when the candidate has only a personal email', async () => {
    const raw = hireOf(4, (c) => {
      c.email_addresses = c.email_addresses.filter((e) => e.type === 'personal');
    });
    const response = await deliver(stack, raw);
    assert.equal(response.status, 200);
    assert.deepEqual(await response.json(), { status: 'accepted', hires: 1 });
    const failed = await waitFor(
      async () => {
        const jobs = await stack.hires.getFailed();
        return jobs.find((job) => job.failedReason.includes('candidate 4:'));
      },
      10_000,
      'the failed job of candidate 4',
    );
    assert.match(
      failed.failedReason,
      /^Greenhouse candidate 4: it has no work email, and GREENHOUSE_EMAIL=work-only refuses its personal email/,
    );
    assert.equal(failed.attemptsMade, 1);
    assert.equal(
      stack.sim.state().users.some((u) => u.email === 'personal.4@example.com'),
      false,
    );
  });

  it('never logs the secret or a signature', () => {
    const logs = stack.logLines.join('\n');
    assert.ok(logs.includes('"route":"greenhouse"'), 'the route logged its deliveries');
    assert.ok(!logs.includes(SECRET));
    const hex = signGreenhouse(SECRET, fixtureText('hire-candidate.json')).slice(7);
    assert.ok(!logs.includes(hex));
  });
});

describe('POST /webhooks/greenhouse (GREENHOUSE_EMAIL=any)', () => {
  let stack: Stack;
  before(async () => {
    stack = await startStack(
      { GREENHOUSE_WEBHOOK_SECRET: SECRET, GREENHOUSE_EMAIL: 'any' },
      { providers: [greenhouse] },
    );
  });
  after(async () => {
    await stack.close();
  });

  it('provisions a candidate without a work email by their personal email', async () => {
    const raw = hireOf(5, (c) => {
      c.email_addresses = c.email_addresses.filter((e) => e.type === 'personal');
    });
    const response = await deliver(stack, raw);
    assert.equal(response.status, 200);
    await stack.settled(['personal.5@example.com'], ['invited']);
    const record = await stack.store.get(stack.store.keyOf('personal.5@example.com'));
    assert.equal(record?.hireId, '5');
  });

  it('when DocSpace fails (503, reset) and recovers, the Greenhouse hire is created once and invited', async () => {
    const creates = () =>
      stack.sim.state().calls.filter((c) => c.method === 'POST' && c.path === '/api/2.0/people');
    const earlier = creates().length;
    stack.sim.setFaults({
      script: [
        { match: { method: 'POST', path: '/api/2.0/people' }, kind: '5xx', status: 503 },
        { match: { method: 'POST', path: '/api/2.0/people' }, kind: 'reset' },
      ],
    });
    assert.equal((await deliver(stack, hireOf(7))).status, 200);
    await stack.settled(['work.7@example.com'], ['invited']);
    assert.deepEqual(
      creates()
        .slice(earlier)
        .map((c) => c.status),
      [503, 'reset', 200],
    );
    assert.equal(inviteCounts(stack.sim).get('work.7@example.com'), 1);
  });

  it('still prefers the work email when there is one', async () => {
    assert.equal((await deliver(stack, hireOf(6))).status, 200);
    await stack.settled(['work.6@example.com'], ['invited']);
    assert.equal(
      stack.sim.state().users.some((u) => u.email === 'personal.6@example.com'),
      false,
    );
  });
});

describe('POST /webhooks/greenhouse without GREENHOUSE_WEBHOOK_SECRET', () => {
  it('answers 503 with Retry-After (our setting is missing; Greenhouse delivers again), naming the setting', async () => {
    const stack = await startStack({}, { providers: [greenhouse], workers: false });
    try {
      const response = await deliver(stack, fixtureText('hire-candidate.json'));
      assert.equal(response.status, 503);
      assert.equal(response.headers.get('retry-after'), '5');
      const body = (await response.json()) as { error: { message: string } };
      assert.match(body.error.message, /GREENHOUSE_WEBHOOK_SECRET/);
    } finally {
      await stack.close();
    }
  });
});
