/** Entry point of `npm run rules` (src/cli/rules.ts). */
import { runRulesCli } from './rules.js';

process.exitCode = await runRulesCli(process.argv.slice(2), {
  out: (text) => process.stdout.write(text),
  err: (text) => process.stderr.write(text),
});
