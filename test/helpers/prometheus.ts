/** Reading the Prometheus text exposition of src/metrics.ts in tests: its samples, one or a sum. */
import assert from 'node:assert/strict';

export interface Sample {
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly value: number;
}

/** The samples of a Prometheus text exposition (no escapes in our label values). */
export function samples(text: string): Sample[] {
  return text
    .split('\n')
    .filter((line) => line !== '' && !line.startsWith('#'))
    .map((line) => {
      const match = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
      if (match === null) assert.fail(`not a sample line: ${line}`);
      const labels: Record<string, string> = {};
      for (const pair of (match[2] ?? '').matchAll(/(\w+)="([^"]*)"/g)) {
        labels[pair[1] ?? ''] = pair[2] ?? '';
      }
      return { name: match[1] ?? '', labels, value: Number(match[3]) };
    });
}

/** The samples named `name` whose labels include `labels`. */
function matching(
  all: readonly Sample[],
  name: string,
  labels: Record<string, string>,
): readonly Sample[] {
  return all.filter(
    (s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v),
  );
}

/** The value of the one sample named `name` whose labels include `labels`; undefined if none. */
export function value(
  all: readonly Sample[],
  name: string,
  labels: Record<string, string> = {},
): number | undefined {
  const found = matching(all, name, labels);
  assert.ok(found.length <= 1, `${name} ${JSON.stringify(labels)} matches ${found.length} samples`);
  return found[0]?.value;
}

/** The sum of the samples named `name` whose labels include `labels` (0 when there are none). */
export function total(
  all: readonly Sample[],
  name: string,
  labels: Record<string, string> = {},
): number {
  return matching(all, name, labels).reduce((sum, s) => sum + s.value, 0);
}
