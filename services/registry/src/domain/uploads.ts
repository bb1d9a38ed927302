// Blob upload sessions: start, append chunks in order, complete with a verified digest, cancel.
// Bytes go request -> shared batches -> store and hasher at once (body-batches.ts); the hash runs on
// a worker thread (hash-sessions.ts), its running sha256 state is kept per (session, size), and
// rebuilt from the staged bytes when another replica did the last append.
import { randomUUID } from 'node:crypto';
import type { Readable } from 'node:stream';
import type { Kysely } from '@docksphere/db';
import { RegistryError, type ParsedDigest } from '@docksphere/oci';
import type { BlobStore, ByteRange } from '@docksphere/storage';
import * as refs from '../store/references.ts';
import * as sql from '../store/registry-store.ts';
import { BodyBatches } from './body-batches.ts';
import { openHashSession, type HashSession } from './hash-sessions.ts';
import { Lru } from './lru.ts';

/** How long a claim holds a session without renewal (a crashed holder blocks it at most this long). */
const CLAIM_LEASE_SECONDS = 60;
const CLAIM_RENEW_MS = 20_000;
/** Retry-After of a refused session: sessions end as pushes finish, so a short wait usually suffices. */
const SESSION_LIMIT_RETRY_AFTER_SECONDS = 60;

export interface ChunkHeaders {
  /** Parsed Content-Range of the chunk, if the client sent one. */
  contentRange: ByteRange | undefined;
  /** Content-Length, if the client sent one (absent with chunked transfer encoding). */
  contentLength: number | undefined;
}

/** Where the session stands, for the Range/Location headers of a response. */
export interface UploadProgress {
  id: string;
  size: number;
}

/** The Range header value for `size` staged bytes (distribution answers "0-0" for an empty session). */
export function uploadRange(size: number): string {
  return `0-${Math.max(0, size - 1)}`;
}

function rangeInvalid(message: string, id: string, repository: string, size: number): RegistryError {
  return new RegistryError('RANGE_INVALID', message, { size }, {
    headers: { range: uploadRange(size), location: `/v2/${repository}/blobs/uploads/${id}`, 'docker-upload-uuid': id },
  });
}

export interface UploadSessionsDeps {
  db: Kysely<any>;
  store: BlobStore;
  /** Most sessions one user may hold open at once (config.maxUploadSessionsPerUser); 0 or absent: no bound. */
  maxSessionsPerUser?: number | undefined;
  /** Called with a blob once it is committed and linked (the caller updates its caches). */
  onLinked?: (repository: string, digest: string, size: number) => void;
}

export class UploadSessions {
  /** sha256 state of recent sessions, valid only for the recorded size; an evicted state is freed. */
  readonly #hashes = new Lru<string, { size: number; hasher: HashSession }>({
    maxEntries: 4096,
    onEvict: (entry) => entry.hasher.close(),
  });

  constructor(private readonly deps: UploadSessionsDeps) {}

  /** Opens a session for `openedBy` (a token's subject; undefined for anonymous), within the per-user bound. */
  async start(repository: string, openedBy: string | undefined): Promise<UploadProgress> {
    const id = randomUUID();
    const limit = this.deps.maxSessionsPerUser;
    await this.deps.store.startUpload(id);
    let created: boolean;
    try {
      created = await sql.createUpload(this.deps.db, id, repository, openedBy, limit);
    } catch (err) {
      await this.deps.store.abortUpload(id).catch(() => undefined);
      throw err;
    }
    if (!created) {
      await this.deps.store.abortUpload(id).catch(() => undefined);
      throw new RegistryError('TOOMANYREQUESTS', `too many open upload sessions: at most ${limit} per user; finish or cancel some first`, { limit }, {
        headers: { 'retry-after': String(SESSION_LIMIT_RETRY_AFTER_SECONDS) },
      });
    }
    return { id, size: 0 };
  }

  async status(repository: string, id: string): Promise<UploadProgress> {
    const row = await sql.getUpload(this.deps.db, id, repository);
    if (!row) throw new RegistryError('BLOB_UPLOAD_UNKNOWN', 'upload session unknown', { id });
    return { id, size: row.size };
  }

  /** PATCH: appends one chunk, in order. */
  async append(repository: string, id: string, body: Readable, headers: ChunkHeaders): Promise<UploadProgress> {
    return this.#withClaim(repository, id, async (token, size) => {
      const newSize = await this.#appendChunk(repository, id, size, body, headers);
      await this.#release(id, token, newSize);
      return { id, size: newSize };
    });
  }

  /** PUT: appends the optional last chunk, verifies the digest of the whole blob, commits and links it. */
  async complete(repository: string, id: string, digest: ParsedDigest, body: Readable | undefined, headers: ChunkHeaders): Promise<UploadProgress> {
    return this.#withClaim(repository, id, async (_token, size) => {
      const finalSize = body ? await this.#appendChunk(repository, id, size, body, headers) : size;
      const actual = await this.#finishDigest(id, finalSize, digest);
      if (actual !== digest.digest) {
        // Nothing is committed: the staged bytes and the session go, so no half state remains.
        await this.#discard(repository, id);
        throw new RegistryError('DIGEST_INVALID', 'provided digest did not match uploaded content', { expected: digest.digest, size: finalSize });
      }
      // The blob row is claimed (revived if a GC run had marked it) before the bytes land, and GC
      // leaves a digest alone while an upload row names it; the link commits once the bytes are in.
      await this.deps.db.transaction().execute((trx) => refs.beginBlobCommit(trx, id, digest.digest, finalSize));
      await this.deps.store.commitUpload(id, digest.digest, finalSize);
      await this.deps.db.transaction().execute(async (trx) => {
        await refs.finishBlobCommit(trx, digest.digest, finalSize);
        await sql.linkBlob(trx, repository, digest.digest, finalSize);
        await sql.deleteUpload(trx, id, repository);
      });
      this.#forget(id);
      this.deps.onLinked?.(repository, digest.digest, finalSize);
      return { id, size: finalSize };
    });
  }

  /** POST ?digest=: a whole blob in one request, through a short-lived session so an aborted transfer is swept. */
  async monolithic(repository: string, openedBy: string | undefined, digest: ParsedDigest, body: Readable, contentLength: number | undefined): Promise<number> {
    const { id } = await this.start(repository, openedBy);
    try {
      const done = await this.complete(repository, id, digest, body, { contentRange: undefined, contentLength });
      return done.size;
    } catch (err) {
      await this.#discard(repository, id).catch(() => undefined);
      throw err;
    }
  }

  async cancel(repository: string, id: string): Promise<void> {
    const deleted = await sql.deleteUpload(this.deps.db, id, repository);
    if (!deleted) throw new RegistryError('BLOB_UPLOAD_UNKNOWN', 'upload session unknown', { id });
    this.#forget(id);
    await this.deps.store.abortUpload(id);
  }

  /** Drops the session's hash state (if any) and what it holds on a worker. */
  #forget(id: string): void {
    this.#hashes.get(id)?.hasher.close();
    this.#hashes.delete(id);
  }

  async #discard(repository: string, id: string): Promise<void> {
    this.#forget(id);
    await sql.deleteUpload(this.deps.db, id, repository);
    await this.deps.store.abortUpload(id);
  }

  async #release(id: string, token: string, size: number | undefined): Promise<void> {
    const still = await sql.releaseUpload(this.deps.db, id, token, size);
    if (!still) {
      this.#forget(id);
      throw new RegistryError('BLOB_UPLOAD_UNKNOWN', 'upload session was cancelled or expired', { id });
    }
  }

  /** Runs fn while holding the session's claim, renewing the lease; releases it (size unchanged) on failure. */
  async #withClaim<T>(repository: string, id: string, fn: (token: string, size: number) => Promise<T>): Promise<T> {
    const token = randomUUID();
    const claim = await sql.claimUpload(this.deps.db, id, repository, token, CLAIM_LEASE_SECONDS);
    if (!claim.ok) {
      if (claim.reason === 'unknown') throw new RegistryError('BLOB_UPLOAD_UNKNOWN', 'upload session unknown', { id });
      throw new RegistryError('BLOB_UPLOAD_INVALID', 'another request is writing to this upload session', { size: claim.size }, {
        status: 416,
        headers: { range: uploadRange(claim.size), location: `/v2/${repository}/blobs/uploads/${id}`, 'docker-upload-uuid': id },
      });
    }
    const renew = setInterval(() => {
      sql.renewUploadClaim(this.deps.db, id, token, CLAIM_LEASE_SECONDS).catch(() => undefined);
    }, CLAIM_RENEW_MS);
    renew.unref();
    try {
      return await fn(token, claim.size);
    } catch (err) {
      await sql.releaseUpload(this.deps.db, id, token, undefined).catch(() => undefined);
      throw err;
    } finally {
      clearInterval(renew);
    }
  }

  async #appendChunk(repository: string, id: string, size: number, body: Readable, headers: ChunkHeaders): Promise<number> {
    const { contentRange, contentLength } = headers;
    let expected = contentLength;
    if (contentRange) {
      if (contentRange.start !== size) throw rangeInvalid(`chunk starts at ${contentRange.start}, the upload has ${size} bytes`, id, repository, size);
      const rangeLength = contentRange.end - contentRange.start + 1;
      if (contentLength !== undefined && contentLength !== rangeLength) {
        throw new RegistryError('SIZE_INVALID', `Content-Range names ${rangeLength} bytes, Content-Length ${contentLength}`);
      }
      expected = rangeLength;
    }
    const known = this.#hashes.get(id);
    // The old state is consumed by this append whatever happens; it is stored again only on success.
    this.#hashes.delete(id);
    let hasher: HashSession | undefined;
    if (known && known.size === size) hasher = known.hasher;
    else {
      known?.hasher.close();
      if (size === 0) hasher = openHashSession('sha256', { expectedBytes: expected });
    }
    const batches = new BodyBatches(body, hasher, expected);
    try {
      const { size: newSize } = await this.deps.store.appendUpload(id, size, batches);
      if (newSize !== size + batches.bytes) throw new Error(`store reported ${newSize} staged bytes, expected ${size + batches.bytes}`);
      if (hasher) this.#hashes.set(id, { size: newSize, hasher });
      return newSize;
    } catch (err) {
      hasher?.close();
      throw err;
    } finally {
      // A store that failed before iterating (or stopped early) must not keep batches taken.
      batches.discard();
    }
  }

  async #finishDigest(id: string, size: number, want: ParsedDigest): Promise<string> {
    const known = this.#hashes.get(id);
    this.#hashes.delete(id);
    if (known && known.size === size && want.algorithm === 'sha256') return known.hasher.digest();
    known?.hasher.close();
    // Another replica did the last append (or the state was evicted, or the digest is sha512):
    // hash the staged bytes. They go through batches like a request body, so they are read at the
    // hasher's pace and never held whole in memory.
    const hasher = openHashSession(want.algorithm, { expectedBytes: size });
    try {
      if (size > 0) {
        const batches = new BodyBatches(await this.deps.store.readUpload(id, size), hasher, size);
        try {
          // Each batch goes to the hasher as the next one is asked for; there is nothing else to do with it.
          for await (const batch of batches) void batch;
        } finally {
          batches.discard();
        }
      }
      return await hasher.digest();
    } finally {
      hasher.close();
    }
  }
}
