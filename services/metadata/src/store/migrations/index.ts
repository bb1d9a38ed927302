// The "platform" schema's migrations, applied in name order: the outbox, the processed-events
// record of the event consumers, then the metadata tables.
import { migrate, type Kysely, type Migration } from '@docksphere/db';
import { outboxMigration, processedEventsMigration } from '@docksphere/events';
import { platformSchema } from './001_platform.ts';
import { seededPages } from './002_seeded_pages.ts';
import { findUserGuideDir, seedUserGuide } from '../../domain/user-guide.ts';

export const METADATA_SCHEMA = 'platform';

export const metadataMigrations: readonly Migration[] = [outboxMigration(METADATA_SCHEMA), processedEventsMigration(METADATA_SCHEMA), platformSchema, seededPages];

/**
 * Applies the platform schema's migrations (idempotent; safe with several replicas starting at once),
 * then seeds the shipped user guide pages not seeded before (userGuideDir: docs/user-guide found upward).
 */
export async function migrateMetadata(db: Kysely<any>, options: { userGuideDir?: string | undefined } = {}): Promise<string[]> {
  const applied = await migrate(db, METADATA_SCHEMA, metadataMigrations);
  await seedUserGuide(db, options.userGuideDir ?? findUserGuideDir());
  return applied;
}
