// The "platform" schema's migrations, applied in name order: the outbox, the processed-events
// record of the event consumers, then the metadata tables.
import { migrate, type Kysely, type Migration } from '@docksphere/db';
import { outboxMigration, processedEventsMigration } from '@docksphere/events';
import { platformSchema } from './001_platform.ts';

export const METADATA_SCHEMA = 'platform';

export const metadataMigrations: readonly Migration[] = [outboxMigration(METADATA_SCHEMA), processedEventsMigration(METADATA_SCHEMA), platformSchema];

/** Applies the platform schema's migrations (idempotent; safe with several replicas starting at once). */
export async function migrateMetadata(db: Kysely<any>): Promise<string[]> {
  return migrate(db, METADATA_SCHEMA, metadataMigrations);
}
