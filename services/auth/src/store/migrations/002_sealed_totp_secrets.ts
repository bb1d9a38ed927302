// TOTP seeds are stored encrypted: the id of the key that sealed each one sits beside it (null
// marks a seed from before encryption, sealed at the next start by sealStoredTotpSecrets).
import type { Migration } from '@docksphere/db';

export const sealedTotpSecretsMigration: Migration = {
  name: '002_sealed_totp_secrets',
  async up(db) {
    await db.schema.withSchema('identity').alterTable('users').addColumn('totp_secret_key_id', 'text').execute();
  },
};
