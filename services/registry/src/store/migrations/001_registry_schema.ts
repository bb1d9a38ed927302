// The registry's tables: repositories, blob links, manifests (bytes kept exactly as pushed), tags,
// tag history and upload sessions. Names and tags sort bytewise (collate "C"), as the spec's
// "ASCIIbetical" order asks, so pagination can walk an index.
import { sql, type Migration } from '@docksphere/db';

export const registrySchemaMigration: Migration = {
  name: '001_registry_schema',
  async up(db) {
    await sql`
      create table registry.repositories (
        name text collate "C" primary key,
        created_at timestamptz not null default now()
      )`.execute(db);
    // A blob is linked to each repository it was pushed or mounted into; the size is kept on the
    // link so a HEAD needs one row.
    await sql`
      create table registry.repository_blobs (
        repository text collate "C" not null references registry.repositories(name) on delete cascade,
        digest text not null,
        size bigint not null,
        linked_at timestamptz not null default now(),
        primary key (repository, digest)
      )`.execute(db);
    await sql`create index repository_blobs_digest on registry.repository_blobs (digest)`.execute(db);
    await sql`
      create table registry.manifests (
        repository text collate "C" not null references registry.repositories(name) on delete cascade,
        digest text not null,
        media_type text not null,
        size bigint not null,
        content bytea not null,
        subject text,
        artifact_type text,
        annotations jsonb,
        pushed_at timestamptz not null default now(),
        primary key (repository, digest)
      )`.execute(db);
    await sql`create index manifests_subject on registry.manifests (repository, subject) where subject is not null`.execute(db);
    await sql`
      create table registry.tags (
        repository text collate "C" not null references registry.repositories(name) on delete cascade,
        name text collate "C" not null,
        digest text not null,
        updated_at timestamptz not null default now(),
        primary key (repository, name),
        foreign key (repository, digest) references registry.manifests(repository, digest) on delete cascade
      )`.execute(db);
    // digest is null when the tag was deleted; previous_digest is null when the tag was new.
    await sql`
      create table registry.tag_history (
        id bigserial primary key,
        repository text collate "C" not null,
        tag text collate "C" not null,
        digest text,
        previous_digest text,
        pushed_at timestamptz not null default now(),
        pushed_by text not null
      )`.execute(db);
    await sql`create index tag_history_tag on registry.tag_history (repository, tag, id)`.execute(db);
    // claim_token/claimed_until serialise appends: one request holds the session while it streams.
    await sql`
      create table registry.uploads (
        id uuid primary key,
        repository text collate "C" not null,
        size bigint not null default 0,
        claim_token uuid,
        claimed_until timestamptz,
        created_at timestamptz not null default now(),
        updated_at timestamptz not null default now()
      )`.execute(db);
    await sql`create index uploads_updated on registry.uploads (updated_at)`.execute(db);
  },
};
