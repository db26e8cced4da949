/**
 * Checks deploy/kubernetes without a cluster (there is none on the project's machines): every
 * manifest parses, and the base and the example overlay hold what running the service needs:
 * probes on the ports the processes listen on, a locked-down pod, each container only the secrets
 * its process reads, a grace period above the shutdown bound, the HPA and the KEDA trigger on the
 * list BullMQ keeps waiting jobs in, and PodDisruptionBudgets that match the pods.
 */
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { QueueKeys } from 'bullmq';
import { parse, parseAllDocuments } from 'yaml';
import { loadConfig } from '../../src/config.js';
import { SHUTDOWN_TIMEOUT_MS } from '../../src/lifecycle.js';
import { PROVIDERS } from '../../src/providers/registry.js';
import { QUEUES } from '../../src/queue/keys.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const DEPLOY = join(ROOT, 'deploy/kubernetes');

type Mapping = Record<string, unknown>;

const isMapping = (value: unknown): value is Mapping =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

function map(value: unknown, what: string): Mapping {
  if (!isMapping(value)) assert.fail(`${what} should be a mapping`);
  return value;
}

function list(value: unknown, what: string): unknown[] {
  if (!Array.isArray(value)) assert.fail(`${what} should be a list`);
  return value;
}

/** Every document of a YAML file, failing on any parse error. */
function documents(path: string): unknown[] {
  const docs = parseAllDocuments(readFileSync(path, 'utf8'));
  return docs.map((doc, index) => {
    assert.deepEqual(doc.errors, [], `${path} document ${index + 1} parses`);
    return doc.toJS() as unknown;
  });
}

function kustomization(dir: string): Mapping {
  return map(parse(readFileSync(join(DEPLOY, dir, 'kustomization.yaml'), 'utf8')), dir);
}

/** The base's resources, as kustomize would read them (files listed in kustomization.yaml). */
function baseResources(): Mapping[] {
  return list(kustomization('base')['resources'], 'base resources').flatMap((file) =>
    documents(join(DEPLOY, 'base', String(file))).map((doc) => map(doc, String(file))),
  );
}

function find(resources: readonly Mapping[], kind: string, name: string): Mapping {
  const found = resources.find(
    (r) => r['kind'] === kind && map(r['metadata'], kind)['name'] === name,
  );
  if (found === undefined) assert.fail(`no ${kind} ${name}`);
  return found;
}

const at = (value: unknown, ...path: string[]): unknown =>
  path.reduce<unknown>((node, key) => (isMapping(node) ? node[key] : undefined), value);

/** The one container of a Deployment's pod. */
function container(deployment: Mapping): Mapping {
  const containers = list(at(deployment, 'spec', 'template', 'spec', 'containers'), 'containers');
  assert.equal(containers.length, 1, 'one container per pod');
  return map(containers[0], 'container');
}

interface EnvEntry {
  readonly name: string;
  readonly value?: unknown;
  readonly secret?: { name: string; key: string; optional: boolean };
}

function env(c: Mapping): EnvEntry[] {
  return ((c['env'] as unknown[] | undefined) ?? []).map((raw) => {
    const entry = map(raw, 'env entry');
    const ref = at(entry, 'valueFrom', 'secretKeyRef');
    return {
      name: String(entry['name']),
      ...('value' in entry ? { value: entry['value'] } : {}),
      ...(isMapping(ref)
        ? {
            secret: {
              name: String(ref['name']),
              key: String(ref['key']),
              optional: ref['optional'] === true,
            },
          }
        : {}),
    };
  });
}

/** The port number a probe or a Service's targetPort names (by name or number). */
function portOf(c: Mapping, port: unknown): number {
  if (typeof port === 'number') return port;
  const named = list(c['ports'], 'ports')
    .map((p) => map(p, 'port'))
    .find((p) => p['name'] === port);
  if (named === undefined) assert.fail(`no container port named ${String(port)}`);
  return Number(named['containerPort']);
}

// ---- what the code reads ------------------------------------------------------------------------

/** Secrets every process may need to reach Redis (REDIS_URL holds its password). */
const REDIS_SECRETS = ['REDIS_URL', 'REDIS_SENTINEL_PASSWORD'];
/** What the API process reads that is secret: the webhook secrets (each HR system's `enabledBy`). */
const API_SECRETS = [
  ...REDIS_SECRETS,
  'WEBHOOK_SECRET',
  'ADMIN_TOKEN',
  ...PROVIDERS.map((p) => p.enabledBy),
];
/** What a worker reads that is secret: the DocSpace key and the HR systems' API credentials. */
const WORKER_SECRETS = [
  ...REDIS_SECRETS,
  'DOCSPACE_API_KEY',
  ...PROVIDERS.flatMap((p) =>
    p.settings.filter((s) => s.kind === 'secret' && s.requiredForWorker === true).map((s) => s.env),
  ),
];
const ALL_SECRETS = new Set([
  ...API_SECRETS,
  ...WORKER_SECRETS,
  ...PROVIDERS.flatMap((p) => p.settings.filter((s) => s.kind === 'secret').map((s) => s.env)),
]);

// ---- an overlay, applied as kustomize would for the patch kinds used here ----------------------

/** RFC 6902 `add` and `replace` (all the example overlay uses). */
function applyJsonPatch(target: Mapping, ops: readonly unknown[]): Mapping {
  const copy = structuredClone(target);
  for (const raw of ops) {
    const op = map(raw, 'patch op');
    const tokens = String(op['path']).split('/').slice(1);
    const last = tokens.pop() ?? '';
    const parent = tokens.reduce<unknown>(
      (node, key) => (Array.isArray(node) ? node[Number(key)] : map(node, key)[key]),
      copy,
    );
    if (Array.isArray(parent)) {
      if (op['op'] === 'add' && last === '-') parent.push(op['value']);
      else parent[Number(last)] = op['value'];
    } else {
      assert.ok(op['op'] === 'add' || op['op'] === 'replace', `op ${String(op['op'])}`);
      map(parent, 'patch parent')[last] = op['value'];
    }
  }
  return copy;
}

function overlayResources(dir: string): Mapping[] {
  const k = kustomization(dir);
  assert.ok(list(k['resources'], 'resources').includes('../../base'), `${dir} builds on the base`);
  let resources = baseResources();
  for (const raw of list(k['patches'] ?? [], 'patches')) {
    const patch = map(raw, 'patch');
    const [doc] = documents(join(DEPLOY, dir, String(patch['path'])));
    if (Array.isArray(doc)) {
      const target = map(patch['target'], 'a JSON patch needs a target');
      const original = find(resources, String(target['kind']), String(target['name']));
      resources = resources.map((r) => (r === original ? applyJsonPatch(r, doc) : r));
    } else {
      const merge = map(doc, 'strategic merge patch');
      const name = String(at(merge, 'metadata', 'name'));
      assert.equal(merge['kind'], 'ConfigMap', 'the example merges only into the ConfigMap');
      const original = find(resources, 'ConfigMap', name);
      const data = { ...map(original['data'], 'data'), ...map(merge['data'], 'patch data') };
      resources = resources.map((r) => (r === original ? { ...r, data } : r));
    }
  }
  return resources;
}

// ---- the checks, on the base and on the example overlay ---------------------------------------

/** The settings ConfigMap's data; every value a string, as Kubernetes requires. */
function settingsOf(resources: readonly Mapping[]): Record<string, string> {
  const data = map(find(resources, 'ConfigMap', 'docspace-onboarding-settings')['data'], 'data');
  return Object.fromEntries(
    Object.entries(data).map(([key, value]) => {
      if (typeof value !== 'string') assert.fail(`ConfigMap ${key} should be a string`);
      return [key, value];
    }),
  );
}

function checkDeployment(resources: readonly Mapping[], label: string): void {
  const settings = settingsOf(resources);
  const roles = [
    {
      name: 'docspace-onboarding-api',
      role: 'api' as const,
      command: ['node', 'dist/src/main.js'],
      port: Number(settings['PORT'] ?? 3000),
      secrets: API_SECRETS,
      required: ['REDIS_URL', 'WEBHOOK_SECRET'],
    },
    {
      name: 'docspace-onboarding-worker',
      role: 'worker' as const,
      command: ['node', 'dist/workers/main.js', 'worker'],
      port: Number(settings['WORKER_METRICS_PORT'] ?? 9464),
      secrets: WORKER_SECRETS,
      required: ['REDIS_URL', 'DOCSPACE_API_KEY'],
    },
  ];
  for (const role of roles) {
    const deployment = find(resources, 'Deployment', role.name);
    const pod = map(at(deployment, 'spec', 'template', 'spec'), 'pod spec');
    const c = container(deployment);
    const what = `${label} ${role.name}`;

    // Runs the built file of this role.
    assert.deepEqual(c['command'], role.command, `${what} command`);
    const source = String(role.command[1])
      .replace(/^dist\//, '')
      .replace(/\.js$/, '.ts');
    assert.ok(existsSync(join(ROOT, source)), `${what} runs ${source}`);

    // Locked down.
    assert.equal(pod['automountServiceAccountToken'], false, `${what}: no API token mounted`);
    const podSecurity = map(pod['securityContext'], `${what} pod securityContext`);
    const security = map(c['securityContext'], `${what} container securityContext`);
    assert.equal(podSecurity['runAsNonRoot'], true, `${what} runs as non-root`);
    assert.notEqual(podSecurity['runAsUser'], 0, `${what} never as uid 0`);
    assert.equal(at(podSecurity, 'seccompProfile', 'type'), 'RuntimeDefault', `${what} seccomp`);
    assert.equal(security['readOnlyRootFilesystem'], true, `${what} read-only root filesystem`);
    assert.equal(security['allowPrivilegeEscalation'], false, `${what} no privilege escalation`);
    assert.notEqual(security['privileged'], true, `${what} not privileged`);
    assert.deepEqual(at(security, 'capabilities', 'drop'), ['ALL'], `${what} drops capabilities`);

    // Longer than the service's own shutdown bound.
    const grace = Number(pod['terminationGracePeriodSeconds']);
    assert.ok(
      grace * 1000 > SHUTDOWN_TIMEOUT_MS,
      `${what}: terminationGracePeriodSeconds ${grace} should exceed ${SHUTDOWN_TIMEOUT_MS / 1000}`,
    );

    // Probes on the port the process listens on: /healthz keeps it alive, /readyz sends it work.
    const probe = (name: string) => map(c[name], `${what} ${name}`);
    for (const [name, path] of [
      ['livenessProbe', '/healthz'],
      ['readinessProbe', '/readyz'],
    ] as const) {
      assert.equal(at(probe(name), 'httpGet', 'path'), path, `${what} ${name} path`);
      assert.equal(portOf(c, at(probe(name), 'httpGet', 'port')), role.port, `${what} ${name}`);
    }
    assert.equal(portOf(c, at(probe('startupProbe'), 'httpGet', 'port')), role.port);

    // Each container only the secrets its process reads, each from the Secret, never a literal.
    const entries = env(c);
    const fromSecret = entries.filter((e) => e.secret !== undefined).map((e) => e.name);
    assert.deepEqual(
      [...fromSecret].sort(),
      [...role.secrets].sort(),
      `${what} gets exactly the secrets it uses`,
    );
    for (const entry of entries) {
      if (ALL_SECRETS.has(entry.name)) {
        assert.ok(entry.secret !== undefined, `${what}: ${entry.name} from a Secret`);
        assert.equal(entry.value, undefined, `${what}: ${entry.name} has no literal value`);
        assert.equal(entry.secret.optional, !role.required.includes(entry.name), entry.name);
      }
    }
    assert.equal(
      list(c['envFrom'], 'envFrom').every((from) => at(from, 'secretRef') === undefined),
      true,
      `${what}: no whole Secret as environment`,
    );
    assert.ok(isMapping(at(c, 'resources', 'requests')), `${what} requests resources`);

    // The settings it starts with load (the Secret's values stand in as samples).
    const sample: Record<string, string> = {
      REDIS_URL: 'redis://:pw@redis:6379',
      WEBHOOK_SECRET: `whsec_${Buffer.alloc(32, 7).toString('base64')}`,
      DOCSPACE_API_KEY: 'sk-sample',
    };
    const environment = {
      ...settings,
      ...Object.fromEntries(role.required.map((name) => [name, sample[name] ?? 'x'])),
    };
    assert.doesNotThrow(() => loadConfig(environment, role.role), `${what} settings load`);
  }

  for (const key of Object.keys(settings)) {
    assert.ok(!ALL_SECRETS.has(key), `${label}: ${key} is a secret and must not be in a ConfigMap`);
  }
}

function checkScaling(resources: readonly Mapping[], label: string): void {
  const settings = settingsOf(resources);
  const podLabels = (name: string) =>
    map(at(find(resources, 'Deployment', name), 'spec', 'template', 'metadata', 'labels'), name);
  const selects = (selector: unknown, name: string) =>
    Object.entries(map(selector, 'selector')).every(([k, v]) => podLabels(name)[k] === v);

  const api = find(resources, 'Deployment', 'docspace-onboarding-api');
  const service = find(resources, 'Service', 'docspace-onboarding-api');
  assert.ok(selects(at(service, 'spec', 'selector'), 'docspace-onboarding-api'), 'Service → API');
  for (const port of list(at(service, 'spec', 'ports'), 'Service ports')) {
    assert.equal(portOf(container(api), at(port, 'targetPort')), Number(settings['PORT'] ?? 3000));
  }

  const hpa = find(resources, 'HorizontalPodAutoscaler', 'docspace-onboarding-api');
  assert.equal(hpa['apiVersion'], 'autoscaling/v2');
  assert.deepEqual(at(hpa, 'spec', 'scaleTargetRef'), {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    name: 'docspace-onboarding-api',
  });
  const minApi = Number(at(hpa, 'spec', 'minReplicas'));
  assert.ok(minApi >= 2, `${label}: at least two API pods`);
  assert.ok(Number(at(hpa, 'spec', 'maxReplicas')) > minApi);
  const cpu = list(at(hpa, 'spec', 'metrics'), 'HPA metrics').find(
    (m) => at(m, 'resource', 'name') === 'cpu',
  );
  assert.ok(cpu !== undefined, 'the HPA scales on CPU');
  assert.ok(at(container(api), 'resources', 'requests', 'cpu') !== undefined, 'CPU is requested');

  const scaled = find(resources, 'ScaledObject', 'docspace-onboarding-worker');
  assert.equal(scaled['apiVersion'], 'keda.sh/v1alpha1');
  assert.equal(at(scaled, 'spec', 'scaleTargetRef', 'name'), 'docspace-onboarding-worker');
  assert.ok(Number(at(scaled, 'spec', 'minReplicaCount')) >= 1, 'never zero workers');
  const [trigger, ...others] = list(at(scaled, 'spec', 'triggers'), 'triggers');
  assert.deepEqual(others, [], 'one trigger');
  const prefix = settings['QUEUE_PREFIX'] ?? 'docspace-onboarding';
  const wait = new QueueKeys(prefix).getKeys(QUEUES.hires)['wait'];
  assert.equal(at(trigger, 'metadata', 'listName'), wait, `${label}: KEDA watches ${wait}`);
  const type = String(at(trigger, 'type'));
  assert.ok(['redis', 'redis-sentinel', 'redis-cluster'].includes(type), type);
  if (type !== 'redis') {
    const from = String(at(trigger, 'metadata', 'addressesFromEnv'));
    const setting = type === 'redis-sentinel' ? 'REDIS_SENTINELS' : 'REDIS_CLUSTER_NODES';
    assert.equal(from, setting, `${label}: KEDA finds Redis where the worker does`);
    assert.ok(typeof settings[setting] === 'string', `${label}: ${setting} is set`);
  }
  const auth = find(
    resources,
    'TriggerAuthentication',
    String(at(trigger, 'authenticationRef', 'name')),
  );
  for (const ref of list(at(auth, 'spec', 'secretTargetRef'), 'secretTargetRef')) {
    assert.equal(at(ref, 'name'), 'docspace-onboarding', 'KEDA reads the same Secret');
  }

  for (const [name, deployment] of [
    ['docspace-onboarding-api', 'docspace-onboarding-api'],
    ['docspace-onboarding-worker', 'docspace-onboarding-worker'],
  ] as const) {
    const pdb = find(resources, 'PodDisruptionBudget', name);
    assert.equal(pdb['apiVersion'], 'policy/v1');
    assert.ok(selects(at(pdb, 'spec', 'selector', 'matchLabels'), deployment), `${name} PDB`);
  }
  const apiPdb = find(resources, 'PodDisruptionBudget', 'docspace-onboarding-api');
  assert.ok(
    Number(at(apiPdb, 'spec', 'minAvailable')) < minApi,
    'the API PDB leaves room for a drain',
  );
}

describe('deploy/kubernetes', () => {
  it('parses every manifest, and the base lists each of its files', () => {
    const files = readdirSync(DEPLOY, { recursive: true, encoding: 'utf8' }).filter((f) =>
      f.endsWith('.yaml'),
    );
    assert.ok(files.length >= 14, `${files.length} files`);
    for (const file of files) documents(join(DEPLOY, file));
    const listed = list(kustomization('base')['resources'], 'resources').map(String);
    const present = readdirSync(join(DEPLOY, 'base')).filter(
      (f) => f.endsWith('.yaml') && f !== 'kustomization.yaml',
    );
    assert.deepEqual([...listed].sort(), [...present].sort());
    for (const doc of baseResources()) {
      assert.ok(typeof doc['apiVersion'] === 'string' && typeof doc['kind'] === 'string');
      assert.ok(typeof at(doc, 'metadata', 'name') === 'string');
    }
  });

  it('base: locked-down pods with probes, each container only its secrets, grace above the shutdown bound', () => {
    checkDeployment(baseResources(), 'base');
  });

  it('base: a Service and an HPA for the API, KEDA on the hires wait list for the workers, PDBs for both', () => {
    checkScaling(baseResources(), 'base');
  });

  it('the example overlay (Sentinel) still holds all of it once its patches apply', () => {
    const resources = overlayResources('overlays/example');
    checkDeployment(resources, 'overlay');
    checkScaling(resources, 'overlay');
    const auth = find(resources, 'TriggerAuthentication', 'docspace-onboarding-redis');
    assert.deepEqual(
      list(at(auth, 'spec', 'secretTargetRef'), 'refs').map((r) => at(r, 'parameter')),
      ['password', 'sentinelPassword'],
    );
  });
});
