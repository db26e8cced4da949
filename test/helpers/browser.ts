/**
 * A headless Chromium for the admin pages' browser tests (test/integration/dashboard-browser.test.ts,
 * test/integration/people-browser.test.ts), driven by playwright-core: the browser found or installed
 * by test/helpers/system-tool.ts, a page logged in with Basic credentials, the page errors and
 * console messages a test counts as problems, and steps that save a screenshot when they fail.
 */
import { mkdir } from 'node:fs/promises';
import { before, type TestContext } from 'node:test';
import { chromium, type Page } from 'playwright-core';
import { chromiumTool, getSystemTool } from './system-tool.js';

/** Where the browser tests save their screenshots (ignored by git). */
export const ARTIFACTS = new URL('../artifacts/', import.meta.url);

/**
 * Headless, no sandbox (containers run as root), no GPU, and nothing the browser fetches on its
 * own (updates, sync, QUIC probes): the tests run on machines that may have no network.
 */
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-quic',
  '--no-first-run',
  '--disable-component-update',
  '--disable-sync',
];

/**
 * Registers a `before` hook in the calling `describe` that finds the browser: `CHROMIUM_PATH`, else
 * a Chromium or Chrome found on this machine, else Debian's, installed (which may take minutes).
 * Returns the path once the hook ran.
 */
export function chromiumBeforeAll(): () => string {
  let browserPath = '';
  before(
    () => {
      browserPath = getSystemTool(chromiumTool(() => chromium.executablePath()));
    },
    { timeout: 20 * 60_000 },
  );
  return () => browserPath;
}

export interface AdminPageOptions {
  readonly browserPath: string;
  /** The Basic password (`ADMIN_TOKEN`); the user name is `admin`. */
  readonly password: string;
  /** Whether a console message is a problem (a CSP violation the page must not cause). */
  readonly isProblem: (text: string) => boolean;
  /** Names the page in a failed step's message and its screenshot, `<name>-failure.png`. */
  readonly name: string;
  /** Says what was tested in a failed step's message: "dashboard in Chromium". */
  readonly label: string;
}

export interface AdminPage {
  readonly page: Page;
  /** Page errors (`page error: …`) and console problems (`CSP: …`), in the order they came. */
  readonly problems: readonly string[];
  /** Runs one step; on failure saves what the page looked like and says which step it was. */
  readonly step: (what: string, run: () => Promise<void>) => Promise<void>;
}

/** Launches Chromium (closed when `t` ends) and opens one logged-in 1280×800 page. */
export async function openAdminPage(t: TestContext, options: AdminPageOptions): Promise<AdminPage> {
  const browser = await chromium.launch({
    executablePath: options.browserPath,
    args: CHROMIUM_ARGS,
  });
  t.after(() => browser.close());
  const context = await browser.newContext({
    httpCredentials: { username: 'admin', password: options.password },
    viewport: { width: 1280, height: 800 },
  });
  const page = await context.newPage();
  page.setDefaultTimeout(10_000);
  const problems: string[] = [];
  page.on('pageerror', (err) => problems.push(`page error: ${err.message}`));
  page.on('console', (message) => {
    const text = message.text();
    if (options.isProblem(text)) problems.push(`CSP: ${text}`);
  });
  await mkdir(ARTIFACTS, { recursive: true });
  return {
    page,
    problems,
    step: async (what, run) => {
      try {
        await run();
      } catch (err: unknown) {
        const shot = new URL(`${options.name}-failure.png`, ARTIFACTS).pathname;
        await page.screenshot({ path: shot, fullPage: true }).catch(() => undefined);
        throw new Error(`${options.label}: ${what} failed at ${page.url()} (see ${shot})`, {
          cause: err,
        });
      }
    },
  };
}
