// @ts-check
import js from '@eslint/js';
import { defineConfig, globalIgnores } from 'eslint/config';
import tseslint from 'typescript-eslint';
import prettier from 'eslint-config-prettier/flat';

/**
 * One `no-restricted-imports` rule per folder keeps the boundaries (flat config replaces, not
 * merges, a rule set twice for one file, so each file gets exactly one of these blocks).
 */
const RULE = '@typescript-eslint/no-restricted-imports';
const PINO = { name: 'pino', message: 'pino only in src/logger.ts; others take a Logger' };
const AXIOS = {
  name: 'axios',
  message:
    'axios only in src/providers/hr-http.ts (DocSpace requests: src/docspace/http.ts on node:http)',
};
/** The HR providers name axios' types in the fetchers they are handed; hr-http.ts makes them. */
const AXIOS_TYPES_ONLY = { ...AXIOS, allowTypeImports: true };
const NO_WORKERS = { group: ['**/workers/**'], message: 'src/ never imports workers/' };
const APART = {
  group: ['**/docspace-sim/**', '**/demo/**'],
  message: 'the service never imports the simulator or the demo: they stand apart from it',
};
/**
 * @param {Array<string | { name: string; message: string; allowTypeImports?: boolean }>} paths
 *   packages the files may not import
 * @param {Array<{ group: string[]; message: string }>} patterns files they may not import
 */
const restrict = (paths, patterns) => ({ [RULE]: ['error', { paths, patterns }] });

export default defineConfig(
  globalIgnores(['dist/', 'coverage/', 'bench/results/']),
  js.configs.recommended,
  tseslint.configs.strictTypeChecked,
  tseslint.configs.stylisticTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/consistent-type-imports': 'error',
      '@typescript-eslint/switch-exhaustiveness-check': 'error',
      '@typescript-eslint/restrict-template-expressions': ['error', { allowNumber: true }],
      '@typescript-eslint/no-floating-promises': [
        'error',
        {
          allowForKnownSafeCalls: [
            { from: 'package', package: 'node:test', name: ['describe', 'it', 'test', 'suite'] },
          ],
        },
      ],
    },
  },
  {
    // domain/ is pure: no I/O library, nothing of the service but other domain files and errors.
    files: ['src/domain/**/*.ts'],
    rules: restrict(
      ['express', 'axios', 'bullmq', 'ioredis', 'pino'],
      [
        {
          group: ['../**', '!../errors.js'],
          message: 'domain/ is pure: it imports only domain/ and src/errors.ts',
        },
        NO_WORKERS,
        APART,
      ],
    ),
  },
  {
    files: ['src/**/*.ts'],
    ignores: ['src/domain/**', 'src/logger.ts', 'src/docspace/**', 'src/providers/**'],
    rules: restrict([PINO, AXIOS], [NO_WORKERS, APART]),
  },
  { files: ['src/logger.ts'], rules: restrict([AXIOS], [NO_WORKERS, APART]) },
  { files: ['src/docspace/**/*.ts'], rules: restrict([PINO, AXIOS], [NO_WORKERS, APART]) },
  { files: ['src/providers/hr-http.ts'], rules: restrict([PINO], [NO_WORKERS, APART]) },
  {
    files: ['src/providers/**/*.ts'],
    ignores: ['src/providers/hr-http.ts'],
    rules: restrict([PINO, AXIOS_TYPES_ONLY], [NO_WORKERS, APART]),
  },
  { files: ['workers/**/*.ts'], rules: restrict([PINO, AXIOS], [APART]) },
  {
    // The simulator is its own program, written from DocSpace's sources: it shares nothing.
    files: ['docspace-sim/**/*.ts'],
    rules: restrict(
      ['express', 'axios', 'bullmq', 'ioredis', 'pino'],
      [
        {
          group: ['../**'],
          message:
            'the simulator imports nothing of the service: a shared rule could not catch a misreading of DocSpace',
        },
      ],
    ),
  },
  { files: ['demo/**/*.ts'], rules: restrict([PINO, AXIOS], []) },
  { files: ['**/*.js'], extends: [tseslint.configs.disableTypeChecked] },
  prettier,
);
