// The registry's SQL: every query on the "registry" schema lives here, named for what it does.
import { sql, type Kysely, type Transaction } from '@docksphere/db';
import { appendToOutbox, type DomainEvent } from '@docksphere/events';
import { REGISTRY_SCHEMA } from './migrations/index.ts';
import { blobLockKey, lockKeys, reviveForMount } from './references.ts';

type Db = Kysely<any> | Transaction<any>;

export interface StoredManifest {
  digest: string;
  mediaType: string;
  size: number;
  content: Uint8Array;
}

export interface ManifestRecord {
  repository: string;
  digest: string;
  mediaType: string;
  size: number;
  content: Uint8Array;
  subject: string | undefined;
  artifactType: string | undefined;
  annotations: Record<string, string> | undefined;
}

export interface ReferrerRow {
  digest: string;
  mediaType: string;
  size: number;
  artifactType: string | undefined;
  annotations: Record<string, string> | undefined;
}

export interface UploadRow {
  id: string;
  repository: string;
  size: number;
}

export type UploadClaim =
  | { ok: true; size: number }
  | { ok: false; reason: 'unknown' }
  | { ok: false; reason: 'busy'; size: number };

function r(db: Db) {
  return db.withSchema(REGISTRY_SCHEMA);
}

function toBytes(v: unknown): Uint8Array {
  if (v instanceof Uint8Array) return v;
  throw new Error('manifest content is not bytea');
}

function parseJsonColumn(v: unknown): Record<string, string> | undefined {
  if (v === null || v === undefined) return undefined;
  return (typeof v === 'string' ? JSON.parse(v) : v) as Record<string, string>;
}

export async function repositoryExists(db: Db, repository: string): Promise<boolean> {
  const row = await r(db).selectFrom('repositories').select('name').where('name', '=', repository).executeTakeFirst();
  return row !== undefined;
}

export async function ensureRepository(db: Db, repository: string): Promise<void> {
  await r(db).insertInto('repositories').values({ name: repository }).onConflict((oc) => oc.column('name').doNothing()).execute();
}

// ---- blobs --------------------------------------------------------------------------------

/** Size of a blob linked to the repository, or undefined when it is not linked there. */
export async function linkedBlobSize(db: Db, repository: string, digest: string): Promise<number | undefined> {
  const row = await r(db)
    .selectFrom('repository_blobs')
    .select('size')
    .where('repository', '=', repository)
    .where('digest', '=', digest)
    .executeTakeFirst();
  return row === undefined ? undefined : Number(row.size);
}

/**
 * Links a blob to the repository (a re-link counts as fresh for GC's grace period). The blob's row
 * must exist: call under the digest's shared lock, after finishBlobCommit or reviveForMount.
 */
export async function linkBlob(db: Db, repository: string, digest: string, size: number): Promise<void> {
  await ensureRepository(db, repository);
  await r(db)
    .insertInto('repository_blobs')
    .values({ repository, digest, size })
    .onConflict((oc) => oc.columns(['repository', 'digest']).doUpdateSet({ linked_at: sql`now()` }))
    .execute();
}

/** Links a blob another repository holds, unless a GC run is deleting it (then false, nothing changed). */
export async function mountBlob(trx: Transaction<any>, repository: string, digest: string, size: number): Promise<boolean> {
  if (!(await reviveForMount(trx, digest))) return false;
  await linkBlob(trx, repository, digest, size);
  return true;
}

/** What a blob unlink did: removed the link, found none, or refused because a manifest still references the blob. */
export type BlobUnlink = { kind: 'unlinked' } | { kind: 'unknown' } | { kind: 'referenced'; manifest: string };

/**
 * Removes the blob's link unless a manifest of the repository references it (manifest_blobs: a
 * layer, config or other blob descriptor). Under the digest's lock taken exclusively, so a manifest
 * PUT that references the blob (it takes the lock shared) either committed before, and is seen, or
 * checks the link after, and finds it gone.
 */
export async function unlinkBlob(trx: Transaction<any>, repository: string, digest: string): Promise<BlobUnlink> {
  await lockKeys(trx, [blobLockKey(digest)], 'exclusive');
  const referencing = r(trx).selectFrom('manifest_blobs').select('manifest_digest').where('repository', '=', repository).where('blob_digest', '=', digest);
  const by = await referencing.limit(1).executeTakeFirst();
  if (by !== undefined) return { kind: 'referenced', manifest: by.manifest_digest as string };
  const res = await r(trx).deleteFrom('repository_blobs').where('repository', '=', repository).where('digest', '=', digest).executeTakeFirst();
  return Number(res.numDeletedRows) > 0 ? { kind: 'unlinked' } : { kind: 'unknown' };
}

/** A repository, among `candidates`, that has the blob linked (for mounts without `from`). */
export async function findBlobLink(db: Db, digest: string, candidates: readonly string[] | 'any'): Promise<{ repository: string; size: number } | undefined> {
  let q = r(db).selectFrom('repository_blobs').select(['repository', 'size']).where('digest', '=', digest);
  if (candidates !== 'any') {
    if (candidates.length === 0) return undefined;
    q = q.where('repository', 'in', [...candidates]);
  }
  const row = await q.limit(1).executeTakeFirst();
  return row === undefined ? undefined : { repository: row.repository as string, size: Number(row.size) };
}

// ---- manifests ----------------------------------------------------------------------------

export async function getManifest(db: Db, repository: string, digest: string): Promise<StoredManifest | undefined> {
  const row = await r(db)
    .selectFrom('manifests')
    .select(['digest', 'media_type', 'size', 'content'])
    .where('repository', '=', repository)
    .where('digest', '=', digest)
    .executeTakeFirst();
  if (!row) return undefined;
  return { digest: row.digest, mediaType: row.media_type, size: Number(row.size), content: toBytes(row.content) };
}

export async function resolveTag(db: Db, repository: string, tag: string): Promise<string | undefined> {
  const row = await r(db).selectFrom('tags').select('digest').where('repository', '=', repository).where('name', '=', tag).executeTakeFirst();
  return row?.digest as string | undefined;
}

export async function insertManifest(trx: Db, m: ManifestRecord): Promise<void> {
  await ensureRepository(trx, m.repository);
  await r(trx)
    .insertInto('manifests')
    .values({
      repository: m.repository,
      digest: m.digest,
      media_type: m.mediaType,
      size: m.size,
      content: m.content,
      subject: m.subject ?? null,
      artifact_type: m.artifactType ?? null,
      annotations: m.annotations === undefined ? null : JSON.stringify(m.annotations),
    })
    .onConflict((oc) => oc.columns(['repository', 'digest']).doNothing())
    .execute();
}

/**
 * Points the tag at digest and appends the move to the tag history. Serialised per tag with a
 * transaction-scoped advisory lock, so the history's previous digest is exact under concurrent pushes.
 */
export async function moveTag(trx: Transaction<any>, repository: string, tag: string, digest: string, pushedBy: string): Promise<string | undefined> {
  await sql`select pg_advisory_xact_lock(hashtext(${repository + ':' + tag}))`.execute(trx);
  const previous = await resolveTag(trx, repository, tag);
  if (previous === digest) return previous;
  await r(trx)
    .insertInto('tags')
    .values({ repository, name: tag, digest })
    .onConflict((oc) => oc.columns(['repository', 'name']).doUpdateSet({ digest, updated_at: sql`now()` }))
    .execute();
  await r(trx).insertInto('tag_history').values({ repository, tag, digest, previous_digest: previous ?? null, pushed_by: pushedBy }).execute();
  return previous;
}

export async function deleteTag(trx: Transaction<any>, repository: string, tag: string, deletedBy: string): Promise<string | undefined> {
  await sql`select pg_advisory_xact_lock(hashtext(${repository + ':' + tag}))`.execute(trx);
  const row = await r(trx).deleteFrom('tags').where('repository', '=', repository).where('name', '=', tag).returning('digest').executeTakeFirst();
  if (!row) return undefined;
  await r(trx).insertInto('tag_history').values({ repository, tag, digest: null, previous_digest: row.digest, pushed_by: deletedBy }).execute();
  return row.digest as string;
}

/** Deletes a manifest and the tags pointing at it; resolves with those tags, or undefined when absent. */
export async function deleteManifest(trx: Transaction<any>, repository: string, digest: string, deletedBy: string): Promise<string[] | undefined> {
  const tags = await r(trx).deleteFrom('tags').where('repository', '=', repository).where('digest', '=', digest).returning('name').execute();
  const res = await r(trx).deleteFrom('manifests').where('repository', '=', repository).where('digest', '=', digest).executeTakeFirst();
  if (Number(res.numDeletedRows) === 0) return undefined;
  const names = tags.map((t: { name: string }) => t.name);
  if (names.length > 0) {
    await r(trx)
      .insertInto('tag_history')
      .values(names.map((tag: string) => ({ repository, tag, digest: null, previous_digest: digest, pushed_by: deletedBy })))
      .execute();
  }
  return names;
}

/**
 * One page of tag names in order. The page comes back as one JSON array row, not a row per tag: the
 * client library parses each row in JS, and for a thousand tags that parsing cost several times the query.
 */
export async function listTags(db: Db, repository: string, last: string | undefined, limit: number): Promise<string[]> {
  let q = r(db).selectFrom('tags').select('name').where('repository', '=', repository);
  if (last !== undefined) q = q.where('name', '>', last);
  const page = q.orderBy('name').limit(limit).as('page');
  const row = await db
    .selectFrom(page)
    .select(sql<unknown>`coalesce(json_agg(page.name order by page.name), '[]'::json)`.as('names'))
    .executeTakeFirst();
  const names = typeof row?.names === 'string' ? (JSON.parse(row.names) as unknown) : row?.names;
  return Array.isArray(names) ? (names as string[]) : [];
}

export async function listRepositories(db: Db, last: string | undefined, limit: number): Promise<string[]> {
  let q = r(db).selectFrom('repositories').select('name');
  if (last !== undefined) q = q.where('name', '>', last);
  const rows = await q.orderBy('name').limit(limit).execute();
  return rows.map((x: { name: string }) => x.name);
}

export async function listReferrers(
  db: Db,
  repository: string,
  subject: string,
  artifactType: string | undefined,
  after: string | undefined,
  limit: number,
): Promise<ReferrerRow[]> {
  let q = r(db)
    .selectFrom('manifests')
    .select(['digest', 'media_type', 'size', 'artifact_type', 'annotations'])
    .where('repository', '=', repository)
    .where('subject', '=', subject);
  if (artifactType !== undefined) q = q.where('artifact_type', '=', artifactType);
  if (after !== undefined) q = q.where('digest', '>', after);
  const rows = await q.orderBy('digest').limit(limit).execute();
  return rows.map((x: any) => ({
    digest: x.digest,
    mediaType: x.media_type,
    size: Number(x.size),
    artifactType: x.artifact_type ?? undefined,
    annotations: parseJsonColumn(x.annotations),
  }));
}

// ---- upload sessions ----------------------------------------------------------------------

/**
 * Records a new session. With `limit`, refuses (returns false) when `openedBy` already holds that
 * many open sessions; the count and insert are serialised per user by a transaction-scoped lock.
 */
export async function createUpload(db: Kysely<any>, id: string, repository: string, openedBy: string | undefined, limit?: number): Promise<boolean> {
  if (openedBy === undefined || limit === undefined || limit <= 0) {
    await r(db).insertInto('uploads').values({ id, repository, opened_by: openedBy ?? null }).execute();
    return true;
  }
  return db.transaction().execute(async (trx) => {
    await sql`select pg_advisory_xact_lock(hashtext(${'registry-uploads:' + openedBy}))`.execute(trx);
    const row = await r(trx).selectFrom('uploads').select((eb) => eb.fn.countAll<string>().as('n')).where('opened_by', '=', openedBy).executeTakeFirst();
    if (Number(row?.n ?? 0) >= limit) return false;
    await r(trx).insertInto('uploads').values({ id, repository, opened_by: openedBy }).execute();
    return true;
  });
}

/** The session, only when it belongs to this repository (an id used under another name is unknown). */
export async function getUpload(db: Db, id: string, repository: string): Promise<UploadRow | undefined> {
  const row = await r(db).selectFrom('uploads').select(['id', 'repository', 'size']).where('id', '=', id).where('repository', '=', repository).executeTakeFirst();
  return row ? { id: row.id, repository: row.repository, size: Number(row.size) } : undefined;
}

/**
 * Takes the session for one request: succeeds only if no other request holds an unexpired claim.
 * The lease bounds how long a crashed holder can block the session.
 */
export async function claimUpload(db: Db, id: string, repository: string, token: string, leaseSeconds: number): Promise<UploadClaim> {
  const row = await r(db)
    .updateTable('uploads')
    .set({ claim_token: token, claimed_until: sql`now() + make_interval(secs => ${leaseSeconds})`, updated_at: sql`now()` })
    .where('id', '=', id)
    .where('repository', '=', repository)
    .where((eb) => eb.or([eb('claimed_until', 'is', null), eb('claimed_until', '<', sql<Date>`now()`)]))
    .returning('size')
    .executeTakeFirst();
  if (row) return { ok: true, size: Number(row.size) };
  const existing = await getUpload(db, id, repository);
  return existing ? { ok: false, reason: 'busy', size: existing.size } : { ok: false, reason: 'unknown' };
}

export async function renewUploadClaim(db: Db, id: string, token: string, leaseSeconds: number): Promise<void> {
  await r(db)
    .updateTable('uploads')
    .set({ claimed_until: sql`now() + make_interval(secs => ${leaseSeconds})`, updated_at: sql`now()` })
    .where('id', '=', id)
    .where('claim_token', '=', token)
    .execute();
}

/** Records the new size and releases the claim; false when the session was cancelled meanwhile. */
export async function releaseUpload(db: Db, id: string, token: string, size: number | undefined): Promise<boolean> {
  const res = await r(db)
    .updateTable('uploads')
    .set({ ...(size === undefined ? {} : { size }), claim_token: null, claimed_until: null, updated_at: sql`now()` })
    .where('id', '=', id)
    .where('claim_token', '=', token)
    .executeTakeFirst();
  return Number(res.numUpdatedRows) > 0;
}

export async function deleteUpload(db: Db, id: string, repository: string): Promise<boolean> {
  const res = await r(db).deleteFrom('uploads').where('id', '=', id).where('repository', '=', repository).executeTakeFirst();
  return Number(res.numDeletedRows) > 0;
}

/** Deletes sessions idle longer than ttl and not held by a live claim; resolves with their ids. */
export async function deleteExpiredUploads(db: Db, ttlSeconds: number, limit: number): Promise<string[]> {
  const rows = await sql<{ id: string }>`
    delete from registry.uploads where id in (
      select id from registry.uploads
      where updated_at < now() - make_interval(secs => ${ttlSeconds})
        and (claimed_until is null or claimed_until < now())
      limit ${limit}
      for update skip locked)
    returning id`.execute(db);
  return rows.rows.map((x) => x.id);
}

// ---- events -------------------------------------------------------------------------------

export async function writeEvents(trx: Db, events: readonly DomainEvent[]): Promise<void> {
  await appendToOutbox(trx as Kysely<any>, REGISTRY_SCHEMA, events);
}
