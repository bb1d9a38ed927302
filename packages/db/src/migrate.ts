// Forward-only, numbered migrations per schema, applied idempotently at start-up. Several
// processes may start at once: an advisory lock lets one apply while the others wait.
import { sql, type Kysely } from 'kysely';

export interface Migration {
  /** "001_create_repositories": applied in the order of this name. */
  name: string;
  up(db: Kysely<any>): Promise<void>;
}

function lockKey(schema: string): number {
  let h = 0;
  for (const c of schema) h = (h * 31 + c.charCodeAt(0)) | 0;
  return h;
}

export async function migrate(db: Kysely<any>, schema: string, migrations: readonly Migration[]): Promise<string[]> {
  if (!/^[a-z_][a-z0-9_]*$/.test(schema)) throw new Error(`invalid schema name ${schema}`);
  const sorted = [...migrations].sort((a, b) => a.name.localeCompare(b.name));
  return db.connection().execute(async (conn) => {
    await sql`select pg_advisory_lock(${lockKey(schema)})`.execute(conn);
    try {
      await sql`create schema if not exists ${sql.id(schema)}`.execute(conn);
      await sql`create table if not exists ${sql.id(schema, 'schema_migrations')} (name text primary key, applied_at timestamptz not null default now())`.execute(conn);
      const done = new Set(
        (await conn.withSchema(schema).selectFrom('schema_migrations').select('name').execute()).map((r: { name: string }) => r.name),
      );
      const applied: string[] = [];
      for (const m of sorted) {
        if (done.has(m.name)) continue;
        await conn.transaction().execute(async (trx) => {
          await m.up(trx);
          await trx.withSchema(schema).insertInto('schema_migrations').values({ name: m.name }).execute();
        });
        applied.push(m.name);
      }
      return applied;
    } finally {
      await sql`select pg_advisory_unlock(${lockKey(schema)})`.execute(conn);
    }
  });
}
