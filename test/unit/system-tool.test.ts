/**
 * How a test gets a program from the operating system (test/helpers/system-tool.ts), on real
 * files: fake executables in temporary directories stand for the browser, and apt-get is a
 * recorded stand-in (these tests must not install anything on a shared machine).
 */
import assert from 'node:assert/strict';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import {
  chromiumTool,
  findSystemTool,
  getSystemTool,
  type SystemTool,
  type SystemToolDeps,
} from '../helpers/system-tool.js';

const root = mkdtempSync(join(tmpdir(), 'dso-tool-'));
after(() => {
  rmSync(root, { recursive: true, force: true });
});

let dirs = 0;
/** A new empty directory. */
function dir(): string {
  dirs += 1;
  const path = join(root, `d${dirs}`);
  mkdirSync(path);
  return path;
}

/** An executable file `name` in `inDir`; returns its path. */
function executable(inDir: string, name: string): string {
  const path = join(inDir, name);
  writeFileSync(path, '#!/bin/sh\nexit 0\n');
  chmodSync(path, 0o755);
  return path;
}

const browser = (paths: readonly string[] = []): SystemTool => ({
  ...chromiumTool(),
  paths: () => paths,
});

interface Recorder extends SystemToolDeps {
  readonly calls: string[];
  readonly lines: string[];
}

function deps(
  env: NodeJS.ProcessEnv,
  options: { root?: boolean; fails?: string; onInstall?: () => void } = {},
): Recorder {
  const calls: string[] = [];
  const lines: string[] = [];
  return {
    env,
    calls,
    lines,
    isRoot: () => options.root ?? false,
    run(command, args, runEnv) {
      calls.push(
        `${command} ${args.join(' ')} (DEBIAN_FRONTEND=${runEnv['DEBIAN_FRONTEND'] ?? ''})`,
      );
      if (options.fails !== undefined && args[0] === options.fails) {
        return { ok: false, output: 'E: Could not get lock /var/lib/dpkg/lock-frontend' };
      }
      if (args[0] === 'install') options.onInstall?.();
      return { ok: true, output: '' };
    },
    log: (line) => lines.push(line),
  };
}

describe('getSystemTool', () => {
  it('when CHROMIUM_PATH names an executable, then that is used and nothing else is tried', () => {
    const path = executable(dir(), 'my-chrome');
    const onPath = dir();
    executable(onPath, 'chromium');
    const recorder = deps({ CHROMIUM_PATH: path, PATH: onPath }, { root: true });

    assert.equal(getSystemTool(browser(), recorder), path);
    assert.deepEqual(recorder.calls, []);
  });

  it('when CHROMIUM_PATH names no executable, then it fails naming it, even with a browser on PATH', () => {
    const onPath = dir();
    executable(onPath, 'chromium');
    const recorder = deps({ CHROMIUM_PATH: '/nonexistent/chromium', PATH: onPath }, { root: true });

    assert.throws(
      () => getSystemTool(browser(), recorder),
      /CHROMIUM_PATH=\/nonexistent\/chromium is not an executable file/,
    );
    assert.deepEqual(recorder.calls, [], 'nothing is installed');
  });

  it('when a browser is on PATH, then the first name found in order is used', () => {
    const first = dir();
    const second = dir();
    executable(first, 'google-chrome');
    const chromium = executable(second, 'chromium');
    const notExecutable = join(first, 'chromium-browser');
    writeFileSync(notExecutable, 'not a program');

    assert.equal(findSystemTool(browser(), { PATH: `${first}:${second}` }), chromium);
  });

  it('when none is on PATH, then the known paths are tried', () => {
    const known = executable(dir(), 'Google Chrome');
    assert.equal(findSystemTool(browser(['/nonexistent/a', known]), { PATH: dir() }), known);
  });

  it('when none is found and this is not root, then it fails with both ways out and installs nothing', () => {
    const aptDir = dir();
    executable(aptDir, 'apt-get');
    const recorder = deps({ PATH: aptDir }, { root: false });

    assert.throws(
      () => getSystemTool(browser(), recorder),
      (err: unknown) => {
        assert.ok(err instanceof Error);
        assert.match(
          err.message,
          /the dashboard's browser test needs a Chromium or Chrome browser/,
        );
        assert.match(err.message, /apt-get install chromium/);
        assert.match(err.message, /set CHROMIUM_PATH to its path/);
        return true;
      },
    );
    assert.deepEqual(recorder.calls, []);
  });

  it('when none is found and apt-get is missing, then it fails with both ways out', () => {
    const recorder = deps({ PATH: dir() }, { root: true });
    assert.throws(() => getSystemTool(browser(), recorder), /apt-get install chromium/);
    assert.deepEqual(recorder.calls, []);
  });

  it("when none is found, as root with apt-get, then Debian's package is installed and found", () => {
    const aptDir = dir();
    const apt = executable(aptDir, 'apt-get');
    const binDir = dir();
    const recorder = deps(
      { PATH: `${aptDir}:${binDir}` },
      {
        root: true,
        onInstall: () => {
          executable(binDir, 'chromium');
        },
      },
    );

    assert.equal(getSystemTool(browser(), recorder), join(binDir, 'chromium'));
    assert.deepEqual(recorder.calls, [
      `${apt} update -qq (DEBIAN_FRONTEND=noninteractive)`,
      `${apt} install -y -qq --no-install-recommends chromium (DEBIAN_FRONTEND=noninteractive)`,
    ]);
    assert.match(recorder.lines.join('\n'), /installing Debian's chromium with apt-get/);
  });

  it("when apt-get fails, then the error says so with apt-get's last words", () => {
    const aptDir = dir();
    executable(aptDir, 'apt-get');
    const recorder = deps({ PATH: aptDir }, { root: true, fails: 'install' });

    assert.throws(
      () => getSystemTool(browser(), recorder),
      /apt-get install .*chromium failed.*Could not get lock/,
    );
  });

  it('when the package installed nothing it can find, then it says so', () => {
    const aptDir = dir();
    executable(aptDir, 'apt-get');
    const recorder = deps({ PATH: aptDir }, { root: true });

    assert.throws(() => getSystemTool(browser(), recorder), /installed chromium, but .* still not/);
  });
});
