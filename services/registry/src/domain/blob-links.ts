// Which blobs each repository holds, with a short-lived cache of positive answers so blob HEADs
// (docker asks before every layer push and pull) rarely reach the database.
import type { Kysely } from '@docksphere/db';
import { linkedBlobSize, unlinkBlob, type BlobUnlink } from '../store/registry-store.ts';
import { notifyCacheChange, type CacheChange, type CacheInvalidationListener } from './cache-invalidation.ts';
import { DEFAULT_CACHE_PERIODS } from './cache-periods.ts';
import { Lru } from './lru.ts';

export class BlobLinks {
  readonly #sizes = new Lru<string, number>({ maxEntries: 100_000 });
  /** Bumped by every unlink (local or announced): a lookup that began before one does not cache its answer. */
  #generation = 0;

  /**
   * crossReplica: set when other replicas share the database; unlinks are then announced in their
   * transaction, and the cache is consulted only while the listener hears other replicas' unlinks.
   */
  constructor(
    private readonly db: Kysely<any>,
    private readonly crossReplica?: CacheInvalidationListener | undefined,
    /** How long a link is trusted: the safety net for unlinks nobody announces. */
    private readonly trustMs: number = DEFAULT_CACHE_PERIODS.blobLinkMs,
  ) {}

  /** Size of the blob if it is linked to the repository. */
  async size(repository: string, digest: string): Promise<number | undefined> {
    if (this.crossReplica?.connected === false) return linkedBlobSize(this.db, repository, digest);
    const k = `${repository}\u0000${digest}`;
    const now = Date.now();
    const hit = this.#sizes.get(k, now);
    if (hit !== undefined) return hit;
    const started = this.#generation;
    const size = await linkedBlobSize(this.db, repository, digest);
    if (size !== undefined && started === this.#generation) this.#sizes.set(k, size, now + this.trustMs);
    return size;
  }

  remember(repository: string, digest: string, size: number): void {
    this.#sizes.set(`${repository}\u0000${digest}`, size, Date.now() + this.trustMs);
  }

  /** After the repository was deleted or renamed outside /v2: its links are looked up again. */
  forgetRepository(repository: string): void {
    this.#generation++;
    const prefix = `${repository}\u0000`;
    this.#sizes.deleteWhere((k) => k.startsWith(prefix));
  }

  /** Another replica's committed change (or 'reset': changes may have been missed). */
  applyRemote(change: CacheChange | 'reset'): void {
    if (change === 'reset') {
      this.#generation++;
      this.#sizes.deleteWhere(() => true);
    } else if (change.kind === 'blob') {
      this.#generation++;
      this.#sizes.delete(`${change.repository}\u0000${change.key}`);
    } else if (change.kind === 'repository') {
      this.forgetRepository(change.repository);
    }
  }

  async unlink(repository: string, digest: string): Promise<BlobUnlink> {
    const crossReplica = this.crossReplica;
    const result = await this.db.transaction().execute(async (trx) => {
      const done = await unlinkBlob(trx, repository, digest);
      if (done.kind === 'unlinked' && crossReplica) await notifyCacheChange(trx, { repository, kind: 'blob', key: digest });
      return done;
    });
    // After the commit: a lookup that read the link before it neither stays cached nor gets cached.
    if (result.kind === 'unlinked') {
      this.#generation++;
      this.#sizes.delete(`${repository}\u0000${digest}`);
    }
    return result;
  }
}
