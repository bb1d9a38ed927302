// Remembers which shipped documentation pages were seeded, so an admin's deletion is not undone at the next start.
import { sql, type Migration } from '@docksphere/db';

export const seededPages: Migration = {
  name: '002_seeded_pages',
  async up(db) {
    await sql`create table platform.seeded_pages (slug text primary key, seeded_at timestamptz not null default now())`.execute(db);
  },
};
