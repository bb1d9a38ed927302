// The reference model's SQL: the per-digest locks a push and a sweep share, blob rows and their
// states, and the manifest -> blob / manifest -> child rows a manifest PUT records. Every function
// runs inside the caller's transaction.
import { sql, type Transaction } from '@docksphere/db';

type Trx = Transaction<any>;

/** Lock key of a blob digest (shared by every repository). */
export function blobLockKey(digest: string): string {
  return `blob:${digest}`;
}

/** Lock key of a manifest within its repository. */
export function manifestLockKey(repository: string, digest: string): string {
  return `manifest:${repository}@${digest}`;
}

/**
 * Takes transaction-scoped advisory locks on keys, in sorted order. Pushes take them shared (they
 * never wait for each other); a GC sweep of one key takes it exclusive, so it waits for every push
 * transaction holding it and every later push waits for the sweep. A separate statement: a query that
 * waited for a lock would still read with the snapshot taken before it waited.
 */
export async function lockKeys(trx: Trx, keys: readonly string[], mode: 'shared' | 'exclusive'): Promise<void> {
  const unique = [...new Set(keys)].sort();
  if (unique.length === 0) return;
  if (mode === 'shared') {
    await sql`select count(pg_advisory_xact_lock_shared(hashtext(k))) from (select k from unnest(${unique}::text[]) k order by k) s`.execute(trx);
  } else {
    await sql`select count(pg_advisory_xact_lock(hashtext(k))) from (select k from unnest(${unique}::text[]) k order by k) s`.execute(trx);
  }
}

/**
 * Records that an upload is about to commit digest's bytes (under the digest's shared lock): a
 * marked or deleting row is revived, and GC leaves the digest alone while the upload row names it.
 */
export async function beginBlobCommit(trx: Trx, uploadId: string, digest: string, size: number): Promise<void> {
  await lockKeys(trx, [blobLockKey(digest)], 'shared');
  await sql`update registry.uploads set committing_digest = ${digest} where id = ${uploadId}`.execute(trx);
  await sql`
    insert into registry.blobs (digest, size) values (${digest}, ${size})
    on conflict (digest) do update set last_referenced_at = now(), gc_run = null,
      state = case when registry.blobs.state = 'corrupt' then 'corrupt' else 'live' end`.execute(trx);
}

/** After the bytes were committed: the blob row is live (a sweep may have removed it meanwhile). */
export async function finishBlobCommit(trx: Trx, digest: string, size: number): Promise<void> {
  await lockKeys(trx, [blobLockKey(digest)], 'shared');
  await sql`
    insert into registry.blobs (digest, size) values (${digest}, ${size})
    on conflict (digest) do update set last_referenced_at = now(), gc_run = null,
      state = case when registry.blobs.state = 'corrupt' then 'corrupt' else 'live' end`.execute(trx);
}

/**
 * For a mount: takes the digest's shared lock and revives the row if a GC run marked it. False when
 * the blob may not be referenced (no row, being deleted, corrupt): the client uploads it instead.
 */
export async function reviveForMount(trx: Trx, digest: string): Promise<boolean> {
  await lockKeys(trx, [blobLockKey(digest)], 'shared');
  const res = await sql<{ digest: string }>`
    update registry.blobs set state = 'live', gc_run = null, last_referenced_at = now()
    where digest = ${digest} and state in ('live', 'marked') returning digest`.execute(trx);
  return res.rows.length > 0;
}

/**
 * For a manifest PUT, under the shared locks of its blobs and children: the blobs among `digests`
 * that are linked to the repository and usable (marked ones are revived), and the children present.
 */
export async function checkManifestReferences(
  trx: Trx,
  repository: string,
  blobs: readonly string[],
  children: readonly string[],
): Promise<{ missingBlobs: string[]; missingManifests: string[] }> {
  const blobSet = [...new Set(blobs)];
  const childSet = [...new Set(children)];
  await lockKeys(trx, [...blobSet.map(blobLockKey), ...childSet.map((d) => manifestLockKey(repository, d))], 'shared');
  let missingBlobs: string[] = [];
  if (blobSet.length > 0) {
    const usable = await sql<{ digest: string; state: string }>`
      select b.digest, b.state from registry.repository_blobs l join registry.blobs b on b.digest = l.digest
      where l.repository = ${repository} and l.digest = any(${blobSet}::text[]) and b.state in ('live', 'marked')`.execute(trx);
    const found = new Set(usable.rows.map((x) => x.digest));
    missingBlobs = blobSet.filter((d) => !found.has(d));
    const marked = usable.rows.filter((x) => x.state === 'marked').map((x) => x.digest);
    if (marked.length > 0) {
      await sql`update registry.blobs set state = 'live', gc_run = null where digest = any(${marked}::text[]) and state = 'marked'`.execute(trx);
    }
  }
  let missingManifests: string[] = [];
  if (childSet.length > 0) {
    const present = await sql<{ digest: string }>`
      select digest from registry.manifests where repository = ${repository} and digest = any(${childSet}::text[])`.execute(trx);
    const found = new Set(present.rows.map((x) => x.digest));
    missingManifests = childSet.filter((d) => !found.has(d));
  }
  return { missingBlobs, missingManifests };
}

/** Records a stored manifest's blob and child references (idempotent: a re-push records nothing new). */
export async function recordManifestReferences(trx: Trx, repository: string, manifest: string, blobs: readonly string[], children: readonly string[]): Promise<void> {
  const blobSet = [...new Set(blobs)];
  const childSet = [...new Set(children)];
  if (blobSet.length > 0) {
    await sql`
      insert into registry.manifest_blobs (repository, manifest_digest, blob_digest)
      select ${repository}, ${manifest}, d from unnest(${blobSet}::text[]) d
      on conflict do nothing`.execute(trx);
  }
  if (childSet.length > 0) {
    await sql`
      insert into registry.manifest_children (repository, manifest_digest, child_digest)
      select ${repository}, ${manifest}, d from unnest(${childSet}::text[]) d
      on conflict do nothing`.execute(trx);
  }
}

/**
 * Before a manifest is deleted through the API: its blob links count as fresh again, so a client that
 * saw them a moment ago can still push a manifest using them within the grace period.
 */
export async function refreshLinksOfManifest(trx: Trx, repository: string, manifest: string): Promise<void> {
  await sql`
    update registry.repository_blobs l set linked_at = now()
    from registry.manifest_blobs r
    where r.repository = ${repository} and r.manifest_digest = ${manifest} and l.repository = r.repository and l.digest = r.blob_digest`.execute(trx);
}
