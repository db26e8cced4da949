import { performance } from 'node:perf_hooks';

/**
 * How much slower `run` gets when its input grows 4×: the time for `make(4n)` over the time for
 * `make(n)`, both measured in the same run, so the machine's speed cancels out (no absolute
 * timing is asserted anywhere: the project's machines are shared and noisy). Linear work gives
 * about 4 (less while fixed costs dominate), quadratic about 16, worse work more.
 *
 * Each side is the best of `trials` timings, each repeating the call enough times to take at
 * least `minMs` at size n, so one GC pause or a busy neighbour cannot make a linear function
 * look quadratic. When the ratio comes out high it is measured again, and the lowest is kept:
 * noise only ever adds time, while real super-linear growth shows every time.
 */
export function growthRatio<T>(
  make: (n: number) => T,
  run: (input: T) => unknown,
  n: number,
  options: { trials?: number; minMs?: number; ceiling?: number } = {},
): number {
  const trials = options.trials ?? 3;
  const minMs = options.minMs ?? 0.5;
  const ceiling = options.ceiling ?? 8;
  const small = make(n);
  const large = make(4 * n);
  // Warm up, then find how many calls make a timing at size n long enough to read.
  run(small);
  let reps = 1;
  for (;;) {
    const took = time(run, small, reps);
    if (took >= minMs || reps >= 1 << 20) break;
    reps *= took <= 0 ? 16 : Math.min(16, Math.ceil((minMs / took) * 1.2));
  }
  let best = Infinity;
  for (let attempt = 0; attempt < 3 && best > ceiling; attempt += 1) {
    const a = Math.min(...Array.from({ length: trials }, () => time(run, small, reps)));
    const b = Math.min(...Array.from({ length: trials }, () => time(run, large, reps)));
    best = Math.min(best, b / Math.max(a, 1e-6));
  }
  return best;
}

function time<T>(run: (input: T) => unknown, input: T, reps: number): number {
  const start = performance.now();
  for (let i = 0; i < reps; i += 1) run(input);
  return performance.now() - start;
}
