// Runs Kysely's Postgres dialect on embedded PGlite. PGlite has one connection, so the pool
// hands it out to one holder at a time: a transaction never interleaves with another's queries.
import { PGlite } from '@electric-sql/pglite';
import { PostgresDialect } from 'kysely';

interface QueryResultLike {
  command: string;
  rowCount: number;
  rows: unknown[];
}

function commandOf(sql: string): string {
  const m = /^\s*(?:with\b[\s\S]*?\)\s*)?(\w+)/i.exec(sql);
  return (m?.[1] ?? '').toUpperCase();
}

export function createPGliteDialect(pglite: PGlite): PostgresDialect {
  let queue: Promise<void> = Promise.resolve();
  const client = {
    async query(sql: string, params: readonly unknown[]): Promise<QueryResultLike> {
      const result = await pglite.query(sql, params as unknown[]);
      return { command: commandOf(sql), rowCount: result.affectedRows ?? result.rows.length, rows: result.rows };
    },
    release() {},
  };
  const pool = {
    connect(): Promise<typeof client> {
      let release!: () => void;
      const held = new Promise<void>((resolve) => (release = resolve));
      const acquired = queue.then(() => ({ ...client, release }));
      queue = queue.then(() => held);
      return acquired;
    },
    async end(): Promise<void> {},
  };
  return new PostgresDialect({ pool: pool as never });
}
