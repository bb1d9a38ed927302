// Garbage collection's SQL: the plan (links no manifest of their repository uses, blobs nothing
// references, both older than the cutoff) and the per-digest steps that carry it out, each re-checked
// under the digest's exclusive lock (references.ts), so a reference that committed meanwhile wins.
import { sql, type Kysely, type Transaction } from '@docksphere/db';
import { blobLockKey, lockKeys } from './references.ts';

type Db = Kysely<any> | Transaction<any>;

export interface PlannedLink {
  repository: string;
  digest: string;
  size: number;
}

export interface PlannedBlob {
  digest: string;
  size: number;
}

/** Links older than the cutoff that no manifest of their repository references. */
export async function planLinks(db: Db, cutoff: Date): Promise<PlannedLink[]> {
  const rows = await sql<{ repository: string; digest: string; size: string }>`
    select l.repository, l.digest, l.size from registry.repository_blobs l
    where l.linked_at < ${cutoff}
      and not exists (select 1 from registry.manifest_blobs r where r.repository = l.repository and r.blob_digest = l.digest)
    order by l.repository, l.digest`.execute(db);
  return rows.rows.map((r) => ({ repository: r.repository, digest: r.digest, size: Number(r.size) }));
}

/**
 * Blob rows nothing will reference once the planned links are gone: no manifest reference, no link
 * that stays, no upload committing them, last referenced before the cutoff; plus rows a run left
 * in 'deleting'.
 */
export async function planBlobs(db: Db, cutoff: Date): Promise<PlannedBlob[]> {
  const rows = await sql<{ digest: string; size: string }>`
    select b.digest, b.size from registry.blobs b
    where (b.state = 'deleting' or (b.state in ('live', 'marked') and b.last_referenced_at < ${cutoff}))
      and not exists (select 1 from registry.manifest_blobs r where r.blob_digest = b.digest)
      and not exists (select 1 from registry.uploads u where u.committing_digest = b.digest)
      and not exists (
        select 1 from registry.repository_blobs l where l.digest = b.digest
          and (l.linked_at >= ${cutoff} or exists (select 1 from registry.manifest_blobs r where r.repository = l.repository and r.blob_digest = l.digest)))
    order by b.digest`.execute(db);
  return rows.rows.map((r) => ({ digest: r.digest, size: Number(r.size) }));
}

/** Whether a blob row exists (in any state). */
export async function blobRowExists(db: Db, digest: string): Promise<boolean> {
  const rows = await sql`select 1 from registry.blobs where digest = ${digest}`.execute(db);
  return rows.rows.length > 0;
}

/** Removes a planned link if it is still old and unreferenced; under the digest's exclusive lock. */
export async function removeLinkIfUnused(trx: Transaction<any>, link: PlannedLink, cutoff: Date): Promise<boolean> {
  await lockKeys(trx, [blobLockKey(link.digest)], 'exclusive');
  const res = await sql`
    delete from registry.repository_blobs l where l.repository = ${link.repository} and l.digest = ${link.digest} and l.linked_at < ${cutoff}
      and not exists (select 1 from registry.manifest_blobs r where r.repository = l.repository and r.blob_digest = l.digest)`.execute(trx);
  // Cached links (blob-links.ts) expire within their short trust period; a manifest PUT checks the
  // database under the lock, so a stale cached link can only make it fail cleanly.
  return Number(res.numAffectedRows ?? 0) > 0;
}

/** A blob nothing references (re-checked now), as planBlobs decides for one digest. */
async function stillUnreferenced(trx: Transaction<any>, digest: string): Promise<boolean> {
  const rows = await sql`
    select 1 where not exists (select 1 from registry.manifest_blobs where blob_digest = ${digest})
      and not exists (select 1 from registry.repository_blobs where digest = ${digest})
      and not exists (select 1 from registry.uploads where committing_digest = ${digest})`.execute(trx);
  return rows.rows.length > 0;
}

/** live/marked -> deleting, committed before any byte goes: false when a reference came back. */
export async function beginBlobDelete(trx: Transaction<any>, digest: string, cutoff: Date, run: number): Promise<boolean> {
  await lockKeys(trx, [blobLockKey(digest)], 'exclusive');
  if (!(await stillUnreferenced(trx, digest))) return false;
  const res = await sql`
    update registry.blobs set state = 'deleting', gc_run = ${run}
    where digest = ${digest} and (state = 'deleting' or (state in ('live', 'marked') and last_referenced_at < ${cutoff}))`.execute(trx);
  return Number(res.numAffectedRows ?? 0) > 0;
}

/**
 * Holding the digest's exclusive lock: if the row is still 'deleting' and unreferenced, deleteBytes
 * runs and then the row goes, in one transaction (a crash leaves 'deleting', which the next run finishes).
 */
export async function finishBlobDelete(trx: Transaction<any>, digest: string, deleteBytes: () => Promise<void>): Promise<boolean> {
  await lockKeys(trx, [blobLockKey(digest)], 'exclusive');
  const row = await sql<{ state: string }>`select state from registry.blobs where digest = ${digest}`.execute(trx);
  if (row.rows[0]?.state !== 'deleting' || !(await stillUnreferenced(trx, digest))) return false;
  await deleteBytes();
  await sql`delete from registry.blobs where digest = ${digest} and state = 'deleting'`.execute(trx);
  return true;
}

/** Under the digest's exclusive lock: deletes stored bytes that have no row (an orphan) and returns true. */
export async function removeOrphan(trx: Transaction<any>, digest: string, deleteBytes: () => Promise<void>): Promise<boolean> {
  await lockKeys(trx, [blobLockKey(digest)], 'exclusive');
  if (await blobRowExists(trx, digest)) return false;
  const committing = await sql`select 1 from registry.uploads where committing_digest = ${digest}`.execute(trx);
  if (committing.rows.length > 0) return false;
  await deleteBytes();
  return true;
}
