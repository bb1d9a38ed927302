// The hooks service's migrations, schema "audit": the processed-events and outbox tables from
// @docksphere/events, then its own numbered migrations.
import { migrate, type Kysely, type Migration } from '@docksphere/db';
import { outboxMigration, processedEventsMigration } from '@docksphere/events';
import { auditEntriesMigration } from './001_audit_entries.ts';
import { webhooksMigration } from './002_webhooks.ts';
import { notificationsMigration } from './003_notifications.ts';
import { sealedSecretsMigration } from './004_sealed_secrets.ts';

export const HOOKS_SCHEMA = 'audit';

export const hooksMigrations: readonly Migration[] = [
  processedEventsMigration(HOOKS_SCHEMA, '000_processed_events'),
  outboxMigration(HOOKS_SCHEMA, '000_outbox'),
  auditEntriesMigration,
  webhooksMigration,
  notificationsMigration,
  sealedSecretsMigration,
];

/** Applies the pending migrations of schema "audit"; safe to call at every start and from several processes. */
export async function migrateHooks(db: Kysely<any>): Promise<string[]> {
  return migrate(db, HOOKS_SCHEMA, hooksMigrations);
}
