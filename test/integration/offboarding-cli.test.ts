import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { envOf, logLines, replay } from '../helpers/cli.js';
import { HOLD_DISABLES, holdLeavers } from '../helpers/leavers.js';
import { waitFor } from '../helpers/redis.js';
import { startStack, type Stack } from '../helpers/stack.js';

const person = (n: number) => ({
  employeeId: `HC-${n}`,
  firstName: 'Hale',
  lastName: 'Held',
  email: `hale.${n}@example.com`,
});

function simStatus(stack: Stack, email: string): number | undefined {
  return stack.sim.state().users.find((u) => u.email === email)?.status;
}

/** Two leavers whose disables wait held (OFFBOARDING_MAX_PER_HOUR=0), terminated yesterday. */
async function heldLeavers() {
  const stack = await startStack(HOLD_DISABLES);
  const people = [person(1), person(2)];
  const offboarding = await holdLeavers(stack, people);
  return { stack, offboarding, people };
}

describe('held offboardings on the command line (npm run replay -- held / release-held)', () => {
  it('held lists them; release-held EMAIL releases that one only (logged masked); --all the rest', async (t) => {
    const { stack, offboarding, people } = await heldLeavers();
    t.after(() => stack.close());
    const [first, second] = people.map((p) => p.email) as [string, string];

    const listed = await replay(['held'], envOf(stack));
    assert.equal(listed.code, 0, listed.stderr);
    assert.match(listed.stdout, /^2 held offboardings\./);
    for (const email of [first, second]) assert.match(listed.stdout, new RegExp(email));
    const json = await replay(['held', '--json'], envOf(stack));
    assert.equal(json.code, 0, json.stderr);
    const parsed = JSON.parse(json.stdout) as { offboardings: { email: string; state: string }[] };
    assert.deepEqual(parsed.offboardings.map((o) => [o.email, o.state]).sort(), [
      [first, 'held'],
      [second, 'held'],
    ]);
    assert.equal(simStatus(stack, first), 1, 'held: not disabled');

    const one = await replay(
      ['release-held', first.toUpperCase(), 'nobody@example.com'],
      envOf(stack),
    );
    assert.equal(one.code, 0, one.stderr);
    assert.match(one.stdout, /^1 released/);
    assert.match(one.stdout, /Not held, left alone: nobody@example\.com/);
    // The record is written once DocSpace has answered: wait for it, not only the account.
    await waitFor(async () =>
      (await offboarding.get(offboarding.keyOf(first)))?.state === 'done' ? true : undefined,
    );
    assert.equal(simStatus(stack, first), 2);
    assert.equal((await offboarding.get(offboarding.keyOf(second)))?.state, 'held');
    assert.equal(simStatus(stack, second), 1, 'the one not named stays held');
    const logs = logLines(one.stderr);
    const each = logs.filter((l) => l['message'] === 'offboarding released by an admin');
    assert.equal(each.length, 1);
    assert.equal(each[0]?.['via'], 'cli');
    assert.ok(!one.stderr.includes(first), 'the email is masked in the log');
    assert.equal(
      logs.find((l) => l['message'] === 'offboardings released by an admin')?.['released'],
      1,
    );

    const again = await replay(['release-held', first], envOf(stack));
    assert.equal(again.code, 0, again.stderr);
    assert.match(again.stdout, /^0 released/, 'a done disable is not released twice');

    const all = await replay(['release-held', '--all'], envOf(stack));
    assert.equal(all.code, 0, all.stderr);
    assert.match(all.stdout, /^1 released/);
    await waitFor(() => (simStatus(stack, second) === 2 ? true : undefined));
    assert.deepEqual(await offboarding.list('held'), []);
  });

  it('release-held without EMAILs or --all, or with both, is a usage error (exit 2) that releases nothing', async (t) => {
    const { stack, offboarding } = await heldLeavers();
    t.after(() => stack.close());
    for (const args of [
      ['release-held'],
      ['release-held', ' '],
      ['release-held', '--all', 'hale.1@example.com'],
      ['held', '--bogus'],
    ]) {
      const run = await replay(args, envOf(stack));
      assert.equal(run.code, 2, `${args.join(' ')}: ${run.stderr}`);
      assert.match(run.stderr, /error/);
    }
    assert.equal((await offboarding.list('held')).length, 2, 'nothing released');
  });
});
