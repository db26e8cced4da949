import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'node:test';
import { kill, spawnWorker } from '../helpers/child-worker.js';
import { waitFor } from '../helpers/redis.js';
import { startStack } from '../helpers/stack.js';
import { freePort } from '../../demo/redis-server.js';
import { ensureRedis } from '../../demo/redis.js';

const ENTRY = fileURLToPath(new URL('../../workers/main.ts', import.meta.url));
const DEMO_ENTRY = fileURLToPath(new URL('../../demo/main.ts', import.meta.url));

describe('process lifecycle', () => {
  it('when a worker gets SIGTERM mid-job, it lets the job finish, exits 0 and leaves nothing active', async (t) => {
    const stack = await startStack({}, { workers: false });
    t.after(() => stack.close());
    stack.sim.setFaults({ latencyMs: 1_500 });
    const person = { firstName: 'Tess', lastName: 'Term', email: 'tess.term@example.com' };
    await stack.post(person);
    const child = spawnWorker(stack);
    t.after(() => kill(child));
    await waitFor(
      () => (stack.sim.state().calls.length > 0 ? true : undefined),
      20_000,
      'the create call to start',
    );
    const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
    child.kill('SIGTERM');
    assert.equal(await exited, 0);
    const counts = await stack.hires.getJobCounts('active', 'waiting', 'completed', 'failed');
    assert.deepEqual(counts, { active: 0, waiting: 0, completed: 1, failed: 0 });
    assert.equal((await stack.store.get(stack.store.keyOf(person.email)))?.state, 'created');
  });

  it('when settings are wrong, the process names every problem at once and exits 1', async () => {
    const child = spawn(process.execPath, ['--import', 'tsx', ENTRY, 'worker'], {
      env: {
        PATH: process.env['PATH'] ?? '',
        INVITE_MODE: 'sometimes',
        DOCSPACE_MAX_RPS: 'fast',
      },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
    assert.equal(code, 1);
    for (const name of ['DOCSPACE_URL', 'DOCSPACE_API_KEY', 'INVITE_MODE', 'DOCSPACE_MAX_RPS']) {
      assert.match(stderr, new RegExp(name));
    }
  });
});

describe('the demo finds a Redis', () => {
  it('when none answers and redis-server cannot be found, it says both ways out', async () => {
    const port = await freePort();
    const path = process.env['PATH'];
    process.env['PATH'] = '/nonexistent';
    try {
      await assert.rejects(
        ensureRedis(`redis://127.0.0.1:${port}`, () => undefined),
        (err: Error) => {
          assert.match(err.message, /no Redis answers at redis:\/\/127\.0\.0\.1:\d+/);
          assert.match(err.message, /REDIS_URL/);
          assert.match(err.message, /install redis-server/);
          return true;
        },
      );
    } finally {
      process.env['PATH'] = path;
    }
  });

  it('when none answers and redis-server is installed, it starts a private one and says so', async () => {
    const port = await freePort();
    const lines: string[] = [];
    const redis = await ensureRedis(`redis://127.0.0.1:${port}`, (line) => lines.push(line));
    try {
      assert.notEqual(redis.url, `redis://127.0.0.1:${port}`);
      assert.match(lines.join('\n'), /started a private redis-server/);
      const again = await ensureRedis(redis.url, () => undefined);
      assert.equal(again.url, redis.url, 'the private one answers');
    } finally {
      await redis.stop();
    }
  });
});

describe('npm run demo', () => {
  it('shows the sample hires created and invited, the existing one skipped, then stops cleanly on SIGTERM', async (t) => {
    const demo = spawn(process.execPath, ['--import', 'tsx', DEMO_ENTRY], {
      env: {
        PATH: process.env['PATH'] ?? '',
        REDIS_URL: process.env['REDIS_URL'] ?? 'redis://127.0.0.1:6379',
        QUEUE_PREFIX: `dso-demo-test-${process.pid}`,
        PORT: '0',
        DOCSPACE_SIM_PORT: '0',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    t.after(() => demo.kill('SIGKILL'));
    let out = '';
    demo.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    await waitFor(() => (out.includes('Still running') ? true : undefined), 60_000, 'the demo');
    assert.match(out, /msg_demo_batch \(4 hires\): 200 \{"status":"accepted","hires":4\}/);
    assert.match(out, /the same delivery again: 200 \{"status":"duplicate"/);
    assert.equal(out.match(/created and invited/g)?.length, 4);
    assert.match(out, /Erin\.Existing@Example\.com\s+already had an account: not invited/);
    assert.match(out, /DocSpace saw 5 create calls \(4 created a user\)/);
    assert.match(
      out,
      /Dashboard: http:\/\/127\.0\.0\.1:\d+\/admin\/queues \(user admin, password [0-9a-f]{24}\)/,
    );
    const exited = new Promise<number | null>((resolve) => demo.once('exit', resolve));
    demo.kill('SIGTERM');
    assert.equal(await exited, 0);
  });
});
