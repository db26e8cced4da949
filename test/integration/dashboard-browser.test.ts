import assert from 'node:assert/strict';
import { mkdir } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { before, describe, it } from 'node:test';
import express from 'express';
import { chromium, type Page } from 'playwright-core';
import { createDashboard } from '../../src/http/dashboard.js';
import { waitFor } from '../helpers/redis.js';
import { startStack } from '../helpers/stack.js';
import { chromiumTool, getSystemTool } from '../helpers/system-tool.js';

const ARTIFACTS = new URL('../artifacts/', import.meta.url);
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
  /** `CHROMIUM_PATH`, else a Chromium or Chrome found on this machine, else Debian's, installed. */
  let browserPath = '';
  before(
    () => {
      browserPath = getSystemTool(chromiumTool(() => chromium.executablePath()));
    },
    { timeout: 20 * 60_000 },
  );

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

      const browser = await chromium.launch({
        executablePath: browserPath,
        args: [
          '--headless',
          '--no-sandbox',
          '--disable-gpu',
          '--disable-background-networking',
          '--disable-quic',
          '--no-first-run',
          '--disable-component-update',
          '--disable-sync',
        ],
      });
      t.after(() => browser.close());
      const context = await browser.newContext({
        httpCredentials: { username: 'admin', password: TOKEN },
        viewport: { width: 1280, height: 800 },
      });
      const page = await context.newPage();
      page.setDefaultTimeout(10_000);
      const problems: string[] = [];
      page.on('pageerror', (err) => problems.push(`page error: ${err.message}`));
      page.on('console', (message) => {
        // Google Fonts is blocked on purpose (src/http/dashboard.ts, DASHBOARD_CSP).
        const text = message.text();
        if (text.includes('Content Security Policy') && !text.includes('fonts.googleapis.com'))
          problems.push(`CSP: ${text}`);
      });
      await mkdir(ARTIFACTS, { recursive: true });

      await step(page, 'the overview lists both queues', async () => {
        const res = await page.goto(base);
        assert.equal(res?.status(), 200, `GET ${base} with Basic credentials`);
        await page.getByText('Hires (provisioning)').first().waitFor();
        await page.getByText('Invitations (batched)').first().waitFor();
      });
      await step(page, 'the hires queue shows its failed job', async () => {
        await page.getByRole('link', { name: 'hires', exact: true }).click();
        await page.waitForURL(/\/queue\/hires/);
        await page
          .getByRole('link', { name: /failed/i })
          .first()
          .click();
        await page.waitForURL(/status=failed/);
        await page.getByText(jobId).waitFor();
      });
      await step(page, 'the failure reason is shown', async () => {
        await page
          .getByText(/answered 401.*DOCSPACE_API_KEY/)
          .first()
          .waitFor();
      });
      await page.screenshot({ path: ERROR_SCREENSHOT.pathname, fullPage: true });
      await step(page, 'the job data is shown masked', async () => {
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

/** Runs one step; on failure saves what the page looked like and says which step it was. */
async function step(page: Page, what: string, run: () => Promise<void>): Promise<void> {
  try {
    await run();
  } catch (err: unknown) {
    const shot = new URL('dashboard-failure.png', ARTIFACTS).pathname;
    await page.screenshot({ path: shot, fullPage: true }).catch(() => undefined);
    throw new Error(`dashboard in Chromium: ${what} failed at ${page.url()} (see ${shot})`, {
      cause: err,
    });
  }
}
