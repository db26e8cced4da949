import { randomBytes } from 'node:crypto';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEMO_API_KEY, createDocspaceSim } from '../docspace-sim/server.js';
import { loadSimSettings } from '../docspace-sim/settings.js';
import { loadConfig } from '../src/config.js';
import { signStandardWebhook } from '../src/domain/signature.js';
import { createLogger } from '../src/logger.js';
import { createGrantsStore, type GrantsStore } from '../src/queue/grants-store.js';
import { createHireStore, type HireRecord } from '../src/queue/hire-store.js';
import { createKeys } from '../src/queue/keys.js';
import { createRedis } from '../src/queue/redis.js';
import { startApi } from '../src/server.js';
import { exitOnSignals } from '../src/lifecycle.js';
import { startWorkers } from '../workers/start.js';
import { deleteKeys, ensureRedis } from './redis.js';

const SAMPLE = [
  {
    employeeId: 'E-1001',
    firstName: 'Alice',
    lastName: 'Smith',
    email: 'alice.smith@example.com',
    department: 'Sales',
    title: 'Account Executive',
    startDate: '2026-12-01',
  },
  {
    employeeId: 'E-1002',
    firstName: 'Bob',
    lastName: "O'Brien",
    email: 'bob.obrien@example.com',
    department: 'Support',
  },
  {
    employeeId: 'E-1003',
    firstName: 'José María',
    lastName: 'Núñez-López (Pepe)',
    email: 'jose.nunez@example.com',
  },
  {
    employeeId: 'E-1004',
    firstName: 'Erin',
    lastName: 'Existing',
    email: 'Erin.Existing@Example.com',
    department: 'Finance',
  },
];
const LATE = {
  employeeId: 'E-1005',
  firstName: 'Chen',
  lastName: 'Wei 2nd',
  email: 'chen.wei@example.com',
};

/**
 * `npm run demo`: the whole service on one machine against the built-in DocSpace simulator. Sends
 * sample hires (one of them already has an account, one delivery arrives twice), prints what became
 * of each, then keeps running until Ctrl-C.
 */
export async function runDemo(env: NodeJS.ProcessEnv): Promise<void> {
  const out = (line = ''): void => {
    process.stdout.write(`${line}\n`);
  };
  // The settings as the service reads them, to find the Redis (or start a private one).
  const redisUrl = await ensureRedis(loadConfig({ ...env, DOCSPACE_URL: '' }, 'api').redis, out);

  // The simulator's own settings (DOCSPACE_SIM_PORT, DOCSPACE_SIM_LANG…), read where the
  // simulator reads them. Its portal answers in DOCSPACE_SIM_LANG, as a real one answers in its
  // API key owner's language; it always takes the demo key, whatever DOCSPACE_API_KEY says.
  const simSettings = loadSimSettings(env);
  const sim = createDocspaceSim({ apiKeys: [DEMO_API_KEY], lang: simSettings.lang });
  const { url: simUrl } = await sim.listen(simSettings.port).catch(() => sim.listen(0));
  sim.addUser({ email: 'erin.existing@example.com', firstName: 'Erin', lastName: 'Existing' });
  // Rooms the key's owner made, for the sample rules (ids 1001 and 1002).
  const salesRoom = sim.addRoom({ title: 'Sales team' });
  const supportRoom = sim.addRoom({ title: 'Support desk' });
  const rulesFile =
    env['PROVISIONING_RULES'] ?? (await writeDemoRules(salesRoom.id, supportRoom.id));

  const secret = env['WEBHOOK_SECRET'] ?? `whsec_${randomBytes(24).toString('base64')}`;
  // The dashboard needs a password; a generated one is printed below (a local demo credential).
  const adminToken = env['ADMIN_TOKEN'] ?? randomBytes(12).toString('hex');
  const settings = {
    ...env,
    REDIS_URL: redisUrl.url,
    DOCSPACE_URL: simUrl,
    DOCSPACE_API_KEY: DEMO_API_KEY,
    WEBHOOK_SECRET: secret,
    ADMIN_TOKEN: adminToken,
    // Its own prefix, always: the demo deletes its keys when it starts and stops, and must never
    // touch a real deployment's queues on the same Redis.
    QUEUE_PREFIX: `${env['QUEUE_PREFIX'] ?? 'docspace-onboarding'}-demo`,
    INVITE_BATCH_MAX_WAIT_MS: env['INVITE_BATCH_MAX_WAIT_MS'] ?? '2000',
    LOG_LEVEL: env['LOG_LEVEL'] ?? 'warn',
    PROVISIONING_RULES: rulesFile,
  };
  const config = loadConfig(settings, 'all');
  const logger = createLogger({ level: config.logLevel, service: 'docspace-onboarding-demo' });
  const connection = createRedis(config.redis, 'worker');
  await deleteKeys(connection, config.queuePrefix);
  const workers = await startWorkers({ config, logger, connection });
  const api = await startApi({ config, logger }).catch(() =>
    startApi({ config: { ...config, port: 0 }, logger }),
  );
  const base = `http://127.0.0.1:${api.port}`;

  out(`DocSpace simulator: ${simUrl} (what it did: ${simUrl}/sim/state)`);
  out(`Service:            ${base}/webhooks/hires (queue prefix "${config.queuePrefix}")`);
  out(`Already in DocSpace: erin.existing@example.com`);
  out(`Rules file:         ${rulesFile} (groups and rooms by department)`);
  out();

  const send = async (id: string, data: unknown, label: string): Promise<void> => {
    const body = JSON.stringify({
      type: 'employee.hired',
      timestamp: new Date().toISOString(),
      data,
    });
    const response = await fetch(`${base}/webhooks/hires`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...signStandardWebhook(secret, id, body) },
      body,
    });
    out(`→ ${label}: ${response.status} ${await response.text()}`);
  };
  await send('msg_demo_batch', SAMPLE, 'delivery msg_demo_batch (4 hires)');
  await send('msg_demo_batch', SAMPLE, 'the same delivery again');
  await send('msg_demo_single', LATE, 'delivery msg_demo_single (1 hire)');
  out();

  const store = createHireStore({ redis: connection, keys: createKeys(config.queuePrefix) });
  const hires = [...SAMPLE, LATE];
  const records = await waitForOutcomes(
    store,
    hires.map((h) => h.email),
    60_000,
  );
  out('What became of each hire:');
  for (const [index, hire] of hires.entries()) {
    const record = records[index];
    out(
      `  ${pad(`${hire.firstName} ${hire.lastName}`, 30)} ${pad(hire.email, 28)} ${describe(record)}`,
    );
  }
  const grantsStore = createGrantsStore({
    redis: connection,
    keys: createKeys(config.queuePrefix),
  });
  await waitForGrants(
    grantsStore,
    hires.map((h) => h.email),
    15_000,
  );
  out();
  out('Groups and rooms given by the rules:');
  for (const hire of hires) {
    out(
      `  ${pad(`${hire.firstName} ${hire.lastName}`, 30)} ${await describeGrants(grantsStore, hire.email)}`,
    );
  }
  const state = sim.state();
  out(
    `DocSpace groups: ${state.groups.map((g) => `${g.name} (${g.members.length} member(s))`).join(', ') || 'none'}; room letters sent: ${state.roomMails.length} (shares use notify: false).`,
  );
  const creates = state.calls.filter((c) => c.method === 'POST' && c.path === '/api/2.0/people');
  const invites = state.calls.filter(
    (c) => c.path === '/api/2.0/people/invite' && c.outcome === 'ok',
  );
  out();
  out(
    `DocSpace saw ${creates.length} create calls (${creates.filter((c) => c.outcome === 'ok').length} created a user) and ${invites.length} invitation call(s) of sizes [${invites.map((c) => (c.emails ?? c.userIds ?? []).length).join(', ')}].`,
  );
  out(
    `Invitation mode "${config.invite.mode}": batches of up to ${config.invite.batchSize}, none waiting over ${config.invite.maxWaitMs} ms.`,
  );
  out();
  out(
    `Dashboard: ${base}/admin/queues (user admin, password ${env['ADMIN_TOKEN'] ? 'your ADMIN_TOKEN' : adminToken})`,
  );
  out(
    `Still running. Send your own hires to ${base}/webhooks/hires signed with WEBHOOK_SECRET${env['WEBHOOK_SECRET'] ? '' : ' (set WEBHOOK_SECRET to choose it; this run generated one)'}. Ctrl-C stops.`,
  );

  exitOnSignals(logger, async () => {
    await api.close();
    await workers.close();
    await deleteKeys(connection, config.queuePrefix);
    await connection.quit();
    await sim.close();
    await redisUrl.stop();
  });
}

/** The sample rules file of the demo, in a fresh temporary directory. */
async function writeDemoRules(salesRoom: number, supportRoom: number): Promise<string> {
  const file = join(await mkdtemp(join(tmpdir(), 'docspace-onboarding-demo-')), 'rules.yaml');
  await writeFile(
    file,
    [
      'rules:',
      '  - when: { department: Sales }',
      '    groups: [Sales]',
      `    rooms: [{ id: ${salesRoom}, access: editing }]`,
      '  - when: { department: Support }',
      '    groups: [Support]',
      `    rooms: [{ id: ${supportRoom}, access: read }]`,
      '  - when: { department: Finance }',
      '    groups: [Finance]',
      '',
    ].join('\n'),
  );
  return file;
}

/** Waits until everyone a rule gives something has it (or a reason why not). */
async function waitForGrants(store: GrantsStore, emails: readonly string[], timeoutMs: number) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const records = await Promise.all(emails.map((email) => store.get(store.keyOf(email))));
    const done = records.every(
      (r) =>
        r === undefined ||
        r.want.groups.length + r.want.rooms.length <=
          r.groups.length + r.rooms.size + r.failures.size,
    );
    if (done || Date.now() > deadline) return;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

async function describeGrants(store: GrantsStore, email: string): Promise<string> {
  const record = await store.get(store.keyOf(email));
  if (record === undefined) return 'no rule matches';
  const rooms = [...record.rooms].map(([id, access]) => `room ${id} (${ACCESS[access] ?? access})`);
  const given = [...record.groups.map((g) => `group "${g}"`), ...rooms];
  const failed = [...record.failures.values()].map((reason) => `not given: ${reason}`);
  return [...given, ...failed].join(', ') || 'nothing yet';
}

const ACCESS: Readonly<Record<number, string>> = {
  2: 'read',
  10: 'editing',
  11: 'content-creator',
  9: 'room-manager',
};

async function waitForOutcomes(
  store: ReturnType<typeof createHireStore>,
  emails: readonly string[],
  timeoutMs: number,
): Promise<(HireRecord | undefined)[]> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const records = await Promise.all(emails.map((email) => store.get(store.keyOf(email))));
    const done = records.every(
      (r) => r !== undefined && ['invited', 'existed', 'failed'].includes(r.state),
    );
    if (done || Date.now() > deadline) return records;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

function describe(record: HireRecord | undefined): string {
  if (record === undefined) return 'not processed yet';
  switch (record.state) {
    case 'invited':
      return `created and invited (DocSpace user ${record.userId ?? '?'})`;
    case 'existed':
      return 'already had an account: not invited';
    case 'created':
      return `created, invitation pending (user ${record.userId ?? '?'})`;
    case 'failed':
      return `failed: ${record.lastError ?? 'unknown reason'}`;
    case 'received':
      return `waiting${record.lastError ? ` (last error: ${record.lastError})` : ''}`;
    case 'scheduled':
      return `scheduled: created on ${new Date(record.scheduledFor ?? 0).toISOString()} (PROVISION_LEAD_DAYS)`;
    case 'withdrawn':
      return 'withdrawn: terminated before the start date, nothing created';
    case 'offboarded':
      return `disabled as a leaver (user ${record.userId ?? '?'})`;
  }
}

function pad(value: string, width: number): string {
  return value.length >= width ? value : value + ' '.repeat(width - value.length);
}
