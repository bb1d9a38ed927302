// Renders result rows as a console table and as the markdown section of docs/benchmarks.md.
import type { MachineInfo } from './machine.ts';
import type { ResultRow } from './metrics.ts';

function fmt(n: number | undefined): string {
  if (n === undefined || !Number.isFinite(n)) return '–';
  if (Math.abs(n) >= 100) return Math.round(n).toLocaleString('en-US');
  if (Math.abs(n) >= 10) return n.toFixed(1);
  return n.toFixed(2);
}

function ratio(r: number | undefined): string {
  return r === undefined ? '–' : `${r.toFixed(2)}x`;
}

/** Heading and cells of each row: measurement, unit, target, reference, then value/ratio/result per DockSphere target. */
function tableCells(rows: ResultRow[], labels: Record<string, string>): { header: string[]; body: string[][] } {
  const targets = rows[0]?.docksphere.map((c) => c.target) ?? [];
  const header = ['Measurement', 'Unit', 'Target', 'Reference', ...targets.flatMap((t) => [labels[t] ?? t, 'Ratio', 'Result'])];
  const body = rows.map((r) => [r.label, r.unit, r.target, fmt(r.reference), ...r.docksphere.flatMap((c) => [fmt(c.value), ratio(c.ratio), c.verdict])]);
  return { header, body };
}

const isNumberColumn = (i: number): boolean => i === 3 || (i > 3 && (i - 4) % 3 !== 2);

export function consoleTable(rows: ResultRow[], labels: Record<string, string>): string {
  const { header, body } = tableCells(rows, labels);
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((row) => (row[i] ?? '').length)));
  const line = (cells: string[]): string => cells.map((c, i) => (isNumberColumn(i) ? c.padStart(widths[i] ?? 0) : c.padEnd(widths[i] ?? 0))).join('  ');
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...body.map(line)].join('\n');
}

export interface MarkdownInput {
  rows: ResultRow[];
  /** Column heading per target name. */
  labels: Record<string, string>;
  machine: MachineInfo;
  loadAfter: number[];
  referenceVersion: string;
  mode: string;
  notes: string[];
}

export function markdownSection(input: MarkdownInput): string {
  const m = input.machine;
  const lines = [
    `Run: ${m.date} (${input.mode}), commit ${m.gitCommit}.`,
    `Machine: ${m.cores} cores (${m.cpuModel}), ${m.memoryGiB} GiB memory, Node ${m.node}, ${m.kernel}. ` +
      `Load average ${m.loadAverage.join(' / ')} before, ${input.loadAfter.join(' / ')} after.`,
    `Reference: ${input.referenceVersion}.`,
    '',
    ...markdownTable(input.rows, input.labels),
  ];
  if (input.notes.length > 0) lines.push('', ...input.notes.map((n) => `- ${n}`));
  return lines.join('\n');
}

function markdownTable(rows: ResultRow[], labels: Record<string, string>): string[] {
  const { header, body } = tableCells(rows, labels);
  const heading = header.map((h, i) => (i > 4 && (i - 4) % 3 === 1 ? `${header[i - 1]} / reference` : h));
  const align = header.map((_, i) => (isNumberColumn(i) ? '---:' : '---'));
  const row = (cells: string[]): string => `| ${cells.join(' | ')} |`;
  return [row(heading), row(align), ...body.map(row)];
}

const START = '<!-- bench:results:start -->';
const END = '<!-- bench:results:end -->';

/** Replaces the generated section of the doc, keeping the hand-written text around it. */
export function spliceDoc(doc: string, section: string): string {
  const start = doc.indexOf(START);
  const end = doc.indexOf(END);
  if (start === -1 || end === -1 || end < start) return `${doc.trimEnd()}\n\n${START}\n${section}\n${END}\n`;
  return `${doc.slice(0, start + START.length)}\n${section}\n${doc.slice(end)}`;
}
