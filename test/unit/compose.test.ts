/**
 * Checks the container files without a Docker engine (there is none on the project's machines):
 * docker-compose.yml, Dockerfile, .dockerignore and .env.example, against the service's code.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { PROVIDERS } from '../../src/providers/registry.js';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import { loadConfig } from '../../src/config.js';
import { SHUTDOWN_TIMEOUT_MS } from '../../src/lifecycle.js';
import { settingsReadByCode } from '../helpers/settings.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const readText = (path: string): string => readFileSync(join(ROOT, path), 'utf8');

/** The settings table of the outside contract (docs/configuration.md#required and the rows around it). */
const DESIGN_SETTINGS = [
  'PORT',
  'REDIS_URL',
  'QUEUE_PREFIX',
  'DOCSPACE_URL',
  'DOCSPACE_API_KEY',
  'DOCSPACE_USER_TYPE',
  'INVITE_MODE',
  'INVITE_BATCH_SIZE',
  'INVITE_BATCH_MAX_WAIT_MS',
  'DOCSPACE_MAX_RPS',
  'DOCSPACE_CONCURRENCY',
  'WEBHOOK_SECRET',
  'ADMIN_TOKEN',
  'LOG_LEVEL',
  'DOCSPACE_SIM_PORT',
] as const;

/** What each process cannot run without (docs/configuration.md#required). */
const REQUIRED: Readonly<Record<'api' | 'worker', readonly string[]>> = {
  api: ['WEBHOOK_SECRET'],
  worker: ['DOCSPACE_URL', 'DOCSPACE_API_KEY'],
};
const SECRETS = [
  'DOCSPACE_API_KEY',
  'WEBHOOK_SECRET',
  'ADMIN_TOKEN',
  'METRICS_TOKEN',
  'REDIS_PASSWORD',
];

// ---- small readers --------------------------------------------------------------------------

type Mapping = Record<string, unknown>;

function isMapping(value: unknown): value is Mapping {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function mapping(value: unknown, what: string): Mapping {
  if (!isMapping(value)) assert.fail(`${what} should be a mapping`);
  return value;
}

/** A compose command or healthcheck test as an argv list (the string form is split on spaces). */
function argv(value: unknown, what: string): string[] {
  if (typeof value === 'string') return value.trim().split(/\s+/);
  if (!Array.isArray(value)) assert.fail(`${what} should be a string or a list`);
  return value.map((part) => String(part));
}

/** `tsc` (rootDir ".", outDir "dist") turns `src/main.ts` into `dist/src/main.js`; this goes back. */
function sourceOf(distPath: string): string {
  const match = /^(?:\.\/)?dist\/(.+)\.js$/.exec(distPath);
  if (match?.[1] === undefined) assert.fail(`${distPath} is not a file under dist/`);
  return `${match[1]}.ts`;
}

function assertRunsBuiltFile(args: readonly string[], what: string): void {
  assert.equal(args[0], 'node', `${what} should run plain node, not tsx`);
  const script = args[1] ?? '';
  const source = sourceOf(script);
  assert.ok(existsSync(join(ROOT, source)), `${what} runs ${script}, but ${source} does not exist`);
}

/** Seconds in a compose duration such as `45s`, `1m30s` or `1500ms`. */
function seconds(duration: unknown): number {
  if (typeof duration === 'number') return duration / 1e6; // compose reads bare numbers as µs
  if (typeof duration !== 'string') return 0;
  const unit: Record<string, number> = { h: 3600, m: 60, s: 1, ms: 1e-3, us: 1e-6 };
  let total = 0;
  for (const [, amount, suffix] of duration.matchAll(/(\d+(?:\.\d+)?)(h|ms|m|s|us)/g)) {
    total += Number(amount) * (unit[suffix ?? 's'] ?? 0);
  }
  return total;
}

// ---- docker-compose.yml ---------------------------------------------------------------------

const composeText = readText('docker-compose.yml');
// Compose resolves `<<: *anchor` merge keys; YAML 1.2 parsers need to be told to.
const compose = mapping(parse(composeText, { merge: true }), 'docker-compose.yml');
const services = mapping(compose['services'], 'services');
const service = (name: string): Mapping => mapping(services[name], `service ${name}`);

/** A service's `environment`, in either the mapping or the `KEY=value` list form. */
function environment(svc: Mapping): Record<string, string> {
  const env = svc['environment'];
  if (env === undefined) return {};
  if (Array.isArray(env)) {
    return Object.fromEntries(
      env.map((entry) => {
        const [key = '', ...rest] = String(entry).split('=');
        return [key, rest.join('=')];
      }),
    );
  }
  return Object.fromEntries(
    Object.entries(mapping(env, 'environment')).map(([key, value]) => [key, String(value)]),
  );
}

/** The paths of a service's `env_file`, in the string, list or `{ path }` form. */
function envFiles(svc: Mapping): string[] {
  const files = svc['env_file'];
  if (files === undefined) return [];
  const list: unknown[] = Array.isArray(files) ? files : [files];
  return list.map((entry) =>
    isMapping(entry) ? String(entry['path']) : String(entry).replace(/^\.\//, ''),
  );
}

function healthTest(svc: Mapping, name: string): Mapping {
  return mapping(svc['healthcheck'], `${name}.healthcheck`);
}

describe('docker-compose.yml', () => {
  it('has redis, api and worker by default and the simulator under the demo profile', () => {
    for (const name of ['redis', 'api', 'worker']) {
      assert.equal(service(name)['profiles'], undefined, `${name} should start by default`);
    }
    assert.deepEqual(service('docspace-sim')['profiles'], ['demo']);
  });

  it('runs Redis 7+ on Alpine with noeviction, an append-only file and a named volume', () => {
    const redis = service('redis');
    assert.match(String(redis['image']), /^redis:[78](\.\d+)*-alpine@sha256:[0-9a-f]{64}$/);
    const command = argv(redis['command'], 'redis.command').join(' ');
    assert.match(command, /^redis-server\b/);
    assert.match(command, /--maxmemory-policy\s+noeviction\b/);
    assert.match(command, /--appendonly\s+yes\b/);

    const volumes = mapping(compose['volumes'], 'top-level volumes');
    const mounts = (redis['volumes'] as unknown[] | undefined) ?? [];
    const data = mounts
      .map((mount) =>
        isMapping(mount)
          ? { source: String(mount['source']), target: String(mount['target']) }
          : { source: String(mount).split(':')[0] ?? '', target: String(mount).split(':')[1] },
      )
      .find((mount) => mount.target === '/data');
    assert.ok(data, 'redis should mount a volume at /data');
    assert.ok(
      data.source in volumes,
      `volume "${data.source}" should be declared at the top level`,
    );
  });

  it("builds api and worker into one image, the simulator into its own (the Dockerfile's simulator target)", () => {
    const build = (name: string) => {
      const value = service(name)['build'];
      const context = isMapping(value) ? value['context'] : value;
      assert.ok(context === '.' || context === './', `${name} should build from "."`);
      return isMapping(value) ? value['target'] : undefined;
    };
    assert.equal(build('api'), undefined, 'the default target: the last stage, the service');
    assert.equal(build('worker'), undefined);
    assert.equal(service('api')['image'], service('worker')['image'], 'one image, built once');
    assert.equal(build('docspace-sim'), 'simulator');
    assert.notEqual(service('docspace-sim')['image'], service('api')['image']);
    assert.ok(
      dockerStages().some((stage) => /\bAS\s+simulator$/i.test(stage[0]?.args ?? '')),
      'the Dockerfile has a simulator stage',
    );
  });

  it('runs each process from a file the build produces, with plain node', () => {
    const api = argv(service('api')['command'], 'api.command');
    const worker = argv(service('worker')['command'], 'worker.command');
    const sim = argv(service('docspace-sim')['command'], 'docspace-sim.command');
    assert.deepEqual(api, ['node', 'dist/src/main.js']);
    assert.deepEqual(worker, ['node', 'dist/workers/main.js', 'worker']);
    assert.deepEqual(sim, ['node', 'dist/docspace-sim/main.js']);
    assertRunsBuiltFile(api, 'api');
    assertRunsBuiltFile(worker, 'worker');
    assertRunsBuiltFile(sim, 'docspace-sim');
    // The simulator compiles on its own into the same layout (docspace-sim/tsconfig.json).
    const simConfig = mapping(JSON.parse(readText('docspace-sim/tsconfig.json')), 'sim tsconfig');
    const simOptions = mapping(simConfig['compilerOptions'], 'sim compilerOptions');
    assert.equal(simOptions['outDir'], '../dist');
    assert.equal(simOptions['rootDir'], '..');

    const tsconfig = mapping(JSON.parse(readText('tsconfig.json')), 'tsconfig.json');
    const options = mapping(tsconfig['compilerOptions'], 'compilerOptions');
    assert.equal(options['outDir'], 'dist', 'the dist/ paths above assume outDir "dist"');
    assert.equal(options['rootDir'], '.', 'the dist/ paths above assume rootDir "."');
  });

  it('starts api and worker only once Redis is healthy, pointed at the compose Redis', () => {
    for (const name of ['api', 'worker']) {
      const svc = service(name);
      const redis = mapping(mapping(svc['depends_on'], `${name}.depends_on`)['redis'], 'redis');
      assert.equal(redis['condition'], 'service_healthy', `${name} waits for a healthy Redis`);
      // With the password compose gives Redis (issue #10): redis://:<password>@redis:6379.
      assert.equal(environment(svc)['REDIS_URL'], 'redis://:${REDIS_PASSWORD:-}@redis:6379');
    }
  });

  it('gives each service only its own settings, from .env by interpolation, never the whole file (issue #10)', () => {
    const example = readEnvExample();
    for (const name of Object.keys(services)) {
      assert.deepEqual(envFiles(service(name)), [], `${name}: env_file would hand it every secret`);
    }
    for (const [name, required] of Object.entries(REQUIRED)) {
      const env = environment(service(name));
      for (const setting of required) {
        assert.ok(example.has(setting), `${setting} should be in .env.example, read through .env`);
        // Passed on from .env or the shell, never written into the compose file.
        assert.match(
          env[setting] ?? '',
          new RegExp(`^\\$\\{${setting}(?:[:?-][^}]*)?\\}$`),
          `${name}: ${setting} should come from the variable of the same name`,
        );
      }
    }
  });

  it("keeps the worker's secrets from the API and the API's from the worker (issue #10)", () => {
    const api = Object.keys(environment(service('api')));
    const worker = Object.keys(environment(service('worker')));
    const webhookSecrets = ['WEBHOOK_SECRET', 'ADMIN_TOKEN', ...PROVIDERS.map((p) => p.enabledBy)];
    const hrCredentials = PROVIDERS.flatMap((p) =>
      p.settings.filter((s) => s.requiredForWorker === true).map((s) => s.env),
    );
    assert.ok(hrCredentials.includes('BAMBOOHR_API_KEY'), 'the registry names the credentials');
    for (const name of ['DOCSPACE_API_KEY', ...hrCredentials]) {
      assert.ok(!api.includes(name), `the API container should not get ${name}`);
    }
    for (const name of webhookSecrets) {
      assert.ok(!worker.includes(name), `the worker container should not get ${name}`);
    }
  });

  it('hands every setting the code reads to the API or the worker, so none is silently dropped', () => {
    const api = Object.keys(environment(service('api')));
    const worker = Object.keys(environment(service('worker')));
    // Read by the simulator or by compose itself, not by the API or the worker.
    const elsewhere = new Set([
      'DOCSPACE_SIM_PORT',
      'DOCSPACE_SIM_HOST',
      'DOCSPACE_SIM_LANG',
      'DOCSPACE_SIM_PAID_SEATS',
    ]);
    for (const name of settingsReadByCode()) {
      if (elsewhere.has(name)) continue;
      assert.ok(
        api.includes(name) || worker.includes(name),
        `${name} is read by the service but docker-compose.yml passes it to neither api nor worker`,
      );
    }
  });

  it('runs every container read-only, without capabilities or a way to gain privileges (issue #10)', () => {
    for (const name of Object.keys(services)) {
      const svc = service(name);
      assert.equal(svc['read_only'], true, `${name}: read_only`);
      assert.deepEqual(svc['cap_drop'], ['ALL'], `${name}: cap_drop ALL`);
      const options = (svc['security_opt'] as unknown[] | undefined) ?? [];
      assert.ok(
        options.map(String).some((o) => /^no-new-privileges(:true)?$/.test(o)),
        `${name}: no-new-privileges`,
      );
    }
    assert.match(String(service('redis')['user']), /^(redis|999(:\d+)?)$/, 'Redis not as root');
  });

  it('protects Redis with a password, given as a file rather than on its command line (issue #10)', () => {
    const redis = service('redis');
    const command = argv(redis['command'], 'redis.command');
    const mounts = ((redis['configs'] as unknown[] | undefined) ?? []).map((c) =>
      mapping(c, 'config'),
    );
    const target = String(mounts[0]?.['target']);
    assert.equal(command[1], target, 'redis-server reads the mounted file first');
    const source = String(mounts[0]?.['source']);
    const configs = mapping(compose['configs'], 'top-level configs');
    const content = String(mapping(configs[source], source)['content']);
    assert.match(content, /^requirepass \$\{REDIS_PASSWORD(:-)?\}\s*$/);
    assert.ok(!command.join(' ').includes('requirepass'), 'ps would show it');
    assert.equal(
      environment(redis)['REDISCLI_AUTH'],
      '${REDIS_PASSWORD:-}',
      'the health check logs in',
    );
    assert.ok(readEnvExample().has('REDIS_PASSWORD'));
  });

  it('publishes nothing to the world by default: Redis, the API and the simulator on loopback, worker metrics not at all (issue #10)', () => {
    const published = (name: string) =>
      ((service(name)['ports'] as unknown[] | undefined) ?? []).map(String);
    for (const port of published('redis')) assert.match(port, /^127\.0\.0\.1:/, `redis ${port}`);
    for (const port of published('docspace-sim')) {
      assert.match(port, /^127\.0\.0\.1:/, `simulator ${port}`);
    }
    for (const port of published('api')) {
      assert.match(port, /^\$\{API_HOST_ADDRESS:-127\.0\.0\.1\}:/, `api ${port}`);
    }
    assert.deepEqual(published('worker'), [], 'worker metrics stay inside the compose network');
    assert.ok(readEnvExample().has('API_HOST_ADDRESS'));
  });

  it('documents in .env.example every variable it interpolates', () => {
    const example = readEnvExample();
    // Values only, from the parsed file: the comments may show ${…} as examples.
    const strings = (value: unknown): string[] =>
      typeof value === 'string'
        ? [value]
        : Array.isArray(value)
          ? value.flatMap(strings)
          : isMapping(value)
            ? Object.values(value).flatMap(strings)
            : [];
    const used = strings(compose).flatMap((value) =>
      [...value.matchAll(/\$\{([A-Z][A-Z0-9_]*)/g)].map((match) => match[1] ?? ''),
    );
    assert.ok(used.includes('PORT'), 'the scan should find the published ports');
    for (const name of new Set(used)) {
      assert.ok(example.has(name), `${name} is not in .env.example`);
    }
  });

  it('publishes the API on 3000 and health-checks Redis and the API', () => {
    const api = service('api');
    assert.equal(
      environment(api)['PORT'],
      '3000',
      'the container port is fixed; .env moves the host port',
    );
    const ports = ((api['ports'] as unknown[] | undefined) ?? []).map(String);
    assert.ok(
      ports.some((port) => port.endsWith(':3000')),
      'api should publish container port 3000',
    );

    const redisCheck = argv(healthTest(service('redis'), 'redis')['test'], 'redis test').join(' ');
    assert.match(redisCheck, /redis-cli ping/);
    const apiCheck = argv(healthTest(api, 'api')['test'], 'api test');
    assert.ok(apiCheck.includes('node'), 'slim images have no curl: node does the request');
    assert.match(apiCheck.join(' '), /127\.0\.0\.1:3000\/healthz/);
  });

  it('replaces the image health check (API port) for the worker and the simulator', () => {
    for (const name of ['worker', 'docspace-sim']) {
      const check = healthTest(service(name), name);
      if (check['disable'] === true) continue;
      assert.doesNotMatch(argv(check['test'], `${name} test`).join(' '), /:3000\/healthz/);
    }
  });

  it('makes the simulator reachable from the other containers on 8090', () => {
    const sim = service('docspace-sim');
    const env = environment(sim);
    assert.equal(env['DOCSPACE_SIM_HOST'], '0.0.0.0', 'it binds 127.0.0.1 unless told otherwise');
    assert.equal(env['DOCSPACE_SIM_PORT'], '8090');
    const ports = ((sim['ports'] as unknown[] | undefined) ?? []).map(String);
    assert.ok(ports.some((port) => port.endsWith(':8090')));
  });

  it('restarts every service and gives api and worker longer than their shutdown bound', () => {
    for (const name of Object.keys(services)) {
      assert.match(String(service(name)['restart']), /^(always|unless-stopped|on-failure(:\d+)?)$/);
    }
    for (const name of ['api', 'worker']) {
      const grace = seconds(service(name)['stop_grace_period']);
      assert.ok(
        grace * 1000 > SHUTDOWN_TIMEOUT_MS,
        `${name}: stop_grace_period ${grace}s should exceed ${SHUTDOWN_TIMEOUT_MS / 1000}s`,
      );
    }
  });
});

// ---- .env.example ---------------------------------------------------------------------------

interface ExampleEntry {
  readonly value: string;
  /** The comment lines right above the setting. */
  readonly comment: string;
}

function readEnvExample(): Map<string, ExampleEntry> {
  const entries = new Map<string, ExampleEntry>();
  let comment: string[] = [];
  for (const line of readText('.env.example').split('\n')) {
    const trimmed = line.trim();
    if (trimmed.startsWith('#')) {
      comment.push(trimmed);
      continue;
    }
    const match = /^([A-Z][A-Z0-9_]*)=(.*)$/.exec(trimmed);
    if (match?.[1] !== undefined) {
      assert.ok(!entries.has(match[1]), `${match[1]} is listed twice`);
      entries.set(match[1], { value: match[2] ?? '', comment: comment.join('\n') });
    } else {
      assert.equal(trimmed, '', `unexpected line in .env.example: ${line}`);
    }
    comment = [];
  }
  return entries;
}

describe('.env.example', () => {
  it('lists every setting the code reads and every setting of the contract', () => {
    const example = readEnvExample();
    const read = settingsReadByCode();
    for (const name of DESIGN_SETTINGS) {
      assert.ok(read.has(name), `src/config.ts's settings schema should read ${name}`);
    }
    for (const name of ['DOCSPACE_TIMEOUT_MS', 'JOB_ATTEMPTS', 'JOB_BACKOFF_MS']) {
      assert.ok(read.has(name), `src/config.ts's settings schema should read ${name}`);
    }
    for (const name of new Set([...read, ...DESIGN_SETTINGS])) {
      assert.ok(example.has(name), `${name} is missing from .env.example`);
    }
  });

  it('explains each setting in a comment and marks the required ones', () => {
    for (const [name, entry] of readEnvExample()) {
      assert.notEqual(entry.comment, '', `${name} needs a comment line above it`);
    }
    const example = readEnvExample();
    for (const name of [...REQUIRED.api, ...REQUIRED.worker]) {
      assert.match(
        example.get(name)?.comment ?? '',
        /REQUIRED/,
        `${name} should be marked REQUIRED`,
      );
    }
  });

  it('leaves every secret empty and holds nothing that looks like one', () => {
    const example = readEnvExample();
    for (const name of SECRETS) {
      assert.equal(example.get(name)?.value, '', `${name} should be empty in .env.example`);
    }
    assert.doesNotMatch(readText('.env.example'), /whsec_[A-Za-z0-9+/]{8,}/);
    for (const provider of PROVIDERS) {
      for (const setting of provider.settings.filter((s) => s.kind === 'secret')) {
        assert.equal(example.get(setting.env)?.value, '', `${setting.env} should be empty`);
      }
    }
  });

  it('holds the defaults: once the required ones are filled in, it loads as the defaults do', () => {
    const required = {
      DOCSPACE_URL: 'https://portal.example.com',
      DOCSPACE_API_KEY: 'test-key',
      WEBHOOK_SECRET: `whsec_${randomBytes(32).toString('base64')}`,
    };
    const fromExample = Object.fromEntries(
      [...readEnvExample()].map(([name, entry]) => [name, entry.value]),
    );
    const loaded = loadConfig({ ...fromExample, ...required }, 'all');
    assert.deepEqual(loaded, loadConfig(required, 'all'));
  });
});

// ---- Dockerfile and .dockerignore -----------------------------------------------------------

interface Instruction {
  readonly keyword: string;
  readonly args: string;
}

/** The Dockerfile's instructions, continuation lines joined and comments dropped, by stage. */
function dockerStages(): Instruction[][] {
  const text = readText('Dockerfile').replace(/\\\r?\n/g, ' ');
  const stages: Instruction[][] = [];
  for (const line of text.split('\n')) {
    const trimmed = line.trim();
    if (trimmed === '' || trimmed.startsWith('#')) continue;
    const [keyword = '', ...rest] = trimmed.split(/\s+/);
    const instruction = { keyword: keyword.toUpperCase(), args: rest.join(' ') };
    if (instruction.keyword === 'FROM') stages.push([]);
    stages.at(-1)?.push(instruction);
  }
  return stages;
}

const allArgs = (stage: readonly Instruction[], keyword: string): string[] =>
  stage.filter((i) => i.keyword === keyword).map((i) => i.args);

/** The argv of an exec-form (`["node", …]`) CMD or HEALTHCHECK CMD. */
function execForm(args: string, what: string): string[] {
  const json = args.replace(/^(?:--\S+\s+)*CMD\s+/, '');
  const parsed: unknown = JSON.parse(json);
  if (!Array.isArray(parsed)) assert.fail(`${what} should use the exec form ["node", …]`);
  return parsed.map((part) => String(part));
}

describe('Dockerfile', () => {
  const stages = dockerStages();
  const final = stages.at(-1) ?? [];

  it('pins every base image by digest (issue #10)', () => {
    for (const stage of stages) {
      const image = (stage[0]?.args ?? '').replace(/^--platform=\S+\s+/, '').split(/\s+/)[0];
      assert.match(image ?? '', /@sha256:[0-9a-f]{64}$/, `${image ?? ''} should be pinned`);
    }
  });

  it('has a build stage and a runtime stage, both on Node 22', () => {
    assert.ok(stages.length >= 2, 'multi-stage: at least two FROM');
    for (const stage of stages) {
      const image = (stage[0]?.args ?? '').replace(/^--platform=\S+\s+/, '').split(/\s+/)[0];
      assert.match(image ?? '', /^node:22([.-]|$)/, 'every stage on a node:22 image');
    }
    const earlier = stages.slice(0, -1).flat();
    const earlierRuns = earlier.filter((i) => i.keyword === 'RUN').map((i) => i.args);
    assert.ok(earlierRuns.some((run) => /\bnpm ci\b/.test(run) && !run.includes('--omit=dev')));
    assert.ok(earlierRuns.some((run) => /\bnpm run build\b/.test(run)));
  });

  it('builds the service from src/ and workers/ only: no simulator, demo or tests in its image', () => {
    const tsconfig = mapping(JSON.parse(readText('tsconfig.json')), 'tsconfig.json');
    assert.deepEqual(tsconfig['include'], ['src', 'workers']);
    const copiedFrom = allArgs(final, 'COPY')
      .map((copy) => /^--from=(\S+)/.exec(copy)?.[1])
      .filter((stage) => stage !== undefined);
    for (const name of copiedFrom) {
      const stage = stages.find((s) => new RegExp(`\\bAS\\s+${name}$`, 'i').test(s[0]?.args ?? ''));
      assert.ok(stage, `the runtime stage copies from a stage named ${name}`);
      const sources = allArgs(stage, 'COPY').filter((copy) => !copy.startsWith('--from'));
      for (const copy of sources) {
        assert.doesNotMatch(copy, /\b(docspace-sim|demo|test|bench)\b/, `${name} copies ${copy}`);
      }
    }
  });

  it('ships production dependencies, dist/ and package.json (for "type": "module")', () => {
    assert.ok(allArgs(final, 'RUN').some((run) => /\bnpm ci\b.*--omit=dev/.test(run)));
    const copies = allArgs(final, 'COPY');
    assert.ok(
      copies.some((copy) => /^--from=\S+\s+(\S*\/)?dist\/?\s/.test(copy)),
      'copies dist/',
    );
    assert.ok(
      copies.some((copy) => !copy.startsWith('--from') && /\bpackage\.json\b/.test(copy)),
      'copies package.json: without "type": "module" node would not load dist/ as ESM',
    );
  });

  it('runs as a non-root user in production mode', () => {
    const users = allArgs(final, 'USER');
    assert.ok(users.length > 0, 'the runtime stage should set USER');
    assert.doesNotMatch(users.at(-1) ?? '', /^(root|0)(:|$)/);
    assert.ok(allArgs(final, 'ENV').some((env) => /\bNODE_ENV[= ]production\b/.test(env)));
  });

  it('starts the API from dist/ with plain node, exposes 3000 and checks /healthz with node', () => {
    const cmd = allArgs(final, 'CMD').at(-1);
    assert.ok(cmd !== undefined, 'the runtime stage should have a CMD');
    const args = execForm(cmd, 'CMD');
    assert.deepEqual(args, ['node', 'dist/src/main.js']);
    assertRunsBuiltFile(args, 'CMD');
    assert.ok(allArgs(final, 'EXPOSE').some((expose) => /\b3000\b/.test(expose)));

    const health = allArgs(final, 'HEALTHCHECK').at(-1);
    assert.ok(health !== undefined, 'the runtime stage should have a HEALTHCHECK');
    const check = execForm(health, 'HEALTHCHECK');
    assert.equal(check[0], 'node');
    assert.match(check.join(' '), /\/healthz/);
  });
});

describe('.dockerignore', () => {
  const patterns = readText('.dockerignore')
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#'));

  it('keeps .env and node_modules out of the build context', () => {
    if (patterns[0] === '*') {
      for (const name of ['.env', 'node_modules', 'dist']) {
        assert.ok(!patterns.includes(`!${name}`), `${name} should stay excluded`);
      }
    } else {
      for (const name of ['.env', 'node_modules', 'dist']) {
        assert.ok(patterns.includes(name) || patterns.includes(`${name}/`), `exclude ${name}`);
      }
    }
  });

  it('lets in every file the Dockerfile copies from the context', () => {
    if (patterns[0] !== '*') return;
    const allowed = new Set(
      patterns.filter((p) => p.startsWith('!')).map((p) => p.slice(1).replace(/\/$/, '')),
    );
    const sources = dockerStages()
      .flat()
      .filter((i) => i.keyword === 'COPY' && !i.args.startsWith('--from'))
      .flatMap((i) =>
        i.args
          .split(/\s+/)
          .filter((part) => !part.startsWith('--'))
          .slice(0, -1),
      );
    assert.ok(sources.length > 0);
    for (const source of sources) {
      assert.ok(
        allowed.has(source.replace(/^\.\//, '').replace(/\/$/, '')),
        `${source} is ignored`,
      );
    }
  });
});
