import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { SIM_LANGS } from '../../docspace-sim/server.js';
import { inviteCounts, okCalls, startStack, type Stack } from '../helpers/stack.js';

const hire = (n: number, extra: Record<string, string> = {}) => ({
  employeeId: `E-${n}`,
  firstName: 'Alice',
  lastName: `Smith`,
  email: `alice.${n}@example.com`,
  ...extra,
});

// docs/design.md, rule 10: a portal answers in its API key owner's language; every rule holds in each.
for (const lang of SIM_LANGS)
  describe(`provisioning, end to end against the simulator (docs/design.md, rules 1-4), on a portal answering in ${lang}`, () => {
    let stack: Stack;
    before(async () => {
      stack = await startStack({}, { lang });
    });
    after(async () => {
      await stack.close();
    });

    it('when new people are hired, each is created once and named in exactly one invite call', async () => {
      const hires = [hire(1), hire(2), hire(3)];
      const response = await stack.post(hires);
      assert.equal(response.status, 200);
      assert.deepEqual(await response.json(), { status: 'accepted', hires: 3 });
      await stack.settled(hires.map((h) => h.email));

      for (const h of hires) {
        const record = await stack.store.get(stack.store.keyOf(h.email));
        assert.equal(record?.state, 'invited', h.email);
        const creates = okCalls(stack.sim, 'POST', '/api/2.0/people').filter(
          (c) => c.emails?.[0] === h.email,
        );
        assert.equal(creates.length, 1, `one successful create for ${h.email}`);
        assert.equal(inviteCounts(stack.sim).get(h.email), 1, `one invite for ${h.email}`);
        const user = stack.sim.state().users.find((u) => u.email === h.email);
        assert.equal(user?.type, 4, 'created as User (type 4), never a paid Room admin');
        assert.equal(record.userId, user.id);
      }
    });

    it('when the person already has an account (other case), they are recorded as existed and never invited', async () => {
      stack.sim.addUser({
        email: 'erin.existing@example.com',
        firstName: 'Erin',
        lastName: 'Existing',
      });
      const response = await stack.post(hire(10, { email: 'Erin.Existing@Example.COM' }));
      assert.equal(response.status, 200);
      await stack.settled(['Erin.Existing@Example.COM']);
      const record = await stack.store.get(stack.store.keyOf('erin.existing@example.com'));
      assert.equal(record?.state, 'existed');
      assert.equal(inviteCounts(stack.sim).get('erin.existing@example.com'), undefined);
      assert.equal(
        stack.sim.state().users.filter((u) => u.email.toLowerCase() === 'erin.existing@example.com')
          .length,
        1,
      );
    });

    it('when one delivery arrives twice and two events name one email, one user and one invite result', async () => {
      const person = hire(20);
      const sameId = 'msg_twice';
      const [first, second] = await Promise.all([
        stack.post(person, { id: sameId }),
        stack.post(person, { id: sameId }),
      ]);
      const statuses = [await first.json(), await second.json()]
        .map((b) => (b as { status: string }).status)
        .sort();
      assert.deepEqual(statuses, ['accepted', 'duplicate']);
      const other = await stack.post({
        ...person,
        email: person.email.toUpperCase(),
        employeeId: 'E-20b',
      });
      assert.equal(other.status, 200);
      await stack.settled([person.email]);
      await new Promise((resolve) => setTimeout(resolve, 800));
      const creates = okCalls(stack.sim, 'POST', '/api/2.0/people').filter(
        (c) => c.emails?.[0]?.toLowerCase() === person.email,
      );
      assert.equal(creates.length, 1);
      assert.equal(inviteCounts(stack.sim).get(person.email), 1);
    });

    it('when names carry digits or punctuation, they are cleaned to what DocSpace accepts', async () => {
      const person = hire(30, { firstName: 'José-María 2nd', lastName: 'Núñez (Pepe).' });
      await stack.post(person);
      await stack.settled([person.email]);
      const user = stack.sim.state().users.find((u) => u.email === person.email);
      assert.equal(user?.firstName, 'José-María nd');
      assert.equal(user.lastName, 'Núñez Pepe');
    });

    it('when a name holds letters beyond the Basic Multilingual Plane, which DocSpace refuses (its .NET regex reads UTF-16 units), the person is created under the rest of the name', async () => {
      const person = hire(31, { firstName: 'Ann 𝔄𝔩𝔦𝔠𝔢', lastName: 'Lee 𠀀' });
      await stack.post(person);
      await stack.settled([person.email]);
      const record = await stack.store.get(stack.store.keyOf(person.email));
      assert.equal(record?.state, 'invited', record?.lastError);
      const user = stack.sim.state().users.find((u) => u.email === person.email);
      assert.equal(user?.firstName, 'Ann');
      assert.equal(user.lastName, 'Lee');
    });

    it('when an address has a stretch of more than 63 characters between dots (around the @ too), which the invitation refuses, the delivery is refused before anything is stored', async () => {
      const person = hire(32, { email: `${'a'.repeat(50)}@${'b'.repeat(20)}.example.com` });
      const response = await stack.post(person);
      assert.equal(response.status, 400);
      assert.equal(await stack.store.get(stack.store.keyOf(person.email)), undefined);
    });

    it('logs one JSON line per outcome with job and hire ids, and never a secret, key or signature', () => {
      const lines = stack.logLines.map((line) => JSON.parse(line) as Record<string, unknown>);
      const created = lines.filter((l) => l['message'] === 'hire created');
      assert.ok(created.length >= 3);
      for (const line of created) {
        assert.equal(line['outcome'], 'created');
        assert.equal(typeof line['jobId'], 'string');
        assert.match(String(line['hireId']), /^E-/);
      }
      assert.ok(lines.some((l) => l['message'] === 'hire existed' && l['outcome'] === 'existed'));
      assert.ok(lines.some((l) => l['message'] === 'invite batch sent'));
      const all = stack.logLines.join('\n');
      assert.ok(!all.includes(stack.config.docspace.apiKey), 'no API key');
      assert.ok(!all.includes(stack.secret), 'no webhook secret');
      assert.ok(!all.includes(stack.secret.slice('whsec_'.length)), 'no secret body');
      assert.ok(!/v1,[A-Za-z0-9+/=]{20,}/.test(all), 'no signature');
      assert.ok(!all.includes('@example.com'), 'no email addresses');
    });
  });
