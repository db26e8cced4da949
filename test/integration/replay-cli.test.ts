import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { Job } from 'bullmq';
import { envOf, logLines, replay, ROOT, run } from '../helpers/cli.js';
import { waitFor } from '../helpers/redis.js';
import { startStack, type Stack } from '../helpers/stack.js';

const WRONG_KEY = { DOCSPACE_API_KEY: `sk-${'f'.repeat(64)}` };
const UNREACHABLE = 'redis://127.0.0.1:1';

const person = (n: number) => ({
  employeeId: `C-${n}`,
  firstName: 'Cleo',
  lastName: 'Cli',
  email: `cleo.${n}@example.com`,
});

/** A stack whose workers failed `count` hires (wrong API key), then stopped. */
async function failedHires(count: number): Promise<Stack> {
  const stack = await startStack(WRONG_KEY);
  const hires = Array.from({ length: count }, (_, i) => person(i + 1));
  await stack.post(hires);
  await stack.settled(
    hires.map((h) => h.email),
    ['failed'],
  );
  await waitFor(async () => ((await stack.hires.getFailedCount()) === count ? true : undefined));
  await stack.stopWorkers();
  return stack;
}

describe('replay command line (npm run replay)', () => {
  it('status prints the jobs per state per queue as a table, and as JSON with --json', async (t) => {
    const stack = await failedHires(2);
    t.after(() => stack.close());

    const table = await replay(['status'], envOf(stack));
    assert.equal(table.code, 0, table.stderr);
    const rows = table.stdout
      .trim()
      .split('\n')
      .map((line) => line.trim().split(/\s+/));
    const header = rows[0] ?? [];
    assert.deepEqual(header, [
      'queue',
      'waiting',
      'active',
      'delayed',
      'prioritized',
      'completed',
      'failed',
    ]);
    const hires = rows.find((row) => row[0] === 'hires') ?? [];
    assert.equal(hires[header.indexOf('failed')], '2');
    assert.ok(rows.some((row) => row[0] === 'invites'));

    const json = await replay(['status', '--json'], envOf(stack));
    assert.equal(json.code, 0, json.stderr);
    const counts = JSON.parse(json.stdout) as Record<string, Record<string, number>>;
    assert.deepEqual(Object.keys(counts), ['hires', 'invites']);
    assert.equal(counts['hires']?.['failed'], 2);
    assert.equal(counts['hires']['waiting'], 0);
    assert.equal(counts['invites']?.['failed'], 0);
  });

  it('--failed --dry-run counts and lists the matches without replaying; --failed replays them with a fresh budget, logging each', async (t) => {
    const stack = await failedHires(2);
    t.after(() => stack.close());
    const ids = (await stack.hires.getFailed()).map((job) => job.id ?? '').sort();

    const dry = await replay(['--failed', '--dry-run'], envOf(stack));
    assert.equal(dry.code, 0, dry.stderr);
    assert.match(dry.stdout, /^2 jobs matched \(dry run: nothing replayed\)/);
    for (const id of ids) assert.match(dry.stdout, new RegExp(`hires +${id} +.*401`));
    assert.equal(await stack.hires.getFailedCount(), 2, 'a dry run changes nothing');
    assert.ok(!dry.stdout.includes('\u001b'), 'no progress bar when stdout is not a terminal');

    const none = await replay(['--failed', '--reason', 'no such reason'], envOf(stack));
    assert.equal(none.code, 0, none.stderr);
    assert.match(none.stdout, /^0 jobs matched/);

    const run = await replay(
      ['--failed', '--since', '1h', '--reason', 'docspace_api_key', '--queue', 'hires'],
      envOf(stack),
    );
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, /^2 jobs matched; replayed 2/);
    assert.equal(await stack.hires.getFailedCount(), 0);
    for (const id of ids) {
      const job = await Job.fromId(stack.hires, id);
      assert.equal(await job?.getState(), 'waiting');
      assert.equal(job?.attemptsMade, 0, 'fresh attempt budget');
    }
    const logs = logLines(run.stderr);
    const replayed = logs.filter((l) => l['message'] === 'job replayed');
    assert.deepEqual(replayed.map((l) => l['jobId']).sort(), ids);
    assert.ok(replayed.every((l) => l['via'] === 'cli' && l['queue'] === 'hires'));
    const summary = logs.find((l) => l['message'] === 'jobs replayed');
    assert.equal(summary?.['count'], 2);
    assert.equal(summary['sinceMs'], 3_600_000);
    assert.equal(summary['reasonFilter'], 'docspace_api_key');
  });

  it('--job replays one failed job (exit 0); an unknown or waiting job exits 3', async (t) => {
    const stack = await failedHires(1);
    t.after(() => stack.close());
    const failedId = (await stack.hires.getFailed())[0]?.id ?? '';
    await stack.post(person(9)); // no workers now: it waits
    const waitingId = (await waitFor(async () => (await stack.hires.getWaiting())[0])).id ?? '';

    const unknown = await replay(['--job', 'hire-nothing-0'], envOf(stack));
    assert.equal(unknown.code, 3);
    assert.match(unknown.stderr, /no job "hire-nothing-0"/);
    const waiting = await replay(['--job', waitingId], envOf(stack));
    assert.equal(waiting.code, 3);
    assert.match(waiting.stderr, /is waiting/);
    const wrongQueue = await replay(['--job', failedId, '--queue', 'invites'], envOf(stack));
    assert.equal(wrongQueue.code, 3);
    assert.equal(await stack.hires.getJobState(failedId), 'failed');

    const ok = await replay(['--job', failedId], envOf(stack));
    assert.equal(ok.code, 0, ok.stderr);
    assert.match(ok.stdout, new RegExp(`Replayed job ${failedId} on hires \\(was failed\\)`));
    const job = await Job.fromId(stack.hires, failedId);
    assert.equal(await job?.getState(), 'waiting');
    assert.equal(job?.attemptsMade, 0);
    assert.ok(logLines(ok.stderr).some((l) => l['message'] === 'job replayed'));
  });

  it('when Redis does not answer, it exits 4 and says which Redis', async () => {
    const run = await replay(['status'], {
      REDIS_URL: 'redis://:s3cret@127.0.0.1:1',
      QUEUE_PREFIX: 'dso-cli-none',
    });
    assert.equal(run.code, 4);
    assert.match(run.stderr, /Redis at redis:\/\/:\*\*\*@127\.0\.0\.1:1 did not answer/);
    assert.doesNotMatch(run.stderr, /s3cret/);
    assert.equal(run.stdout, '');
  });

  it('usage errors exit 2 before any Redis is needed; --help documents the exit codes', async () => {
    const env = { REDIS_URL: UNREACHABLE, QUEUE_PREFIX: 'dso-cli-none' };
    const cases = [
      ['--bogus'],
      [],
      ['--failed', '--job', 'x'],
      ['--failed', '--since', '2x'],
      ['--failed', '--queue', 'all'],
      ['--failed', '--reason', ''],
      ['--job', 'x', '--dry-run'],
      ['--job', 'x', '--since', '1h'],
      ['status', '--bogus'],
      ['replay-everything'],
    ];
    const runs = await Promise.all(cases.map((args) => replay(args, env)));
    runs.forEach((run, i) => {
      assert.equal(run.code, 2, `${cases[i]?.join(' ')}: ${run.stderr}`);
      assert.match(run.stderr, /error/);
    });

    const help = await replay(['--help'], env);
    assert.equal(help.code, 0);
    assert.match(help.stdout, /--failed/);
    assert.match(
      help.stdout,
      /Exit codes:[\s\S]*2 +usage error[\s\S]*3 +--job[\s\S]*4 +Redis unreachable/,
    );
  });
});

describe('npm run replay where the service runs (compiled JavaScript, no tsx)', () => {
  it('runs dist/src/cli/main.js with plain node, built first by its pre-script in a checkout', async (t) => {
    const scripts = (
      JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
        scripts: Record<string, string>;
      }
    ).scripts;
    assert.match(scripts['replay'] ?? '', /^node (--\S+ )*dist\/src\/cli\/main\.js$/);
    assert.equal(scripts['prereplay'], 'node scripts/prebuild.js');

    const stack = await failedHires(1);
    t.after(() => stack.close());
    const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
    const result = await run(
      npm,
      ['run', '--silent', 'replay', '--', '--failed', '--dry-run'],
      ROOT,
      {
        ...process.env,
        ...envOf(stack),
        LOG_LEVEL: 'info',
      },
    );
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /^1 job matched \(dry run: nothing replayed\)/m);
  });

  it('where TypeScript is not installed (the production image), the pre-script builds nothing and succeeds', async (t) => {
    const empty = mkdtempSync(join(tmpdir(), 'dso-prebuild-'));
    t.after(() => {
      rmSync(empty, { recursive: true, force: true });
    });
    const result = await run(process.execPath, [join(ROOT, 'scripts/prebuild.js')], empty, {
      PATH: process.env['PATH'] ?? '',
    });
    assert.equal(result.code, 0, result.stderr);
    assert.deepEqual(readdirSync(empty), [], 'nothing written');
  });
});
