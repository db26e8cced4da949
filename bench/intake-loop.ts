/**
 * The intake without HTTP: CPU per delivery of the service's intake (src/queue/intake.ts: the
 * marker, the job, the records) beside one `queue.add`, in this process, `--concurrency` deliveries
 * at once on the API's auto-pipelined connection, rounds alternating. Steadier than the HTTP bench
 * on a shared machine (no load generator, no sockets per request): it measures what an intake
 * lever changes on the Node side (docs/performance.md#intake-levers).
 *
 *   npx tsx bench/intake-loop.ts [--rounds 5] [--deliveries 4000] [--concurrency 50] [--only intake]
 *
 * Runs on its own `redis-server` when one can be started (Redis commands per delivery exact).
 */
import { once } from 'node:events';
import { Queue } from 'bullmq';
import {
  PROVISION_JOB,
  provisionJobOptions,
  type ProvisionJobData,
} from '../src/queue/contract.js';
import { createHireStore } from '../src/queue/hire-store.js';
import { createIntake } from '../src/queue/intake.js';
import { createKeys, QUEUES } from '../src/queue/keys.js';
import { createRedis } from '../src/queue/redis.js';
import { cleanUpOnSignals } from './processes.js';
import {
  benchPrefix,
  commandStats,
  connect,
  deletePrefix,
  REDIS_URL,
  redisCpuSeconds,
  startPrivateRedis,
} from './redis.js';
import { forEachLimited } from './stats.js';

const option = (name: string, fallback: number): number => {
  const at = process.argv.indexOf(`--${name}`);
  const value = at < 0 ? Number.NaN : Number(process.argv[at + 1]);
  return Number.isFinite(value) && value > 0 ? value : fallback;
};
const rounds = option('rounds', 5);
const deliveries = option('deliveries', 4000);
const concurrency = option('concurrency', 50);

cleanUpOnSignals();
const own = await startPrivateRedis();
const admin = connect();
const only = process.argv[process.argv.indexOf('--only') + 1];
const modes = (['queue-add', 'intake'] as const).filter(
  (mode) => !process.argv.includes('--only') || mode === only,
);
const results: Record<string, { cpu: number[]; redisCpu: number[]; commands: number[] }> = {};
try {
  for (let round = 1; round <= rounds; round++) {
    for (const mode of modes) {
      const prefix = benchPrefix('intake-loop');
      const redis = createRedis(REDIS_URL, 'producer', { autoPipelining: true });
      const queue = new Queue<ProvisionJobData>(QUEUES.hires, {
        connection: redis,
        prefix,
        defaultJobOptions: provisionJobOptions(12, 2000),
      });
      // The API's producer connection sends nothing before it is ready (no offline queue).
      await queue.waitUntilReady();
      if (redis.status !== 'ready') await once(redis, 'ready');
      const keys = createKeys(prefix);
      const intake = createIntake({
        queue,
        redis,
        keys,
        hireStore: createHireStore({ redis, keys }),
      });
      const hire = (n: number) => ({
        source: 'hires',
        hireId: `E-${n}`,
        email: `loop.${prefix.slice(-8)}.${n}@example.com`,
        firstName: 'Loop',
        lastName: `Person ${n}`,
      });
      const one = (n: number): Promise<unknown> =>
        mode === 'intake'
          ? intake('hires', `msg_${n}`, [hire(n)])
          : queue.add(
              PROVISION_JOB,
              { hire: hire(n), deliveryId: `msg_${n}`, receivedAt: n },
              {
                jobId: `hire-${n}`,
              },
            );
      const all = Array.from({ length: deliveries }, (_, n) => n);
      // Warm-up: scripts loaded, code optimised.
      await forEachLimited(all.slice(0, 500), concurrency, async (n) => {
        await one(n + deliveries);
      });
      const commandsBefore = await commandStats(admin);
      const redisBefore = await redisCpuSeconds(admin);
      const before = process.cpuUsage();
      await forEachLimited(all, concurrency, async (n) => {
        await one(n);
      });
      const used = process.cpuUsage(before);
      const redisCpu = (await redisCpuSeconds(admin)) - redisBefore;
      const commandsAfter = await commandStats(admin);
      let commands = 0;
      for (const [name, calls] of commandsAfter) {
        if (name !== 'info') commands += calls - (commandsBefore.get(name) ?? 0);
      }
      const entry = (results[mode] ??= { cpu: [], redisCpu: [], commands: [] });
      entry.cpu.push(Math.round((used.user + used.system) / deliveries));
      entry.redisCpu.push(Math.round((redisCpu * 1e6) / deliveries));
      entry.commands.push(Math.round((commands / deliveries) * 100) / 100);
      await queue.close();
      redis.disconnect();
      await deletePrefix(admin, prefix);
    }
  }
} finally {
  admin.disconnect();
  await own?.stop();
}
for (const mode of modes) {
  const entry = results[mode];
  if (entry === undefined) continue;
  const median = (values: number[]) => [...values].sort((a, b) => a - b)[values.length >> 1];
  process.stdout.write(
    `${mode.padEnd(10)} cpu µs/delivery ${entry.cpu.join(' ')} (median ${median(entry.cpu)})  redis µs ${entry.redisCpu.join(' ')}  commands ${entry.commands.join(' ')}\n`,
  );
}
