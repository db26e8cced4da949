import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ARTIFACTS, chromiumBeforeAll, openAdminPage } from '../helpers/browser.js';
import { HOLD_DISABLES, holdLeavers } from '../helpers/leavers.js';
import { waitFor } from '../helpers/redis.js';
import { startStack } from '../helpers/stack.js';

/** The people page after the held disable was released: masked rows, nothing held. */
const SCREENSHOT = new URL('people.png', ARTIFACTS);
const TOKEN = 'people-browser-test-token';
const leaver = {
  employeeId: 'PB-1',
  firstName: 'Philippa',
  lastName: 'Browser',
  email: 'philippa.browser@example.com',
};
const stayer = {
  employeeId: 'PB-2',
  firstName: 'Stan',
  lastName: 'Stays',
  email: 'stan.stays@example.com',
};

describe('people page in a browser (headless Chromium)', () => {
  const browserPath = chromiumBeforeAll();

  it(
    'an admin sees masked people, reveals a row, searches a timeline and releases a held disable with the Release button',
    { timeout: 90_000 },
    async (t) => {
      const stack = await startStack({ ...HOLD_DISABLES, ADMIN_TOKEN: TOKEN });
      t.after(() => stack.close());
      const offboarding = await holdLeavers(stack, [leaver, stayer], [leaver]);
      const key = offboarding.keyOf(leaver.email);
      const simStatus = () => stack.sim.state().users.find((u) => u.email === leaver.email)?.status;
      assert.equal(simStatus(), 1, 'held: still active');

      const { page, problems, step } = await openAdminPage(t, {
        browserPath: browserPath(),
        password: TOKEN,
        isProblem: (text) => /Content Security Policy|Refused to/i.test(text),
        name: 'people',
        label: 'people page in Chromium',
      });
      const base = `${stack.apiUrl}/admin/people`;

      await step('the page lists both people masked, and the held disable', async () => {
        const res = await page.goto(base);
        assert.equal(res?.status(), 200, `GET ${base} with Basic credentials`);
        await page.locator('#people').getByText('p***@e***.com').waitFor();
        await page.locator('#people').getByText('s***@e***.com').waitFor();
        await page.locator('#held').getByText('p***@e***.com').waitFor();
        const html = await page.content();
        assert.doesNotMatch(html, /philippa|browser@|stan\.stays/i, 'no email on the page');
        assert.match(
          (await page.locator(`#people tr[data-key="${key}"]`).textContent()) ?? '',
          /offboarding held/,
        );
      });
      await step('Reveal shows that row only', async () => {
        await page
          .locator(`#people tr[data-key="${key}"]`)
          .getByRole('link', { name: 'Reveal' })
          .click();
        await page.waitForURL(/reveal=/);
        await page.locator('#people').getByText(leaver.email).waitFor();
        assert.doesNotMatch(await page.content(), /stan\.stays/, 'the other row stays masked');
      });
      await step('a search by email shows the person and their timeline', async () => {
        await page.getByLabel('Email').fill(stayer.email);
        await page.getByRole('button', { name: 'Search' }).click();
        await page.waitForURL(/email=/);
        await page.locator('#people').getByText(stayer.email).waitFor();
        const timeline = page.locator('#timeline li');
        await timeline.first().waitFor();
        assert.ok((await timeline.count()) >= 1);
        await page.getByLabel('Email').fill(leaver.email);
        await page.getByRole('button', { name: 'Search' }).click();
        await page
          .locator('#timeline')
          .getByText(/offboarding held/)
          .first()
          .waitFor();
      });
      await step('Release posts from the page and the account is disabled', async () => {
        await page.goto(base);
        const [response] = await Promise.all([
          page.waitForResponse(
            (r) => r.url().endsWith('/admin/people/release') && r.request().method() === 'POST',
          ),
          page
            .locator(`#held tr[data-key="${key}"]`)
            .getByRole('button', { name: 'Release' })
            .click(),
        ]);
        assert.equal(response.status(), 303, 'the same-site guard lets the page post');
        await page.waitForURL(base);
        await page.locator('#no-held').waitFor();
        await waitFor(() => (simStatus() === 2 ? true : undefined), 10_000, 'the disable');
        await waitFor(async () =>
          (await offboarding.get(key))?.state === 'done' ? true : undefined,
        );
        await page.reload();
        assert.match(
          (await page.locator(`#people tr[data-key="${key}"]`).textContent()) ?? '',
          /offboarding done/,
        );
      });
      await page.screenshot({ path: SCREENSHOT.pathname, fullPage: true });
      assert.equal(simStatus(), 2);
      assert.deepEqual(
        problems,
        [],
        'the page ran without errors or CSP violations (PEOPLE_CSP in src/http/people-page.ts)',
      );
    },
  );
});
