// The identity schema's migrations, in order, and the function that applies them.
import { migrate, type Kysely, type Migration } from '@docksphere/db';
import { outboxMigration } from '@docksphere/events';
import { identitySchema } from './001_identity.ts';
import { sealedTotpSecretsMigration } from './002_sealed_totp_secrets.ts';

export const AUTH_SCHEMA = 'identity';

export const authMigrations: readonly Migration[] = [outboxMigration(AUTH_SCHEMA), identitySchema, sealedTotpSecretsMigration];

/** Creates or upgrades the identity schema; safe to call at every start, from several processes. */
export async function migrateAuth(db: Kysely<any>): Promise<string[]> {
  return migrate(db, AUTH_SCHEMA, authMigrations);
}
