import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { settingsSchema } from '../../src/config.js';
import { PROVIDERS } from '../../src/providers/registry.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** Folders whose code reads settings: the service, and the simulator and demo wherever they live. */
const CODE_DIRS = ['src', 'workers', 'docspace-sim', 'demo'];

/**
 * Every environment name the code reads: src/config.ts's settings schema,
 * the entry points' `env['…']` and `env.…`, and the settings the HR providers declare (loadConfig
 * reads those through the registry). Shared by the checks that .env.example, docker-compose.yml
 * and docs/configuration.md leave none out.
 */
export function settingsReadByCode(): Set<string> {
  const files = CODE_DIRS.filter((dir) => existsSync(join(ROOT, dir))).flatMap((dir) =>
    readdirSync(join(ROOT, dir), { recursive: true, encoding: 'utf8' })
      .filter((file) => file.endsWith('.ts'))
      .map((file) => join(dir, file)),
  );
  const text = (path: string): string => readFileSync(join(ROOT, path), 'utf8');
  // The settings schema names every setting loadConfig reads, the HR systems' included.
  const names = new Set<string>(Object.keys(settingsSchema('all').in.shape));
  for (const file of files) {
    for (const match of text(file).matchAll(
      /\benv(?:\[\s*'([A-Z][A-Z0-9_]*)'\s*\]|\.([A-Z][A-Z0-9_]*))/g,
    )) {
      const name = match[1] ?? match[2];
      if (name !== undefined) names.add(name);
    }
  }
  for (const provider of PROVIDERS) for (const setting of provider.settings) names.add(setting.env);
  return names;
}
