// Opens the one SQL database: a real Postgres when a URL is given, embedded PGlite otherwise.
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { Kysely, PostgresDialect } from 'kysely';
import pg from 'pg';
import { PGlite } from '@electric-sql/pglite';
import { createPGliteDialect } from './pglite-dialect.ts';

// int8 (counts, sizes) as JS numbers: every size DockSphere stores is far below 2^53.
pg.types.setTypeParser(20, (v: string) => Number(v));

export interface Database {
  db: Kysely<any>;
  kind: 'postgres' | 'pglite';
  close(): Promise<void>;
}

export interface DatabaseOptions {
  url?: string | undefined;
  /** Data directory for PGlite; "memory://" keeps it in memory (tests). */
  dataDir?: string;
  maxConnections?: number;
  /**
   * PGlite only: answer a query without waiting for its flush to disk (the flush still runs).
   * Much faster; a crash can lose the last moments of writes. Real Postgres is for durability.
   */
  relaxedDurability?: boolean;
}

export async function openDatabase(options: DatabaseOptions): Promise<Database> {
  if (options.url) {
    const pool = new pg.Pool({ connectionString: options.url, max: options.maxConnections ?? 20 });
    // An idle client whose server went away (restart, shutdown) must not crash the process: the
    // pool drops it and the next query opens a new connection.
    pool.on('error', () => {});
    const db = new Kysely<any>({ dialect: new PostgresDialect({ pool }) });
    return { db, kind: 'postgres', close: () => db.destroy() };
  }
  const dataDir = options.dataDir ?? 'memory://';
  // Only the parent: PGlite initialises a new cluster when its own directory does not exist yet.
  if (!dataDir.startsWith('memory://')) mkdirSync(path.dirname(dataDir), { recursive: true });
  const pglite = await PGlite.create(dataDir, { parsers: { 20: (v: string) => Number(v) }, relaxedDurability: options.relaxedDurability ?? false });
  const db = new Kysely<any>({ dialect: createPGliteDialect(pglite) });
  return {
    db,
    kind: 'pglite',
    async close() {
      await db.destroy();
      await pglite.close();
    },
  };
}
