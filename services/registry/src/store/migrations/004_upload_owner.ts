// Who opened each upload session, so the number of sessions one user holds open can be bounded.
import { sql, type Migration } from '@docksphere/db';

export const uploadOwnerMigration: Migration = {
  name: '004_upload_owner',
  async up(db) {
    await sql`alter table registry.uploads add column opened_by text`.execute(db);
    await sql`create index uploads_opened_by on registry.uploads (opened_by) where opened_by is not null`.execute(db);
  },
};
