// Which blobs each repository holds, with a short-lived cache of positive answers so blob HEADs
// (docker asks before every layer push and pull) rarely reach the database.
import type { Kysely } from '@docksphere/db';
import { linkedBlobSize, unlinkBlob } from '../store/registry-store.ts';
import { Lru } from './lru.ts';

/** Links are trusted this long, so an unlink on another replica is seen within it. */
const LINK_TTL_MS = 2000;

export class BlobLinks {
  readonly #sizes = new Lru<string, number>({ maxEntries: 100_000 });

  constructor(private readonly db: Kysely<any>) {}

  /** Size of the blob if it is linked to the repository. */
  async size(repository: string, digest: string): Promise<number | undefined> {
    const k = `${repository}\u0000${digest}`;
    const now = Date.now();
    const hit = this.#sizes.get(k, now);
    if (hit !== undefined) return hit;
    const size = await linkedBlobSize(this.db, repository, digest);
    if (size !== undefined) this.#sizes.set(k, size, now + LINK_TTL_MS);
    return size;
  }

  remember(repository: string, digest: string, size: number): void {
    this.#sizes.set(`${repository}\u0000${digest}`, size, Date.now() + LINK_TTL_MS);
  }

  /** After the repository was deleted or renamed outside /v2: its links are looked up again. */
  forgetRepository(repository: string): void {
    const prefix = `${repository}\u0000`;
    this.#sizes.deleteWhere((k) => k.startsWith(prefix));
  }

  async unlink(repository: string, digest: string): Promise<boolean> {
    this.#sizes.delete(`${repository}\u0000${digest}`);
    return unlinkBlob(this.db, repository, digest);
  }
}
