/**
 * `npx tsx bench/validate.ts`: a micro-benchmark of the generic payload's validation alone
 * (`parseHiresEvent` on an already parsed body), the step of the intake between the signature
 * check and `queue.add`. Prints operations per second (median of 5 rounds of about 1 s each) for
 * one hire, a batch of 50 and a bad batch (every problem listed). Timings are reported, never judged.
 */
import { parseHiresEvent } from '../src/domain/hire.js';

const person = (n: number) => ({
  employeeId: `E-${1000 + n}`,
  firstName: 'Alice',
  lastName: 'Smith',
  email: `alice.smith${n}@example.com`,
  department: 'Sales',
  title: 'Account Executive',
  startDate: '2026-12-01',
});
const event = (data: unknown) => ({
  type: 'employee.hired',
  timestamp: '2026-11-26T10:00:00Z',
  data,
});

const CASES: Record<string, unknown> = {
  'one hire': event(person(1)),
  '50 hires': event(Array.from({ length: 50 }, (_, i) => person(i))),
  'bad batch (6 problems)': event([
    person(0),
    { ...person(1), email: 'a@b' },
    { ...person(2), firstName: undefined },
    { ...person(3), email: 'alice@example', firstName: '42', title: 'T'.repeat(300) },
    null,
    person(5),
  ]),
};

/** Calls per second of `fn` over about `ms` milliseconds. */
function rate(fn: () => void, ms: number): number {
  let calls = 0;
  const start = performance.now();
  let elapsed = 0;
  while (elapsed < ms) {
    for (let i = 0; i < 100; i++) fn();
    calls += 100;
    elapsed = performance.now() - start;
  }
  return (calls / elapsed) * 1000;
}

const run = (body: unknown) => () => {
  try {
    parseHiresEvent(body);
  } catch {
    // the bad batch throws its PayloadError: that is the work measured
  }
};

for (const [name, body] of Object.entries(CASES)) {
  rate(run(body), 300); // warm-up: let V8 optimise first
  const rounds = Array.from({ length: 5 }, () => rate(run(body), 1000)).sort((a, b) => a - b);
  const median = rounds[2] ?? 0;
  process.stdout.write(`${name.padEnd(24)} ${Math.round(median).toLocaleString('en')} ops/s\n`);
}
