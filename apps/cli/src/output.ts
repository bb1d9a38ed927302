// How results are printed: a table on a terminal (cli-table3), tab-separated lines in a pipe,
// JSON with --json, filtered by a real jq (jq-wasm) with --jq. Colors (picocolors) only on a
// terminal and never with NO_COLOR.
import Table from 'cli-table3';
import pc from 'picocolors';
import { CliError, EXIT } from './exit-codes.ts';

export interface OutputOptions {
  json?: boolean;
  jq?: string;
}

export interface Column<T> {
  header: string;
  value: (row: T) => unknown;
}

export const isTerminal = () => process.stdout.isTTY === true;
export const colors = pc.createColors(isTerminal() && !('NO_COLOR' in process.env && process.env.NO_COLOR !== ''));

export function cell(value: unknown): string {
  if (value === null || value === undefined) return '';
  if (Array.isArray(value)) return value.map(cell).join(',');
  if (typeof value === 'object') return JSON.stringify(value);
  return String(value);
}

/** The table a terminal shows (used by the golden-file tests too). */
export function renderTable<T>(rows: readonly T[], columns: readonly Column<T>[], useColor: boolean): string {
  const c = pc.createColors(useColor);
  const table = new Table({
    head: columns.map((col) => c.bold(col.header)),
    style: { head: [], border: [] },
    chars: { top: '', 'top-mid': '', 'top-left': '', 'top-right': '', bottom: '', 'bottom-mid': '', 'bottom-left': '', 'bottom-right': '', left: '', 'left-mid': '', mid: '', 'mid-mid': '', right: '', 'right-mid': '', middle: '  ' },
  });
  for (const row of rows) table.push(columns.map((col) => cell(col.value(row)).replace(/[\r\n\t]+/g, ' ')));
  return table.toString().split('\n').map((line) => line.replace(/^ /, '').trimEnd()).join('\n');
}

/** Tab-separated rows for pipes: no header, one line per row, tabs and newlines in values as spaces. */
export function renderTsv<T>(rows: readonly T[], columns: readonly Column<T>[]): string {
  return rows.map((row) => columns.map((col) => cell(col.value(row)).replace(/[\r\n\t]+/g, ' ')).join('\t')).join('\n');
}

async function printJson(data: unknown, opts: OutputOptions): Promise<void> {
  if (opts.jq !== undefined) {
    const jq = await import('jq-wasm');
    let out: string;
    try {
      out = await jq.raw(JSON.stringify(data), opts.jq, isTerminal() ? [] : []);
    } catch (err) {
      throw new CliError(`--jq: ${(err instanceof Error ? err.message : String(err)).trim()}`, EXIT.usage);
    }
    if (out !== '') process.stdout.write(out.endsWith('\n') ? out : `${out}\n`);
    return;
  }
  process.stdout.write(`${JSON.stringify(data, null, 2)}\n`);
}

/** A list: table, TSV, or the items as a JSON array. */
export async function printList<T>(rows: readonly T[], columns: readonly Column<T>[], opts: OutputOptions): Promise<void> {
  if (opts.json || opts.jq !== undefined) return printJson(rows, opts);
  if (rows.length === 0) {
    if (isTerminal()) process.stderr.write('no results\n');
    return;
  }
  process.stdout.write(`${isTerminal() ? renderTable(rows, columns, colors.isColorSupported) : renderTsv(rows, columns)}\n`);
}

/** One object: "field  value" lines (tab-separated in a pipe), or the object as JSON. */
export async function printObject(data: object, fields: readonly [string, unknown][], opts: OutputOptions): Promise<void> {
  if (opts.json || opts.jq !== undefined) return printJson(data, opts);
  const width = Math.max(...fields.map(([k]) => k.length));
  const sep = isTerminal() ? undefined : '\t';
  for (const [key, value] of fields) process.stdout.write(`${sep ? `${key}${sep}` : `${colors.bold(key.padEnd(width))}  `}${cell(value)}\n`);
}

/** A status line for the user (stderr, so stdout stays parseable). */
export function note(message: string): void {
  process.stderr.write(`${message}\n`);
}

export function success(message: string): void {
  process.stderr.write(`${colors.green('✓')} ${message}\n`);
}
