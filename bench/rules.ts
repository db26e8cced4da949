/**
 * Rules on: DocSpace calls per hire when every hire matches rules giving `groups` groups and
 * `rooms` rooms (docs/rules.md). Target (issue 15): at most 1 + (groups + rooms) / batch size +
 * 0.05 calls per hire: one create, and the group and room calls shared by a batch. The service
 * runs in this process against the simulator (no latency), on its own QUEUE_PREFIX.
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEMO_API_KEY, createDocspaceSim } from '../docspace-sim/server.js';
import { loadConfig } from '../src/config.js';
import { signStandardWebhook } from '../src/domain/signature.js';
import { createLogger } from '../src/logger.js';
import { createGrantsStore } from '../src/queue/grants-store.js';
import { createHireStore } from '../src/queue/hire-store.js';
import { createKeys } from '../src/queue/keys.js';
import { createRedis } from '../src/queue/redis.js';
import { startApi } from '../src/server.js';
import { startWorkers } from '../workers/start.js';
import { benchPrefix, connect, deletePrefix, REDIS_URL } from './redis.js';

export interface RulesBenchOptions {
  readonly hires: number;
  readonly batchSize: number;
  readonly log: (line: string) => void;
}

export interface RulesBenchResult {
  readonly hires: number;
  readonly groups: number;
  readonly rooms: number;
  readonly batchSize: number;
  readonly calls: Readonly<Record<string, number>>;
  readonly callsPerHire: number;
  readonly target: number;
  readonly met: boolean;
  readonly seconds: number;
}

const GROUPS = ['Sales', 'All staff'];

export async function runRules(options: RulesBenchOptions): Promise<RulesBenchResult> {
  const sim = createDocspaceSim({ apiKeys: [DEMO_API_KEY] });
  const { url } = await sim.listen(0);
  const room = sim.addRoom({ title: 'Sales' }).id;
  const dir = await mkdtemp(join(tmpdir(), 'bench-rules-'));
  const rulesFile = join(dir, 'rules.yaml');
  await writeFile(
    rulesFile,
    `rules:\n  - when: { department: Sales }\n    groups: [${GROUPS.join(', ')}]\n    rooms: [{ id: ${room}, access: editing }]\n`,
  );
  const prefix = benchPrefix('rules');
  const secret = `whsec_${randomBytes(24).toString('base64')}`;
  const config = loadConfig(
    {
      REDIS_URL,
      QUEUE_PREFIX: prefix,
      DOCSPACE_URL: url,
      DOCSPACE_API_KEY: DEMO_API_KEY,
      WEBHOOK_SECRET: secret,
      PORT: '0',
      PROVISIONING_RULES: rulesFile,
      INVITE_BATCH_SIZE: String(options.batchSize),
      INVITE_BATCH_MAX_WAIT_MS: '1000',
      DOCSPACE_MAX_RPS: '1000',
      DOCSPACE_CONCURRENCY: '20',
      LOG_LEVEL: 'error',
    },
    'all',
  );
  const logger = createLogger({ level: 'error', service: 'bench-rules' });
  const connection = createRedis(config.redis, 'worker');
  const grants = createGrantsStore({ redis: connection, keys: createKeys(prefix) });
  const hires = createHireStore({ redis: connection, keys: createKeys(prefix) });
  const workers = await startWorkers({ config, logger, connection });
  const api = await startApi({ config, logger });
  const started = Date.now();
  try {
    const emails: string[] = [];
    for (let sent = 0; sent < options.hires; sent += 100) {
      const data = Array.from({ length: Math.min(100, options.hires - sent) }, (_, i) => {
        const email = `rules.${sent + i}@example.com`;
        emails.push(email);
        return {
          employeeId: `R-${sent + i}`,
          firstName: 'Rule',
          lastName: 'Bench',
          email,
          department: 'Sales',
        };
      });
      const body = JSON.stringify({
        type: 'employee.hired',
        timestamp: new Date().toISOString(),
        data,
      });
      const response = await fetch(`http://127.0.0.1:${api.port}/webhooks/hires`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          ...signStandardWebhook(secret, `msg_rules_${sent}`, body),
        },
        body,
      });
      if (response.status !== 200) throw new Error(`delivery answered ${response.status}`);
    }
    const deadline = Date.now() + 10 * 60_000;
    for (;;) {
      const records = await Promise.all(emails.map((e) => grants.get(grants.keyOf(e))));
      const done = records.filter((r) => r?.groups.length === GROUPS.length && r.rooms.size === 1);
      const people = await Promise.all(emails.map((e) => hires.get(hires.keyOf(e))));
      const invited = people.filter((r) => r?.state === 'invited').length;
      if (done.length === emails.length && invited >= emails.length) break;
      if (Date.now() > deadline)
        throw new Error(`only ${done.length} of ${emails.length} got their grants`);
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  } finally {
    await api.close();
    await workers.close();
    await connection.quit();
    const redis = connect();
    await deletePrefix(redis, prefix);
    redis.disconnect();
    await sim.close();
    await rm(dir, { recursive: true, force: true });
  }
  const seconds = (Date.now() - started) / 1000;
  const calls: Record<string, number> = {};
  let total = 0;
  for (const call of sim.state().calls) {
    if (call.outcome !== 'ok') continue;
    const what = `${call.method} ${call.path.replace(/\/[0-9a-f-]{36}/, '/{id}').replace(/\/\d+\//, '/{id}/')}`;
    calls[what] = (calls[what] ?? 0) + 1;
    total += 1;
  }
  const callsPerHire = total / options.hires;
  const target = 1 + (GROUPS.length + 1) / options.batchSize + 0.05;
  const result = {
    hires: options.hires,
    groups: GROUPS.length,
    rooms: 1,
    batchSize: options.batchSize,
    calls,
    callsPerHire: Math.round(callsPerHire * 1000) / 1000,
    target: Math.round(target * 1000) / 1000,
    met: callsPerHire <= target,
    seconds,
  };
  options.log(
    `rules on: ${result.hires} hires, ${result.groups} groups + ${result.rooms} room, batch ${result.batchSize}: ${result.callsPerHire} DocSpace calls per hire (target ≤ ${result.target}: ${result.met ? 'met' : 'NOT met'}) in ${seconds.toFixed(1)} s; ${Object.entries(
      calls,
    )
      .map(([k, v]) => `${k} ${v}`)
      .join(', ')}`,
  );
  return result;
}
