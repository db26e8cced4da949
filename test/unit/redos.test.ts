/**
 * No pattern that reads outside input can take super-linear time (issue #10, item 3): a quadratic
 * trim in cleanName took 5.9 s on 64 KB of `'-`, blocking every worker that took the job in turn.
 *
 * Every regular-expression literal in src/domain and src/providers is found by parsing the files
 * (so a pattern added later is fuzzed too) and run on fast-check inputs of the shape that makes
 * backtracking blow up: a prefix, a short "pump" repeated many times, a suffix. The pump is drawn
 * mostly from the characters the pattern itself names. Growth is compared for n and 4n in the
 * same run (test/helpers/growth.ts): no absolute time is asserted.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import ts from 'typescript';
import { cleanName } from '../../src/domain/names.js';
import { growthRatio } from '../helpers/growth.js';

const ROOT = join(import.meta.dirname, '..', '..');
const DIRS = ['src/domain', 'src/providers'];
/** Linear work measures about 4; quadratic about 16. */
const MAX_RATIO = 10;
/** Characters worth trying against any pattern, besides its own. */
const COMMON = [
  ' ',
  '\t',
  'a',
  'Z',
  '1',
  'é',
  '\u0301',
  '@',
  '.',
  '-',
  "'",
  '"',
  '\\',
  '_',
  '=',
  '\u2019',
  '😀',
  '[',
  ']',
  '&',
  ':',
  '/',
  '+',
];

interface Found {
  readonly where: string;
  readonly regex: RegExp;
}

/** Every regex literal in the TypeScript files of `dirs`, with file and line. */
function regexLiterals(dirs: readonly string[]): Found[] {
  const found: Found[] = [];
  for (const dir of dirs) {
    for (const file of readdirSync(join(ROOT, dir)).filter((f) => f.endsWith('.ts'))) {
      const path = join(dir, file);
      const source = ts.createSourceFile(
        path,
        readFileSync(join(ROOT, path), 'utf8'),
        ts.ScriptTarget.Latest,
        true,
      );
      const visit = (node: ts.Node): void => {
        if (node.kind === ts.SyntaxKind.RegularExpressionLiteral) {
          const text = node.getText(source);
          const slash = text.lastIndexOf('/');
          const line = source.getLineAndCharacterOfPosition(node.getStart(source)).line + 1;
          found.push({
            where: `${path}:${line} ${text}`,
            regex: new RegExp(text.slice(1, slash), text.slice(slash + 1)),
          });
        }
        ts.forEachChild(node, visit);
      };
      visit(source);
    }
  }
  return found;
}

/** The characters a pattern names (escapes read as what they match), then the common ones. */
function alphabetOf(regex: RegExp): string[] {
  const { source } = regex;
  const literal = source
    .replace(/\\u([0-9a-fA-F]{4})/g, (_, hex: string) => String.fromCharCode(parseInt(hex, 16)))
    .replace(/\\[sdwpPSDWbB]/g, ' ');
  const named = Array.from(literal).filter((c) => c !== '\\');
  const escapes: string[] = [];
  if (source.includes('\\s')) escapes.push(' ', '\t', '\n');
  if (source.includes('\\d')) escapes.push('1', '0');
  if (source.includes('\\w') || source.includes('\\p{L')) escapes.push('a', 'é');
  if (source.includes('\\p{M')) escapes.push('\u0301');
  return [...new Set([...named, ...escapes])];
}

/** A prefix, a pump and a suffix; the input of size n is prefix + pump × n + suffix. */
function shapes(regex: RegExp) {
  const own = alphabetOf(regex);
  const mostlyOwn = fc.oneof(
    { weight: 4, arbitrary: fc.constantFrom(...own) },
    { weight: 1, arbitrary: fc.constantFrom(...COMMON) },
  );
  const any = fc.constantFrom(...new Set([...own, ...COMMON]));
  const text = (max: number) => fc.array(any, { maxLength: max }).map((c) => c.join(''));
  return fc.record({
    // Leading into the pattern and forcing it to fail at the end: anything.
    prefix: text(3),
    // What a backtracking pattern retries: mostly the pattern's own characters.
    pump: fc.array(mostlyOwn, { minLength: 1, maxLength: 3 }).map((c) => c.join('')),
    suffix: text(3),
  });
}

describe('regular expressions in src/domain and src/providers run in linear time (issue #10, item 3)', () => {
  const literals = regexLiterals(DIRS);

  it('finds the patterns to fuzz (the scan is not blind)', () => {
    assert.ok(literals.length >= 20, `only ${literals.length} regex literals found`);
    assert.ok(literals.some((l) => l.where.startsWith(join('src/domain', 'names.ts'))));
    assert.ok(literals.some((l) => l.where.startsWith(join('src/domain', 'email.ts'))));
  });

  for (const { where, regex } of literals) {
    it(`${where}: input 4× longer takes less than ${MAX_RATIO}× longer`, () => {
      fc.assert(
        fc.property(shapes(regex), ({ prefix, pump, suffix }) => {
          const make = (n: number) => prefix + pump.repeat(Math.ceil(n / pump.length)) + suffix;
          // A fresh copy per call: a global regex keeps lastIndex between calls.
          const ratio = growthRatio(make, (input) => input.replace(new RegExp(regex), ''), 1_000, {
            ceiling: MAX_RATIO,
            minMs: 0.2,
          });
          assert.ok(
            ratio < MAX_RATIO,
            `${where} on ${JSON.stringify(prefix)} + ${JSON.stringify(pump)}×n + ${JSON.stringify(suffix)}: ${ratio.toFixed(1)}× slower for 4× the input`,
          );
        }),
        { numRuns: 100, endOnFailure: true },
      );
    });
  }
});

describe('cleanName on long hostile names (issue #10, item 3)', () => {
  for (const [what, make] of [
    ["64 KB of '- between letters", (n: number) => `a${"'-".repeat(n / 2)}b`],
    ['spaces between letters', (n: number) => `a${' '.repeat(n)}b`],
    ['hyphens and apostrophes then a digit', (n: number) => `'${"-'".repeat(n / 2)}1`],
    ['combining marks', (n: number) => `e${'\u0301'.repeat(n)}`],
    ['emoji and separators', (n: number) => `A${'😀.'.repeat(n / 3)}B`],
  ] as const) {
    it(`when a name is ${what}, then cleaning it grows no faster than the input`, () => {
      const ratio = growthRatio(make, cleanName, 16_384, { ceiling: MAX_RATIO });
      assert.ok(ratio < MAX_RATIO, `${ratio.toFixed(1)}× slower for 4× the input`);
    });
  }

  it("when the name is the review's 64 KB of '-, then it is cleaned as its first 1024 characters", () => {
    assert.equal(cleanName(`a${"'-".repeat(32_768)}b`), 'a', 'cut at the cap, its end trimmed');
    assert.equal(cleanName(`Émile ${"'-".repeat(32_768)}`), 'Émile');
    assert.equal(cleanName("'-".repeat(32_768)), '');
  });
});
