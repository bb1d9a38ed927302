// The audit trail: one hash-chained row per event, and the anchor retention leaves behind.
import { sql, type Migration } from '@docksphere/db';

export const auditEntriesMigration: Migration = {
  name: '001_audit_entries',
  async up(db) {
    await db.schema
      .withSchema('audit')
      .createTable('entries')
      .addColumn('seq', 'bigserial', (c) => c.primaryKey())
      .addColumn('id', 'text', (c) => c.notNull().unique())
      .addColumn('action', 'text', (c) => c.notNull())
      .addColumn('occurred_at', 'timestamptz', (c) => c.notNull())
      .addColumn('recorded_at', 'timestamptz', (c) => c.notNull())
      .addColumn('actor_subject', 'text', (c) => c.notNull())
      .addColumn('actor_name', 'text')
      .addColumn('ip', 'text')
      .addColumn('user_agent', 'text')
      .addColumn('repository', 'text')
      .addColumn('namespace', 'text')
      .addColumn('target', 'text')
      // Canonical JSON text, not jsonb: the bytes hashed are the bytes kept.
      .addColumn('details', 'text', (c) => c.notNull())
      .addColumn('prev_hash', 'text', (c) => c.notNull())
      .addColumn('hash', 'text', (c) => c.notNull())
      .execute();
    await sql`create index entries_repository_seq on audit.entries (repository, seq)`.execute(db);
    await sql`create index entries_namespace_seq on audit.entries (namespace, seq)`.execute(db);
    await sql`create index entries_action_seq on audit.entries (action, seq)`.execute(db);
    await sql`create index entries_actor_seq on audit.entries (actor_subject, seq)`.execute(db);
    await sql`create index entries_actor_name_seq on audit.entries (actor_name, seq)`.execute(db);
    await sql`create index entries_occurred_at on audit.entries (occurred_at)`.execute(db);
    // The failed-login alert rule counts one target's entries in a time window.
    await sql`create index entries_target_action on audit.entries (target, action, occurred_at)`.execute(db);
    // Retention removes the oldest entries; the hash of the last one removed is kept so the
    // first remaining entry can still be checked against it.
    await db.schema
      .withSchema('audit')
      .createTable('chain_anchor')
      .addColumn('id', 'integer', (c) => c.primaryKey())
      .addColumn('pruned_through_seq', 'bigint', (c) => c.notNull())
      .addColumn('hash', 'text', (c) => c.notNull())
      .addColumn('pruned_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
      .execute();
  },
};
