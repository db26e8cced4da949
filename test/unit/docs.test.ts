/**
 * Keeps the documentation from rotting silently: every relative link and anchor in README.md and
 * docs/*.md resolves, every repository path the pages name exists, every docs/ page a code comment
 * cites exists, docs/configuration.md lists every setting the code reads, and the retry figure it
 * states follows from the defaults and the backoff strategy.
 */
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, normalize, relative } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { loadConfig } from '../../src/config.js';
import { createBackoffStrategy } from '../../workers/backoff.js';
import { settingsReadByCode } from '../helpers/settings.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const text = (path: string): string => readFileSync(join(ROOT, path), 'utf8');

/** The pages: README.md and every docs/*.md, as repository paths. */
const PAGES = [
  'README.md',
  ...readdirSync(join(ROOT, 'docs'))
    .filter((file) => file.endsWith('.md'))
    .map((file) => `docs/${file}`),
];

/** Pages whose code spans name files of other repositories (the DocSpace server's), not ours. */
const FOREIGN_PATHS = new Set(['docs/docspace-lifecycle.md']);

/** Folders a repository path in a code span starts with. */
const REPO_PATH = /^(?:src|workers|test|bench|deploy|docs|docspace-sim|demo|\.ci)\/[\w./-]*$/;

/** Generated or local-only paths (.gitignore): named in the pages, never in the repository. */
const IGNORED = readFileSync(join(ROOT, '.gitignore'), 'utf8')
  .split('\n')
  .map((line) => line.trim())
  .filter((line) => line !== '' && !line.startsWith('#') && line.endsWith('/'));

/** The page's lines outside fenced code blocks, with their line numbers. */
function prose(page: string): { line: number; text: string }[] {
  const out: { line: number; text: string }[] = [];
  let fenced = false;
  text(page)
    .split('\n')
    .forEach((line, index) => {
      if (/^\s*(```|~~~)/.test(line)) {
        fenced = !fenced;
        return;
      }
      if (!fenced) out.push({ line: index + 1, text: line });
    });
  return out;
}

/** GitHub's heading anchor: lower case, punctuation dropped, spaces to hyphens. */
function slug(heading: string): string {
  return heading
    .replace(/\[([^\]]*)\]\([^)]*\)/g, '$1')
    .toLowerCase()
    .replace(/[^\p{L}\p{M}\p{N}\p{Pc} -]/gu, '')
    .replace(/ /g, '-');
}

/** Every anchor a page offers: its headings' slugs (numbered when repeated) and `<a id>`s. */
function anchorsOf(page: string): Set<string> {
  const anchors = new Set<string>();
  const seen = new Map<string, number>();
  for (const { text: line } of prose(page)) {
    const heading = /^#{1,6}\s+(.+?)\s*#*\s*$/.exec(line);
    if (heading?.[1] !== undefined) {
      const base = slug(heading[1]);
      const count = seen.get(base) ?? 0;
      seen.set(base, count + 1);
      anchors.add(count === 0 ? base : `${base}-${count}`);
    }
    for (const match of line.matchAll(/<a\s+(?:id|name)="([^"]+)"/g)) {
      if (match[1] !== undefined) anchors.add(match[1]);
    }
  }
  return anchors;
}

/** Whether a repository path (a file, or a folder ending in "/") exists. */
function present(path: string): boolean {
  return existsSync(join(ROOT, path));
}

describe('the documentation', () => {
  it('has the pages other code and pages cite', () => {
    for (const page of [
      'design',
      'configuration',
      'hr-systems',
      'docspace',
      'docspace-lifecycle',
      'operations',
      'reliability',
      'performance',
      'security',
      'development',
    ]) {
      assert.ok(PAGES.includes(`docs/${page}.md`), `docs/${page}.md is missing`);
    }
  });

  it('links only to files that exist, and to anchors those files have', () => {
    const broken: string[] = [];
    for (const page of PAGES) {
      for (const { line, text: content } of prose(page)) {
        const withoutCode = content.replace(/`[^`]*`/g, '');
        for (const match of withoutCode.matchAll(/\]\(([^)\s]+)(?:\s+"[^"]*")?\)/g)) {
          const target = match[1] ?? '';
          if (/^[a-z][a-z0-9+.-]*:/i.test(target)) continue; // https:, mailto:
          const [file = '', anchor] = target.split('#', 2);
          const resolved = file === '' ? page : normalize(join(dirname(page), file));
          const where = `${page}:${line} → ${target}`;
          if (relative(ROOT, join(ROOT, resolved)).startsWith('..')) {
            broken.push(`${where} (outside the repository)`);
          } else if (!present(resolved.replace(/\\/g, '/'))) {
            broken.push(`${where} (no such file)`);
          } else if (anchor !== undefined && !anchorsOf(resolved).has(anchor)) {
            broken.push(`${where} (no such anchor)`);
          }
        }
      }
    }
    assert.deepEqual(broken, []);
  });

  it('names only repository paths that exist', () => {
    const missing: string[] = [];
    for (const page of PAGES.filter((p) => !FOREIGN_PATHS.has(p))) {
      for (const { line, text: content } of prose(page)) {
        for (const match of content.matchAll(/`([^`]+)`/g)) {
          const path = match[1] ?? '';
          if (!REPO_PATH.test(path) || IGNORED.some((dir) => path.startsWith(dir))) continue;
          if (!present(path)) missing.push(`${page}:${line}: ${path}`);
        }
      }
    }
    assert.deepEqual(missing, []);
  });

  it('is cited by code comments only with pages and anchors that exist', () => {
    const broken: string[] = [];
    const dirs = ['src', 'workers', 'test', 'bench', 'docspace-sim', 'demo'].filter((dir) =>
      existsSync(join(ROOT, dir)),
    );
    for (const dir of dirs) {
      for (const file of readdirSync(join(ROOT, dir), { recursive: true, encoding: 'utf8' })) {
        if (!file.endsWith('.ts')) continue;
        const path = `${dir}/${file}`;
        for (const match of text(path).matchAll(/\bdocs\/([\w-]+\.md)(?:#([\w-]+))?/g)) {
          const page = `docs/${match[1] ?? ''}`;
          const anchor = match[2];
          if (!PAGES.includes(page)) broken.push(`${path}: ${page}`);
          else if (anchor !== undefined && !anchorsOf(page).has(anchor)) {
            broken.push(`${path}: ${page}#${anchor}`);
          }
        }
      }
    }
    assert.deepEqual(broken, []);
  });

  it('gives each provisioning rule of docs/design.md a stable anchor, #rule-1 to #rule-14', () => {
    const anchors = anchorsOf('docs/design.md');
    for (let n = 1; n <= 14; n += 1) assert.ok(anchors.has(`rule-${n}`), `#rule-${n}`);
  });
});

describe('docs/configuration.md', () => {
  const page = text('docs/configuration.md');
  /** Names in the first column of a table row. */
  const documented = new Set(
    [...page.matchAll(/^\|\s*`([A-Z][A-Z0-9_]*)`\s*\|/gm)].map((match) => match[1] ?? ''),
  );

  it('has a row for every setting the code reads and every one in .env.example', () => {
    const example = [...text('.env.example').matchAll(/^([A-Z][A-Z0-9_]*)=/gm)].map(
      (match) => match[1] ?? '',
    );
    const missing = [...new Set([...settingsReadByCode(), ...example])].filter(
      (name) => !documented.has(name),
    );
    assert.deepEqual(missing, [], 'settings without a row in docs/configuration.md');
  });

  it('states how long a job retries with the defaults, as the backoff strategy computes it', () => {
    const { attempts, backoffMs } = loadConfig({}, 'api').jobs;
    // BullMQ asks for a wait after each failed attempt but the last (attemptsMade 1 … n−1).
    const total = (random: number): number => {
      const wait = createBackoffStrategy(backoffMs, () => random);
      let sum = 0;
      for (let made = 1; made < attempts; made += 1) sum += wait(made);
      return sum;
    };
    const minutes = (ms: number): number => Math.floor(ms / 60_000);
    const row = page.split('\n').find((line) => line.startsWith('| `JOB_ATTEMPTS`')) ?? '';
    assert.match(
      row,
      new RegExp(`${minutes(total(0))} to ${minutes(total(1))} minutes of retry waits`),
      `JOB_ATTEMPTS row: ${row}`,
    );
  });
});
