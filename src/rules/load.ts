import { readFile } from 'node:fs/promises';
import { extname } from 'node:path';
import { parse as parseYaml, YAMLParseError } from 'yaml';
import { parseRulesFile, type RulesFile } from '../domain/rules.js';
import { PayloadError, type ErrorDetail } from '../errors.js';

/** A rules file that cannot be used: every problem, each with its place in the file. */
export class RulesFileError extends Error {
  override name = 'RulesFileError' as const;
  readonly file: string;
  readonly problems: readonly ErrorDetail[];

  constructor(file: string, problems: readonly ErrorDetail[]) {
    super(
      `the rules file ${file} (PROVISIONING_RULES) has ${problems.length} problem(s):\n${problems
        .map((p) => `  - ${p.path === '' ? '(file)' : p.path}: ${p.message}`)
        .join('\n')}`,
    );
    this.file = file;
    this.problems = problems;
  }
}

/**
 * Reads and checks a rules file (YAML, or JSON, which is YAML too; `.json` files are read as
 * strict JSON). Throws one {@link RulesFileError} listing every problem.
 */
export async function loadRulesFile(file: string): Promise<RulesFile> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err: unknown) {
    const code = (err as NodeJS.ErrnoException).code ?? 'unreadable';
    throw new RulesFileError(file, [{ path: '', message: `cannot be read (${code})` }]);
  }
  return parseRulesText(file, text);
}

/** Checks the text of a rules file; `file` names it in the problems (its extension picks JSON). */
export function parseRulesText(file: string, text: string): RulesFile {
  let content: unknown;
  try {
    content =
      extname(file).toLowerCase() === '.json'
        ? (JSON.parse(text) as unknown)
        : (parseYaml(text, { uniqueKeys: true, prettyErrors: true }) as unknown);
  } catch (err: unknown) {
    const message =
      err instanceof YAMLParseError
        ? `is not valid YAML: ${err.message.split('\n')[0] ?? ''}`
        : `is not valid JSON: ${err instanceof Error ? err.message : String(err)}`;
    throw new RulesFileError(file, [{ path: '', message }]);
  }
  try {
    return parseRulesFile(content);
  } catch (err: unknown) {
    if (err instanceof PayloadError) throw new RulesFileError(file, err.details);
    throw err;
  }
}
