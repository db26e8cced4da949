// @ts-check
import js from '@eslint/js';
import { defineConfig, globalIgnores } from 'eslint/config';
import tseslint from 'typescript-eslint';
import prettier from 'eslint-config-prettier/flat';

/**
 * One `no-restricted-imports` rule per folder keeps the layers apart (flat config replaces, not
 * merges, a rule set twice for one file, so each file gets exactly one of these blocks).
 * @param {string[]} paths packages the folder may not import
 * @param {boolean} noWorkers whether the folder may not import workers/
 */
const restrict = (paths, noWorkers) => ({
  '@typescript-eslint/no-restricted-imports': [
    'error',
    {
      paths: paths.map((name) => ({
        name,
        message: 'winston only in src/logger.ts, axios only in src/docspace/ and src/providers/',
      })),
      patterns: noWorkers
        ? [{ group: ['**/workers/*'], message: 'src/ never imports workers/' }]
        : [],
    },
  ],
});

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
    // domain/ is pure: no I/O libraries, no other layer.
    files: ['src/domain/**/*.ts'],
    rules: {
      '@typescript-eslint/no-restricted-imports': [
        'error',
        {
          paths: ['express', 'axios', 'bullmq', 'ioredis', 'winston'],
          patterns: [
            {
              group: ['../http/*', '../queue/*', '../docspace/*', '../app.js', '../../workers/*'],
              message: 'domain/ is pure: no I/O layers',
            },
          ],
        },
      ],
    },
  },
  {
    files: ['src/**/*.ts'],
    ignores: ['src/domain/**', 'src/logger.ts', 'src/docspace/**', 'src/providers/**'],
    rules: restrict(['winston', 'axios'], true),
  },
  { files: ['src/logger.ts'], rules: restrict(['axios'], true) },
  { files: ['src/docspace/**/*.ts', 'src/providers/**/*.ts'], rules: restrict(['winston'], true) },
  { files: ['workers/**/*.ts'], rules: restrict(['winston', 'axios'], false) },
  { files: ['**/*.js'], extends: [tseslint.configs.disableTypeChecked] },
  prettier,
);
