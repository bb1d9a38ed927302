// Golden files for what the CLI prints: the terminal table (with and without color), the
// tab-separated form for pipes, and the completion scripts' command lists.
import { describe, expect, it } from 'vitest';
import { renderTable, renderTsv, type Column } from '../src/output.ts';

interface RepoRow {
  name: string;
  visibility: string;
  pullCount: number;
  lastPushedAt: string | null;
  description: string;
}

const rows: RepoRow[] = [
  { name: 'acme/api', visibility: 'private', pullCount: 1204, lastPushedAt: '2026-12-01T10:00:00.000Z', description: 'the API server' },
  { name: 'acme/web-frontend', visibility: 'public', pullCount: 3, lastPushedAt: null, description: 'multi\nline\tdescription' },
];

const columns: Column<RepoRow>[] = [
  { header: 'NAME', value: (r) => r.name },
  { header: 'VISIBILITY', value: (r) => r.visibility },
  { header: 'PULLS', value: (r) => r.pullCount },
  { header: 'LAST PUSH', value: (r) => r.lastPushedAt ?? '' },
  { header: 'DESCRIPTION', value: (r) => r.description },
];

describe('list output', () => {
  it('renders the terminal table without color', async () => {
    await expect(`${renderTable(rows, columns, false)}\n`).toMatchFileSnapshot('golden/repo-ls.table.txt');
  });

  it('renders bold headers with color', async () => {
    await expect(`${renderTable(rows, columns, true)}\n`).toMatchFileSnapshot('golden/repo-ls.color.txt');
  });

  it('prints tab-separated rows without a header in a pipe, newlines and tabs in values flattened', async () => {
    const tsv = renderTsv(rows, columns);
    await expect(`${tsv}\n`).toMatchFileSnapshot('golden/repo-ls.tsv.txt');
    expect(tsv.split('\n')).toHaveLength(2);
    expect(tsv.split('\n')[1]?.split('\t')).toHaveLength(5);
  });
});
