// The registry schema's migrations, in order; migrateRegistry applies them at start-up.
import type { Migration } from '@docksphere/db';
import { outboxMigration } from '@docksphere/events';
import { registrySchemaMigration } from './001_registry_schema.ts';
import { processedEventsTableMigration } from './002_processed_events.ts';
import { referencesMigration } from './003_references.ts';
import { uploadOwnerMigration } from './004_upload_owner.ts';

export const REGISTRY_SCHEMA = 'registry';

export const registryMigrations: readonly Migration[] = [outboxMigration(REGISTRY_SCHEMA), registrySchemaMigration, processedEventsTableMigration, referencesMigration, uploadOwnerMigration];
