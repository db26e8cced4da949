/**
 * Programs some tests need from the operating system rather than from npm: a Chromium for the
 * dashboard's browser test and the `openssl` command line for the TLS test's throw-away CA. So
 * that `npm ci && npm test` passes on a machine with Node and Redis and nothing else (docs/development.md,
 * "What the tests need"), a test gets its program itself: the path in an environment variable,
 * else the first match on PATH or at a well-known path, else, where the tests run as root on
 * Debian, the Debian package installed with apt-get (Playwright's own browser download,
 * `npx playwright install`, needs a network these machines may not have; Debian's mirror is what
 * CI uses anyway). Anywhere else the test fails with a message naming both ways out.
 */
import { spawnSync } from 'node:child_process';
import { accessSync, constants, statSync } from 'node:fs';
import { delimiter, join } from 'node:path';

export interface SystemTool {
  /** What it is, for messages: "a Chromium browser". */
  readonly what: string;
  /** Who needs it, for messages: "the dashboard's browser test". */
  readonly neededBy: string;
  /** An environment variable that names the program's path; when set, nothing else is tried. */
  readonly envVar: string;
  /** Command names looked up on PATH, in order. */
  readonly commands: readonly string[];
  /** Absolute paths tried after PATH (a browser outside PATH, Playwright's own download). */
  readonly paths?: () => readonly string[];
  /** The Debian package that provides it. */
  readonly debianPackage: string;
}

export interface SystemToolDeps {
  readonly env: NodeJS.ProcessEnv;
  readonly isRoot: () => boolean;
  /** Runs a command to its end; `ok` false when it could not start or exited non-zero. */
  readonly run: (
    command: string,
    args: readonly string[],
    env: NodeJS.ProcessEnv,
  ) => { ok: boolean; output: string };
  readonly log: (line: string) => void;
}

/** Longest an `apt-get` step may take (a Chromium with its libraries is a few hundred MB). */
const APT_TIMEOUT_MS = 15 * 60_000;

export const REAL_DEPS: SystemToolDeps = {
  env: process.env,
  isRoot: () => process.getuid?.() === 0,
  run(command, args, env) {
    const result = spawnSync(command, args, {
      env,
      encoding: 'utf8',
      timeout: APT_TIMEOUT_MS,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const output = `${result.stdout}${result.stderr}${result.error ? String(result.error) : ''}`;
    return { ok: result.status === 0, output };
  },
  log(line) {
    process.stderr.write(`# ${line}\n`);
  },
};

/** True when `path` is a file this process may execute. */
export function isExecutable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

/** The first of `commands` found on `PATH` as an executable file, else undefined. */
export function onPath(
  commands: readonly string[],
  pathVar: string | undefined,
): string | undefined {
  const dirs = (pathVar ?? '').split(delimiter).filter((dir) => dir !== '');
  for (const command of commands) {
    for (const dir of dirs) {
      const candidate = join(dir, command);
      if (isExecutable(candidate)) return candidate;
    }
  }
  return undefined;
}

/** Where `tool` is on this machine without installing anything: env variable, PATH, known paths. */
export function findSystemTool(
  tool: SystemTool,
  env: NodeJS.ProcessEnv = process.env,
): string | undefined {
  const named = env[tool.envVar]?.trim();
  if (named !== undefined && named !== '') {
    if (isExecutable(named)) return named;
    throw new Error(
      `${tool.envVar}=${named} is not an executable file; point it at ${tool.what} or unset it`,
    );
  }
  return (
    onPath(tool.commands, env['PATH']) ?? (tool.paths?.() ?? []).find((path) => isExecutable(path))
  );
}

/**
 * The path of `tool`: found (see {@link findSystemTool}), or installed from Debian's package when
 * this runs as root with apt-get on PATH, or an error that says how to provide it.
 */
export function getSystemTool(tool: SystemTool, deps: SystemToolDeps = REAL_DEPS): string {
  const found = findSystemTool(tool, deps.env);
  if (found !== undefined) return found;
  const apt = onPath(['apt-get'], deps.env['PATH']);
  const howTo =
    `install ${tool.what} (Debian or Ubuntu: apt-get install ${tool.debianPackage}), ` +
    `or set ${tool.envVar} to its path`;
  if (apt === undefined || !deps.isRoot()) {
    throw new Error(
      `${tool.neededBy} needs ${tool.what} and none was found (${tool.envVar} unset, none of ` +
        `${tool.commands.join(', ')} on PATH); ${howTo}`,
    );
  }
  deps.log(
    `${tool.neededBy} needs ${tool.what}: installing Debian's ${tool.debianPackage} with apt-get ` +
      `(set ${tool.envVar} to use another)`,
  );
  const env = { ...deps.env, DEBIAN_FRONTEND: 'noninteractive' };
  for (const args of [
    ['update', '-qq'],
    ['install', '-y', '-qq', '--no-install-recommends', tool.debianPackage],
  ]) {
    const result = deps.run(apt, args, env);
    if (!result.ok) {
      throw new Error(
        `apt-get ${args.join(' ')} failed, so ${tool.neededBy} has no ${tool.what}; ${howTo}. ` +
          `apt-get said: ${result.output.trim().split('\n').slice(-5).join(' / ')}`,
      );
    }
  }
  const installed = findSystemTool(tool, deps.env);
  if (installed === undefined) {
    throw new Error(
      `apt-get installed ${tool.debianPackage}, but ${tool.commands.join(', ')} is still not ` +
        `on PATH; ${howTo}`,
    );
  }
  deps.log(`${tool.what}: ${installed}`);
  return installed;
}

/** Chromium or Chrome for the dashboard's browser test (driven by playwright-core). */
export function chromiumTool(playwrightPath?: () => string): SystemTool {
  return {
    what: 'a Chromium or Chrome browser',
    neededBy: "the dashboard's browser test",
    envVar: 'CHROMIUM_PATH',
    commands: ['chromium', 'chromium-browser', 'google-chrome', 'google-chrome-stable', 'chrome'],
    paths: () => [
      '/Applications/Google Chrome.app/Contents/MacOS/Google Chrome',
      '/Applications/Chromium.app/Contents/MacOS/Chromium',
      // Playwright's own download (`npx playwright install chromium`), where someone made one.
      ...(playwrightPath ? [safely(playwrightPath)] : []),
    ],
    debianPackage: 'chromium',
  };
}

/** The `openssl` command line, with which the TLS test makes its throw-away CA. */
export const OPENSSL: SystemTool = {
  what: 'the openssl command line',
  neededBy: 'the Redis TLS test',
  envVar: 'OPENSSL_PATH',
  commands: ['openssl'],
  debianPackage: 'openssl',
};

function safely(read: () => string): string {
  try {
    return read();
  } catch {
    return '';
  }
}
