import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { HOLD_DISABLES, holdLeavers } from '../helpers/leavers.js';
import { waitFor } from '../helpers/redis.js';
import { startStack } from '../helpers/stack.js';

const TOKEN = 'people-page-test-admin-token';
const basic = `Basic ${Buffer.from(`admin:${TOKEN}`).toString('base64')}`;

describe('the people page (GET /admin/people)', () => {
  it('lists people masked, shows a held disable with Release, a searched timeline, and releases from this site only', async (t) => {
    const stack = await startStack({ ...HOLD_DISABLES, ADMIN_TOKEN: TOKEN });
    t.after(() => stack.close());
    const email = 'pat.page@example.com';
    const offboarding = await holdLeavers(stack, [
      { employeeId: 'P-1', firstName: 'Pat', lastName: 'Page', email },
    ]);
    const key = offboarding.keyOf(email);

    const page = `${stack.apiUrl}/admin/people`;
    assert.equal((await fetch(page)).status, 401, 'asks for credentials');
    const list = await fetch(page, { headers: { authorization: basic } });
    assert.equal(list.status, 200);
    const html = await list.text();
    assert.ok(!html.includes(email), 'emails are masked');
    assert.match(html, /p\*\*\*@e\*\*\*\.com/);
    assert.match(html, /offboarding held/);
    assert.match(html, /<button type="submit">Release<\/button>/);

    const revealed = await (
      await fetch(`${page}?reveal=${key}`, { headers: { authorization: basic } })
    ).text();
    assert.ok(revealed.includes(email), 'one row revealed');
    const searched = await (
      await fetch(`${page}?email=${encodeURIComponent(email)}`, {
        headers: { authorization: basic },
      })
    ).text();
    assert.match(searched, /<ol id="timeline">[\s\S]*offboarding held/);

    const release = `${page}/release`;
    const body = new URLSearchParams({ key }).toString();
    const form = { 'content-type': 'application/x-www-form-urlencoded', authorization: basic };
    const crossSite = await fetch(release, {
      method: 'POST',
      headers: { ...form, 'sec-fetch-site': 'cross-site' },
      body,
      redirect: 'manual',
    });
    assert.equal(crossSite.status, 403, 'a release from another site is refused');
    assert.equal((await offboarding.get(key))?.state, 'held');
    const sameSite = await fetch(release, {
      method: 'POST',
      headers: { ...form, 'sec-fetch-site': 'same-origin' },
      body,
      redirect: 'manual',
    });
    assert.equal(sameSite.status, 303);
    // The record is written once DocSpace has answered: wait for it, not only the account.
    await waitFor(async () => ((await offboarding.get(key))?.state === 'done' ? true : undefined));
    assert.equal(stack.sim.state().users.find((u) => u.email === email)?.status, 2);
  });
});
