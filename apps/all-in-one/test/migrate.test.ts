// `docksphere migrate` (the image's one-shot step) against a real PostgreSQL: applies every
// service's schema, is idempotent, and two runs started at once both succeed without applying
// anything twice. Runs the built launcher (scripts/build.mjs runs before the tests in `npm test`).
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { postgresBinDir, requireServer, startPostgres, type RunningPostgres } from '@docksphere/infra';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const launcher = path.join(root, 'apps/all-in-one/bin/docksphere');
const available = requireServer('PostgreSQL', postgresBinDir() !== undefined);

function runMigrate(env: Record<string, string>, args: string[] = []): Promise<{ code: number; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(launcher, ['migrate', ...args], { env: { PATH: process.env.PATH ?? '', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (c: Buffer) => (output += c.toString()));
    child.stderr.on('data', (c: Buffer) => (output += c.toString()));
    child.once('error', reject);
    child.once('close', (code) => resolve({ code: code ?? 1, output }));
  });
}

describe.skipIf(!available)('docksphere migrate', () => {
  let postgres: RunningPostgres;
  beforeAll(async () => {
    if (!existsSync(path.join(root, 'apps/all-in-one/dist/migrate.mjs'))) throw new Error('apps/all-in-one/dist/migrate.mjs is missing: run node scripts/build.mjs');
    postgres = await startPostgres();
  });
  afterAll(async () => {
    await postgres?.stop();
  });

  async function appliedMigrations(): Promise<string[]> {
    const client = new pg.Client({ connectionString: postgres.url });
    await client.connect();
    try {
      const names: string[] = [];
      for (const schema of ['registry', 'identity', 'platform', 'audit']) {
        const { rows } = await client.query<{ name: string }>(`select name from ${schema}.schema_migrations order by name`);
        names.push(...rows.map((r) => `${schema}/${r.name}`));
      }
      return names;
    } finally {
      await client.end();
    }
  }

  it('applies every schema once when two runs start at once, and is a no-op afterwards', async () => {
    const env = { DATABASE_URL: postgres.url, LOG_LEVEL: 'info' };
    const [a, b] = await Promise.all([runMigrate(env), runMigrate(env)]);
    expect(a.code, a.output).toBe(0);
    expect(b.code, b.output).toBe(0);
    const applied = await appliedMigrations();
    expect(new Set(applied).size).toBe(applied.length);
    for (const schema of ['registry', 'identity', 'platform', 'audit']) expect(applied.some((n) => n.startsWith(`${schema}/`))).toBe(true);

    const again = await runMigrate(env);
    expect(again.code, again.output).toBe(0);
    expect(again.output).toContain('already up to date');
    expect(await appliedMigrations()).toEqual(applied);
  });

  it('stops with the config error when the config file is bad', async () => {
    const r = await runMigrate({}, ['--config', path.join(root, 'no-such-docksphere.yaml')]);
    expect(r.code).toBe(1);
    expect(r.output).toContain('cannot read config file');
  });
});
