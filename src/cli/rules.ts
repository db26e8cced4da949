/**
 * `npm run rules -- --check FILE` and `--plan FILE --hire JSON`: checks a rules file the way the
 * worker does at start, or shows what one person would get, without calling DocSpace
 * (docs/rules.md). Exit codes: 0 fine, 1 the file (or the person) has problems, 2 usage.
 */
import { Command, CommanderError } from 'commander';
import { planFor } from '../domain/rule-plan.js';
import { ROOM_ACCESS } from '../domain/rules.js';
import { loadRulesFile, RulesFileError } from '../rules/load.js';

export interface RulesCliOutput {
  readonly out: (text: string) => void;
  readonly err: (text: string) => void;
}

const ACCESS_NAMES = new Map<number, string>(
  Object.entries(ROOM_ACCESS).map(([name, value]) => [value, name]),
);

/** Runs the command; resolves to its exit code. */
export async function runRulesCli(
  argv: readonly string[],
  output: RulesCliOutput,
): Promise<number> {
  const program = new Command('npm run rules --')
    .description('Check a PROVISIONING_RULES file, or show what a person would get')
    .option('--check <file>', 'check a rules file and list every problem')
    .option('--plan <file>', 'show what the person given with --hire would get')
    .option('--hire <json>', 'the person, as in a webhook: {"department":"Sales","location":…}')
    .exitOverride()
    .configureOutput({ writeOut: output.out, writeErr: output.err });
  try {
    program.parse(argv, { from: 'user' });
  } catch (err: unknown) {
    if (err instanceof CommanderError) return err.exitCode === 0 ? 0 : 2;
    throw err;
  }
  const options = program.opts<{ check?: string; plan?: string; hire?: string }>();
  const file = options.check ?? options.plan;
  if (file === undefined || (options.check !== undefined && options.plan !== undefined)) {
    output.err('give either --check FILE or --plan FILE --hire JSON\n');
    return 2;
  }
  if (options.plan !== undefined && options.hire === undefined) {
    output.err('--plan needs --hire JSON (the person: department, location, title)\n');
    return 2;
  }
  try {
    const rules = await loadRulesFile(file);
    if (options.plan === undefined) {
      output.out(`${file}: ${rules.rules.length} rule(s), no problems\n`);
      return 0;
    }
    const person = parsePerson(options.hire ?? '');
    if (typeof person === 'string') {
      output.err(`--hire: ${person}\n`);
      return 1;
    }
    const plan = planFor(rules, person);
    const shown = {
      matched: plan.matched.map((index) => `rules[${index}]`),
      groups: plan.groups,
      rooms: plan.rooms.map((room) => ({
        id: room.id,
        access: ACCESS_NAMES.get(room.access) ?? room.access,
      })),
      type: plan.type ?? '(DOCSPACE_USER_TYPE)',
    };
    output.out(`${JSON.stringify(shown, null, 2)}\n`);
    return 0;
  } catch (err: unknown) {
    if (err instanceof RulesFileError) {
      output.err(`${err.message}\n`);
      return 1;
    }
    throw err;
  }
}

/** The person of `--hire`: a JSON object whose department, location and title are text. */
function parsePerson(
  json: string,
): { department?: string; location?: string; title?: string } | string {
  let value: unknown;
  try {
    value = JSON.parse(json) as unknown;
  } catch {
    return 'is not JSON';
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return 'must be a JSON object';
  }
  const record = value as Record<string, unknown>;
  const person: { department?: string; location?: string; title?: string } = {};
  for (const key of ['department', 'location', 'title'] as const) {
    const field = record[key];
    if (field === undefined || field === null) continue;
    if (typeof field !== 'string') return `${key} must be text`;
    person[key] = field;
  }
  return person;
}
