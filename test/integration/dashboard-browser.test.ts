import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import { describe, it } from 'node:test';
import express from 'express';
import { createDashboard } from '../../src/http/dashboard.js';
import { ARTIFACTS, chromiumBeforeAll, openAdminPage } from '../helpers/browser.js';
import { waitFor } from '../helpers/redis.js';
import { startStack } from '../helpers/stack.js';

/** The failed job with its masked data, and with its failure reason. */
const SCREENSHOT = new URL('dashboard.png', ARTIFACTS);
const ERROR_SCREENSHOT = new URL('dashboard-error.png', ARTIFACTS);
const TOKEN = 'browser-test-token';
const hire = {
  employeeId: 'B-1',
  firstName: 'Bartholomew',
  lastName: 'Quill',
  email: 'bartholomew.quill@example.com',
};

describe('dashboard in a browser (headless Chromium)', () => {
  const browserPath = chromiumBeforeAll();

  it(
    'when an admin logs in, then they see both queues and a failed job with masked data and its reason',
    {
      timeout: 60_000,
    },
    async (t) => {
      // A wrong DocSpace key fails the provision job at once with a 401 reason.
      const stack = await startStack({ DOCSPACE_API_KEY: `sk-${'f'.repeat(64)}` });
      t.after(() => stack.close());
      await stack.post(hire);
      const failed = await waitFor(
        async () => (await stack.hires.getFailed())[0],
        10_000,
        'the provision job to fail',
      );
      const jobId = failed.id ?? '';

      const app = express();
      app.use(
        createDashboard({
          token: TOKEN,
          queues: [stack.hires, stack.invites],
          logger: stack.logger,
        }),
      );
      const server = app.listen(0, '127.0.0.1');
      await new Promise<void>((resolve) => server.once('listening', resolve));
      t.after(() => {
        server.closeAllConnections();
        server.close();
      });
      const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/admin/queues`;

      const { page, problems, step } = await openAdminPage(t, {
        browserPath: browserPath(),
        password: TOKEN,
        // Google Fonts is blocked on purpose (src/http/dashboard.ts, DASHBOARD_CSP).
        isProblem: (text) =>
          text.includes('Content Security Policy') && !text.includes('fonts.googleapis.com'),
        name: 'dashboard',
        label: 'dashboard in Chromium',
      });

      await step('the overview lists both queues', async () => {
        const res = await page.goto(base);
        assert.equal(res?.status(), 200, `GET ${base} with Basic credentials`);
        await page.getByText('Hires (provisioning)').first().waitFor();
        await page.getByText('Invitations (batched)').first().waitFor();
      });
      await step('the hires queue shows its failed job', async () => {
        await page.getByRole('link', { name: 'hires', exact: true }).click();
        await page.waitForURL(/\/queue\/hires/);
        await page
          .getByRole('link', { name: /failed/i })
          .first()
          .click();
        await page.waitForURL(/status=failed/);
        await page.getByText(jobId).waitFor();
      });
      await step('the failure reason is shown', async () => {
        await page
          .getByText(/answered 401.*DOCSPACE_API_KEY/)
          .first()
          .waitFor();
      });
      await page.screenshot({ path: ERROR_SCREENSHOT.pathname, fullPage: true });
      await step('the job data is shown masked', async () => {
        await page.getByRole('tab', { name: 'Data' }).click();
        await page.getByText('b***@e***.com').first().waitFor();
        await page.getByText('B***', { exact: false }).first().waitFor();
        const html = await page.content();
        assert.doesNotMatch(html, /bartholomew|quill/i, 'no email or name on the page');
      });
      await page.screenshot({ path: SCREENSHOT.pathname, fullPage: true });
      assert.deepEqual(
        problems,
        [],
        'the page ran without errors or CSP violations (a new bull-board may need new style hashes in DASHBOARD_CSP)',
      );
    },
  );
});
