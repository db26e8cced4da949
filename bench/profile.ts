import { readFileSync } from 'node:fs';
import { ROOT } from './processes.js';

interface ProfileNode {
  readonly id: number;
  readonly callFrame: { functionName: string; url: string; lineNumber: number };
  readonly hitCount?: number;
  readonly children?: readonly number[];
}

interface CpuProfile {
  readonly nodes: readonly ProfileNode[];
  readonly startTime: number;
  readonly endTime: number;
}

export interface ProfileSummary {
  readonly file: string;
  /** Share of sampled (non-idle) time by where the code lives: ours, a package, node, GC. */
  readonly byOwner: Record<string, number>;
  /** Functions with the most self time. */
  readonly top: readonly {
    readonly name: string;
    readonly where: string;
    readonly share: number;
  }[];
  /** Our own functions with the most self time (the part this project can change). */
  readonly ours: readonly {
    readonly name: string;
    readonly where: string;
    readonly share: number;
  }[];
}

/** Reads a V8 `.cpuprofile` and says where the busy time went (self time, idle excluded). */
export function summarizeProfile(file: string): ProfileSummary {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
  const self = new Map<string, { name: string; where: string; owner: string; hits: number }>();
  const byOwner = new Map<string, number>();
  let busy = 0;
  for (const node of profile.nodes) {
    const hits = node.hitCount ?? 0;
    if (hits === 0) continue;
    const { functionName, url, lineNumber } = node.callFrame;
    if (functionName === '(idle)' || functionName === '(program)') continue;
    const owner = ownerOf(url, functionName);
    const where = url === '' ? '' : `${shortUrl(url)}:${lineNumber + 1}`;
    const name = functionName === '' ? '(anonymous)' : functionName;
    const key = `${name} ${where}`;
    const entry = self.get(key) ?? { name, where, owner, hits: 0 };
    entry.hits += hits;
    self.set(key, entry);
    byOwner.set(owner, (byOwner.get(owner) ?? 0) + hits);
    busy += hits;
  }
  const share = (hits: number): number => Math.round((hits / Math.max(1, busy)) * 1000) / 10;
  const sorted = [...self.values()].sort((a, b) => b.hits - a.hits);
  const pick = (entry: { name: string; where: string; hits: number }) => ({
    name: entry.name,
    where: entry.where,
    share: share(entry.hits),
  });
  return {
    file,
    byOwner: Object.fromEntries(
      [...byOwner.entries()]
        .sort((a, b) => b[1] - a[1])
        .map(([owner, hits]) => [owner, share(hits)]),
    ),
    top: sorted.slice(0, 15).map(pick),
    ours: sorted
      .filter((e) => e.owner === 'ours')
      .slice(0, 10)
      .map(pick),
  };
}

function ownerOf(url: string, functionName: string): string {
  if (functionName === '(garbage collector)') return 'gc';
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (pkg) return pkg[1] ?? 'package';
  if (url.startsWith('node:') || url === '') return 'node';
  if (url.includes('/src/') || url.includes('/workers/')) return 'ours';
  return 'other';
}

function shortUrl(url: string): string {
  const root = `file://${ROOT}`;
  return url.startsWith(root) ? url.slice(root.length) : url.replace(/^.*node_modules\//, '');
}
