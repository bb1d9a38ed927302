// The registry's SQL for whole-repository changes decided by metadata: removing a repository's
// content, and moving it to another name. Both run inside the caller's transaction.
import { sql, type Transaction } from '@docksphere/db';

export interface RemovedRepository {
  /** Whether the registry held anything under the name. */
  existed: boolean;
  /** Upload sessions that were open on it: their staged bytes are the caller's to remove after commit. */
  uploadIds: string[];
}

/**
 * Removes the repository's tags, manifests, blob links, tag history and upload sessions as they stood
 * at `decidedAt` (when metadata deleted it): the event is applied later, and a push that arrived in
 * between belongs to a repository created anew under the name, so it stays. Blob bytes stay in the
 * store: with their links gone they are reclaimable by garbage collection.
 */
export async function removeRepositoryContent(trx: Transaction<any>, repository: string, decidedAt: Date): Promise<RemovedRepository> {
  // Serialises with a transfer of the name, and with GC's per-repository passes.
  await sql`select pg_advisory_xact_lock(hashtext(${`repository:${repository}`}))`.execute(trx);
  const uploads = await sql<{ id: string }>`delete from registry.uploads where repository = ${repository} and created_at <= ${decidedAt} returning id`.execute(trx);
  await sql`delete from registry.tag_history where repository = ${repository} and pushed_at <= ${decidedAt}`.execute(trx);
  // A tag moved after the decision keeps its manifest; tags of older manifests go with them (cascade).
  await sql`delete from registry.tags where repository = ${repository} and updated_at <= ${decidedAt}`.execute(trx);
  const manifests = await sql`
    delete from registry.manifests m where m.repository = ${repository} and m.pushed_at <= ${decidedAt}
      and not exists (select 1 from registry.tags t where t.repository = m.repository and t.digest = m.digest)`.execute(trx);
  await sql`delete from registry.repository_blobs where repository = ${repository} and linked_at <= ${decidedAt}`.execute(trx);
  const left = await sql<{ n: number }>`
    select (select count(*) from registry.manifests where repository = ${repository})
         + (select count(*) from registry.repository_blobs where repository = ${repository})
         + (select count(*) from registry.uploads where repository = ${repository}) as n`.execute(trx);
  let removedRow = 0;
  if (Number(left.rows[0]?.n ?? 0) === 0) {
    const removed = await sql`delete from registry.repositories where name = ${repository}`.execute(trx);
    removedRow = Number(removed.numAffectedRows ?? 0);
  }
  return { existed: removedRow > 0 || Number(manifests.numAffectedRows ?? 0) > 0, uploadIds: uploads.rows.map((r) => r.id) };
}

/** Tags re-inserted per statement (four parameters each, well under Postgres's limit). */
const TAG_BATCH = 1000;

export interface MovedRepository {
  /** Whether the registry held anything under the old name. */
  existed: boolean;
  /** Upload sessions that were open on the old name (cancelled: a client cannot finish them under either name). */
  uploadIds: string[];
}

/**
 * Moves everything under `from` to `to`: manifests (bytes untouched), tags, blob links and tag history.
 * Should `to` already hold content, the two merge: identical manifests and links are kept once and a
 * tag present under both names ends up where `from` had it, since the transfer is the newer decision.
 */
export async function moveRepositoryContent(trx: Transaction<any>, from: string, to: string): Promise<MovedRepository> {
  // Serialises with a concurrent transfer or delete of either name.
  await sql`select pg_advisory_xact_lock(hashtext(${`repository:${from}`}))`.execute(trx);
  await sql`select pg_advisory_xact_lock(hashtext(${`repository:${to}`}))`.execute(trx);
  const source = await sql<{ created_at: Date }>`select created_at from registry.repositories where name = ${from} for update`.execute(trx);
  const uploads = await sql<{ id: string }>`delete from registry.uploads where repository = ${from} returning id`.execute(trx);
  const uploadIds = uploads.rows.map((r) => r.id);
  const createdAt = source.rows[0]?.created_at;
  if (createdAt === undefined) return { existed: false, uploadIds };

  await sql`insert into registry.repositories (name, created_at) values (${to}, ${createdAt}) on conflict (name) do nothing`.execute(trx);
  // Tags reference manifests by (repository, digest), so they are lifted off, the manifests moved, and the tags put back.
  const tags = await sql<{ name: string; digest: string; updated_at: Date }>`
    delete from registry.tags where repository = ${from} returning name, digest, updated_at`.execute(trx);
  await sql`
    delete from registry.manifests m where m.repository = ${from}
      and exists (select 1 from registry.manifests d where d.repository = ${to} and d.digest = m.digest)`.execute(trx);
  await sql`update registry.manifests set repository = ${to} where repository = ${from}`.execute(trx);
  for (let i = 0; i < tags.rows.length; i += TAG_BATCH) {
    const batch = tags.rows.slice(i, i + TAG_BATCH).map((t) => ({ repository: to, name: t.name, digest: t.digest, updated_at: t.updated_at }));
    await trx
      .withSchema('registry')
      .insertInto('tags')
      .values(batch)
      .onConflict((oc) => oc.columns(['repository', 'name']).doUpdateSet((eb) => ({ digest: eb.ref('excluded.digest'), updated_at: eb.ref('excluded.updated_at') })))
      .execute();
  }
  await sql`
    delete from registry.repository_blobs b where b.repository = ${from}
      and exists (select 1 from registry.repository_blobs d where d.repository = ${to} and d.digest = b.digest)`.execute(trx);
  await sql`update registry.repository_blobs set repository = ${to} where repository = ${from}`.execute(trx);
  await sql`update registry.tag_history set repository = ${to} where repository = ${from}`.execute(trx);
  await sql`delete from registry.repositories where name = ${from}`.execute(trx);
  return { existed: true, uploadIds };
}
