// The rows of the benchmark table: what each number means, which way is better, and the target.
import type { BenchSettings } from '../context.ts';
import { MiB } from '../stats.ts';

export type Target =
  | { kind: 'ratioAtLeast'; value: number }
  | { kind: 'ratioAtMost'; value: number }
  /** An absolute bound on each DockSphere target's own number. */
  | { kind: 'below'; value: number };

export interface MetricSpec {
  id: string;
  scenario: ScenarioId;
  label: string;
  unit: string;
  better: 'higher' | 'lower';
  target?: Target;
}

export const scenarioIds = ['push', 'chunked', 'pull', 'manifest', 'head', 'tags', 'rss'] as const;
export type ScenarioId = (typeof scenarioIds)[number];

export function metricSpecs(s: BenchSettings): MetricSpec[] {
  const size = `${s.blobSize / MiB} MiB`;
  return [
    { id: 'push.mibps', scenario: 'push', label: `Monolithic push, ${size}`, unit: 'MiB/s', better: 'higher', target: { kind: 'ratioAtLeast', value: 2 } },
    { id: 'chunked.mibps', scenario: 'chunked', label: `Chunked push, ${size} in ${s.chunkSize / MiB} MiB chunks`, unit: 'MiB/s', better: 'higher', target: { kind: 'ratioAtLeast', value: 2 } },
    { id: 'pull.mibps', scenario: 'pull', label: `Blob pull, ${size}`, unit: 'MiB/s', better: 'higher', target: { kind: 'ratioAtLeast', value: 1 } },
    { id: 'pull.cpuPerGiB', scenario: 'pull', label: 'Server CPU per GiB pulled', unit: 'CPU-s/GiB', better: 'lower', target: { kind: 'ratioAtMost', value: 0.5 } },
    { id: 'push.cpuPerGiB', scenario: 'push', label: 'Server CPU per GiB pushed (monolithic)', unit: 'CPU-s/GiB', better: 'lower' },
    { id: 'chunked.cpuPerGiB', scenario: 'chunked', label: 'Server CPU per GiB pushed (chunked)', unit: 'CPU-s/GiB', better: 'lower' },
    { id: 'manifest.rps', scenario: 'manifest', label: `Manifest GET by tag, c${s.loadConnections}`, unit: 'req/s', better: 'higher', target: { kind: 'ratioAtLeast', value: 2.5 } },
    { id: 'manifest.p99ms', scenario: 'manifest', label: `Manifest GET by tag p99, c${s.loadConnections}`, unit: 'ms', better: 'lower' },
    { id: 'head.rps', scenario: 'head', label: `Blob HEAD, c${s.loadConnections}`, unit: 'req/s', better: 'higher', target: { kind: 'ratioAtLeast', value: 2.5 } },
    { id: 'head.p99ms', scenario: 'head', label: `Blob HEAD p99, c${s.loadConnections}`, unit: 'ms', better: 'lower' },
    { id: 'tags.full.rps', scenario: 'tags', label: `tags/list, all ${s.tagCount} tags, c${s.tagLoadConcurrency}`, unit: 'lists/s', better: 'higher' },
    { id: 'tags.full.p99ms', scenario: 'tags', label: `tags/list, all ${s.tagCount} tags, p99`, unit: 'ms', better: 'lower' },
    { id: 'tags.page.rps', scenario: 'tags', label: `tags/list?n=${s.tagPageSize}, c${s.tagLoadConcurrency}`, unit: 'req/s', better: 'higher' },
    { id: 'tags.page.p99ms', scenario: 'tags', label: `tags/list?n=${s.tagPageSize}, p99`, unit: 'ms', better: 'lower' },
    { id: 'tags.seed.perSec', scenario: 'tags', label: 'Manifest PUT by tag while seeding, c8', unit: 'req/s', better: 'higher' },
    { id: 'rss.peakMiB', scenario: 'rss', label: `Registry process peak RSS, ${s.concurrentUploads} concurrent ${size} uploads`, unit: 'MiB', better: 'lower', target: { kind: 'below', value: 300 } },
    { id: 'rss.childrenPeakMiB', scenario: 'rss', label: 'Its child processes (embedded database), peak RSS, same uploads', unit: 'MiB', better: 'lower' },
    { id: 'rss.nginxPeakMiB', scenario: 'rss', label: 'NGINX master + workers, peak RSS, same uploads', unit: 'MiB', better: 'lower' },
    { id: 'rss.postgresPeakMiB', scenario: 'rss', label: 'Postgres server processes, peak RSS, same uploads', unit: 'MiB', better: 'lower' },
    { id: 'rss.natsPeakMiB', scenario: 'rss', label: 'NATS server, peak RSS, same uploads', unit: 'MiB', better: 'lower' },
    { id: 'rss.totalPeakMiB', scenario: 'rss', label: 'All server processes together, peak RSS, same uploads', unit: 'MiB', better: 'lower' },
    { id: 'rss.concurrent.mibps', scenario: 'rss', label: `Aggregate push, ${s.concurrentUploads} concurrent uploads`, unit: 'MiB/s', better: 'higher' },
    { id: 'rss.concurrent.cpuPerGiB', scenario: 'rss', label: `Server CPU per GiB, ${s.concurrentUploads} concurrent uploads`, unit: 'CPU-s/GiB', better: 'lower' },
  ];
}

export type Verdict = 'PASS' | 'MISS' | 'n/a' | '';

/** One DockSphere target's number on a row, against the reference's. */
export interface Comparison {
  target: string;
  value: number | undefined;
  /** value / reference. */
  ratio: number | undefined;
  verdict: Verdict;
}

export interface ResultRow {
  id: string;
  label: string;
  unit: string;
  reference: number | undefined;
  /** One per DockSphere target, in the order given to buildRows. */
  docksphere: Comparison[];
  target: string;
}

export function describeTarget(t: Target | undefined): string {
  if (!t) return '';
  if (t.kind === 'ratioAtLeast') return `>= ${t.value}x`;
  if (t.kind === 'ratioAtMost') return `<= ${t.value}x`;
  return `< ${t.value}`;
}

function judge(t: Target | undefined, value: number | undefined, ratio: number | undefined): Verdict {
  if (!t) return '';
  if (t.kind === 'below') return value === undefined ? 'n/a' : value < t.value ? 'PASS' : 'MISS';
  if (ratio === undefined) return 'n/a';
  return (t.kind === 'ratioAtLeast' ? ratio >= t.value : ratio <= t.value) ? 'PASS' : 'MISS';
}

/** The rows some target has a number for; each DockSphere target is compared with the reference on its own. */
export function buildRows(specs: MetricSpec[], reference: Record<string, number> | undefined, docksphere: { target: string; metrics: Record<string, number> | undefined }[]): ResultRow[] {
  return specs
    .filter((spec) => reference?.[spec.id] !== undefined || docksphere.some((d) => d.metrics?.[spec.id] !== undefined))
    .map((spec) => {
      const ref = reference?.[spec.id];
      const comparisons = docksphere.map(({ target, metrics }) => {
        const value = metrics?.[spec.id];
        const ratio = value !== undefined && ref !== undefined && ref > 0 ? value / ref : undefined;
        return { target, value, ratio, verdict: judge(spec.target, value, ratio) };
      });
      return { id: spec.id, label: spec.label, unit: spec.unit, reference: ref, docksphere: comparisons, target: describeTarget(spec.target) };
    });
}
