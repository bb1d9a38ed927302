// Webhook signing secrets are stored encrypted: the id of the key that sealed each one sits beside
// it (null marks a value from before encryption, sealed at the next start by sealStoredSigningSecrets).
import type { Migration } from '@docksphere/db';

export const sealedSecretsMigration: Migration = {
  name: '004_sealed_secrets',
  async up(db) {
    await db.schema.withSchema('audit').alterTable('subscriptions').addColumn('secret_key_id', 'text').execute();
  },
};
