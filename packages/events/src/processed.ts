// Exactly-once handling on top of at-least-once delivery: a consumer records each event id it has
// handled in the same transaction as the handler's own writes, and skips ids it has seen.
import { sql, type Kysely, type Migration, type Transaction } from '@docksphere/db';
import type { DomainEvent } from './catalogue.ts';

/** The migration that creates <schema>.processed_events; a consuming service lists it among its own. */
export function processedEventsMigration(schema: string, name = '000_processed_events'): Migration {
  return {
    name,
    async up(db) {
      await db.schema
        .withSchema(schema)
        .createTable('processed_events')
        .ifNotExists()
        .addColumn('consumer', 'text', (c) => c.notNull())
        .addColumn('event_id', 'text', (c) => c.notNull())
        .addColumn('event_type', 'text', (c) => c.notNull())
        .addColumn('processed_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
        .addPrimaryKeyConstraint('processed_events_pkey', ['consumer', 'event_id'])
        .execute();
      await sql`create index if not exists processed_events_processed_at on ${sql.id(schema, 'processed_events')} (processed_at)`.execute(db);
    },
  };
}

/**
 * Runs fn(trx) for the event unless `consumer` already handled it, recording the event id in the same
 * transaction: either both fn's writes and the record commit, or neither. Resolves true when fn ran,
 * false for a duplicate. A concurrent delivery of the same event waits on the first one's row lock and
 * then sees it as a duplicate (or runs, if the first rolled back).
 */
export async function handleOnce(
  db: Kysely<any>,
  schema: string,
  consumer: string,
  event: DomainEvent,
  fn: (trx: Transaction<any>) => Promise<void>,
): Promise<boolean> {
  return db.transaction().execute(async (trx) => {
    const inserted = await trx
      .withSchema(schema)
      .insertInto('processed_events')
      .values({ consumer, event_id: event.id, event_type: event.type })
      .onConflict((oc) => oc.columns(['consumer', 'event_id']).doNothing())
      .returning('event_id')
      .execute();
    if (inserted.length === 0) return false;
    await fn(trx);
    return true;
  });
}

/** Forgets records older than the given age (they only need to outlive redelivery); returns how many. */
export async function pruneProcessedEvents(db: Kysely<any>, schema: string, olderThanMs: number): Promise<number> {
  const result = await db
    .withSchema(schema)
    .deleteFrom('processed_events')
    .where('processed_at', '<', new Date(Date.now() - olderThanMs))
    .executeTakeFirst();
  return Number(result.numDeletedRows);
}
