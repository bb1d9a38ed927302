// The reference tables garbage collection trusts: one row per stored blob with its storage state, and
// every manifest -> blob and manifest -> child manifest reference. Subject links are manifests.subject,
// repository links are repository_blobs. Filled here from what was pushed before they existed.
import { sql, type Migration } from '@docksphere/db';

export const referencesMigration: Migration = {
  name: '003_references',
  async up(db) {
    // state: live (usable), marked (a GC run found it unreferenced; any new reference revives it),
    // deleting (a GC run committed to deleting it: its bytes may be gone, nothing may reference it
    // again until re-pushed), corrupt (scrub found bytes that do not match the digest).
    await sql`
      create table registry.blobs (
        digest text primary key,
        size bigint not null,
        media_type text,
        state text not null default 'live' check (state in ('live', 'marked', 'deleting', 'corrupt')),
        created_at timestamptz not null default now(),
        last_referenced_at timestamptz not null default now(),
        gc_run bigint
      )`.execute(db);
    await sql`create index blobs_not_live on registry.blobs (state) where state <> 'live'`.execute(db);
    // Which upload is committing which digest: GC leaves a blob alone while an upload commits it.
    await sql`alter table registry.uploads add column committing_digest text`.execute(db);
    await sql`create index uploads_committing on registry.uploads (committing_digest) where committing_digest is not null`.execute(db);

    await sql`
      create table registry.manifest_blobs (
        repository text collate "C" not null,
        manifest_digest text not null,
        blob_digest text not null references registry.blobs(digest),
        primary key (repository, manifest_digest, blob_digest),
        foreign key (repository, manifest_digest) references registry.manifests(repository, digest) on delete cascade on update cascade
      )`.execute(db);
    await sql`create index manifest_blobs_blob on registry.manifest_blobs (blob_digest)`.execute(db);
    await sql`
      create table registry.manifest_children (
        repository text collate "C" not null,
        manifest_digest text not null,
        child_digest text not null,
        primary key (repository, manifest_digest, child_digest),
        foreign key (repository, manifest_digest) references registry.manifests(repository, digest) on delete cascade on update cascade
      )`.execute(db);
    await sql`create index manifest_children_child on registry.manifest_children (repository, child_digest)`.execute(db);

    // Backfill. Blobs: every linked digest, and every digest a manifest references (a link may have
    // been deleted since), sized from the link or else the manifest's descriptor.
    await sql`
      insert into registry.blobs (digest, size, created_at, last_referenced_at)
      select digest, max(size), min(linked_at), max(linked_at) from registry.repository_blobs group by digest
      on conflict (digest) do nothing`.execute(db);
    await sql`
      create temporary table manifest_refs on commit drop as
      select m.repository, m.digest as manifest_digest, d.value ->> 'digest' as blob_digest,
             (d.value ->> 'size')::bigint as size, d.value ->> 'mediaType' as media_type, m.pushed_at, d.kind
      from registry.manifests m
      cross join lateral (
        select 'blob' as kind, convert_from(m.content, 'UTF8')::jsonb -> 'config' as value
        union all
        select 'blob', l.value from jsonb_array_elements(case when jsonb_typeof(convert_from(m.content, 'UTF8')::jsonb -> 'layers') = 'array' then convert_from(m.content, 'UTF8')::jsonb -> 'layers' else '[]'::jsonb end) l
          where coalesce(jsonb_array_length(case when jsonb_typeof(l.value -> 'urls') = 'array' then l.value -> 'urls' else '[]'::jsonb end), 0) = 0
        union all
        select 'child', c.value from jsonb_array_elements(case when jsonb_typeof(convert_from(m.content, 'UTF8')::jsonb -> 'manifests') = 'array' then convert_from(m.content, 'UTF8')::jsonb -> 'manifests' else '[]'::jsonb end) c
      ) d
      where jsonb_typeof(d.value) = 'object' and d.value ->> 'digest' is not null`.execute(db);
    await sql`
      insert into registry.blobs (digest, size, media_type, created_at, last_referenced_at)
      select blob_digest, max(coalesce(size, 0)), max(media_type), min(pushed_at), max(pushed_at) from manifest_refs where kind = 'blob' group by blob_digest
      on conflict (digest) do update set media_type = coalesce(registry.blobs.media_type, excluded.media_type)`.execute(db);
    await sql`
      insert into registry.manifest_blobs (repository, manifest_digest, blob_digest)
      select distinct repository, manifest_digest, blob_digest from manifest_refs where kind = 'blob'`.execute(db);
    await sql`
      insert into registry.manifest_children (repository, manifest_digest, child_digest)
      select distinct repository, manifest_digest, blob_digest from manifest_refs where kind = 'child'`.execute(db);
    // A link names a blob row from now on, so no link can outlive its blob.
    await sql`
      alter table registry.repository_blobs add constraint repository_blobs_blob foreign key (digest) references registry.blobs(digest)`.execute(db);

    // Garbage collection runs: what each planned, did and freed.
    await sql`
      create table registry.gc_runs (
        id bigserial primary key,
        status text not null check (status in ('queued', 'running', 'succeeded', 'failed', 'cancelled')),
        dry_run boolean not null,
        delete_untagged boolean not null,
        grace_seconds integer not null,
        requested_by text not null,
        phase text,
        cutoff timestamptz,
        plan jsonb,
        progress jsonb not null default '{}'::jsonb,
        error text,
        created_at timestamptz not null default now(),
        started_at timestamptz,
        finished_at timestamptz
      )`.execute(db);
    await sql`create index gc_runs_created on registry.gc_runs (created_at desc)`.execute(db);
  },
};
