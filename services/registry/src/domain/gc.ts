// Online garbage collection of blobs: plans what nothing references any more (blob links no manifest
// of their repository uses, then blob rows with no reference left, then stored bytes with no row),
// all older than a grace period, and carries the plan out digest by digest: database first, bytes
// after, through the states live -> deleting -> gone, each step re-checked under the digest's lock.
// Pushes and pulls never wait for a run, only for the one digest it is deleting at that moment.
import type { Kysely } from '@docksphere/db';
import type { BlobStore } from '@docksphere/storage';
import * as gcSql from '../store/gc-store.ts';

export interface GarbageCollectionOptions {
  db: Kysely<any>;
  store: BlobStore;
  /** Only what lost its last reference longer ago than this is collected (default 1 h). */
  graceSeconds: number;
  /** Plan only: the returned plan is what a real run at the same moment would carry out. */
  dryRun: boolean;
  /** The run's clock (tests pass their own). */
  now?: Date;
  /** Recorded on rows the run moves to 'deleting'. */
  runId?: number;
  signal?: AbortSignal;
}

export interface RepositoryPlan {
  repository: string;
  links: number;
  /** Bytes of the links' blobs (shared blobs count in every repository that drops them). */
  linkedBytes: number;
}

export interface GarbageCollectionPlan {
  cutoff: string;
  links: gcSql.PlannedLink[];
  blobs: gcSql.PlannedBlob[];
  /** Stored blobs without a row, older than the cutoff. */
  orphans: gcSql.PlannedBlob[];
  /** Bytes the blob and orphan deletions free. */
  bytes: number;
  repositories: RepositoryPlan[];
}

export interface GarbageCollectionResult {
  plan: GarbageCollectionPlan;
  /** What the run did (zeros for a dry run); a step whose digest came back into use is skipped. */
  linksRemoved: number;
  blobsDeleted: number;
  orphansDeleted: number;
  bytesFreed: number;
  skipped: number;
}

export const DEFAULT_GC_GRACE_SECONDS = 3600;

/** The plan at a cutoff: pure reads, the same for a dry run and a real run. */
export async function planGarbageCollection(db: Kysely<any>, store: BlobStore, cutoff: Date, signal?: AbortSignal): Promise<GarbageCollectionPlan> {
  const links = await gcSql.planLinks(db, cutoff);
  const blobs = await gcSql.planBlobs(db, cutoff);
  const orphans: gcSql.PlannedBlob[] = [];
  for await (const stored of store.listBlobs({ signal })) {
    if (stored.modifiedAt >= cutoff) continue;
    if (!(await gcSql.blobRowExists(db, stored.digest))) orphans.push({ digest: stored.digest, size: stored.size });
  }
  orphans.sort((a, b) => (a.digest < b.digest ? -1 : 1));
  const byRepository = new Map<string, RepositoryPlan>();
  for (const link of links) {
    const entry = byRepository.get(link.repository) ?? { repository: link.repository, links: 0, linkedBytes: 0 };
    entry.links++;
    entry.linkedBytes += link.size;
    byRepository.set(link.repository, entry);
  }
  const bytes = [...blobs, ...orphans].reduce((sum, b) => sum + b.size, 0);
  return { cutoff: cutoff.toISOString(), links, blobs, orphans, bytes, repositories: [...byRepository.values()] };
}

export async function collectGarbage(o: GarbageCollectionOptions): Promise<GarbageCollectionResult> {
  const now = o.now ?? new Date();
  const cutoff = new Date(now.getTime() - o.graceSeconds * 1000);
  const plan = await planGarbageCollection(o.db, o.store, cutoff, o.signal);
  const result: GarbageCollectionResult = { plan, linksRemoved: 0, blobsDeleted: 0, orphansDeleted: 0, bytesFreed: 0, skipped: 0 };
  if (o.dryRun) return result;
  const run = o.runId ?? 0;
  for (const link of plan.links) {
    o.signal?.throwIfAborted();
    if (await o.db.transaction().execute((trx) => gcSql.removeLinkIfUnused(trx, link, cutoff))) result.linksRemoved++;
    else result.skipped++;
  }
  for (const blob of plan.blobs) {
    o.signal?.throwIfAborted();
    const began = await o.db.transaction().execute((trx) => gcSql.beginBlobDelete(trx, blob.digest, cutoff, run));
    const gone = began && (await o.db.transaction().execute((trx) => gcSql.finishBlobDelete(trx, blob.digest, () => o.store.delete(blob.digest))));
    if (gone) {
      result.blobsDeleted++;
      result.bytesFreed += blob.size;
    } else result.skipped++;
  }
  for (const orphan of plan.orphans) {
    o.signal?.throwIfAborted();
    if (await o.db.transaction().execute((trx) => gcSql.removeOrphan(trx, orphan.digest, () => o.store.delete(orphan.digest)))) {
      result.orphansDeleted++;
      result.bytesFreed += orphan.size;
    } else result.skipped++;
  }
  return result;
}
