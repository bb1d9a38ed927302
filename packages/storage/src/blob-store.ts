// The narrow storage interface the registry stores bytes through. Digests are "alg:hex" strings
// already validated by @docksphere/oci; drivers re-check them before turning them into paths.
// Failures a caller can cause are typed (errors.ts): InvalidDigestError, InvalidUploadIdError (ids
// must be UUIDs), UploadNotFoundError (no staged data for the id), InvalidOffsetError (fewer bytes
// staged than the offset or size given). Anything else thrown is a storage fault.
import type { Readable } from 'node:stream';

/** An inclusive byte range, as HTTP Range speaks it. */
export interface ByteRange {
  start: number;
  end: number;
}

/** modifiedAt: when the bytes were last written (commit time); GC's grace period is measured from it. */
export type BlobStat = { exists: true; size: number; modifiedAt: Date } | { exists: false };

/** One committed blob met while walking the store. */
export interface StoredBlob {
  digest: string;
  size: number;
  modifiedAt: Date;
}

/** One upload's staged data met while walking the store. */
export interface StagedUpload {
  id: string;
  modifiedAt: Date;
}

/** Options of the calls that may take long (walks): the signal stops them, rejecting with its reason. */
export interface LongCallOptions {
  signal?: AbortSignal | undefined;
}

/** size is the whole blob's size, also for a range read (for Content-Range); body yields exactly the bytes asked for. */
export type BlobRead = { exists: true; size: number; body: Readable } | { exists: false };

/** Where a client may be sent for a blob's bytes instead of streaming them through the registry. */
export type DirectLocation =
  | { kind: 'url'; url: string } // presigned S3 URL: answer 307 with Location
  | { kind: 'path'; path: string }; // path relative to the blobs root: NGINX X-Accel-Redirect

export interface BlobStore {
  /** Size and modification time of a committed blob, or that it is absent. */
  stat(digest: string): Promise<BlobStat>;
  /**
   * Walks every committed blob, in no promised order (names that are not blob digests are skipped).
   * Blobs committed or deleted during the walk may or may not be met.
   */
  listBlobs(options?: LongCallOptions): AsyncIterable<StoredBlob>;
  /** Walks every upload with staged data (ids that are not upload ids are skipped). */
  listUploads(options?: LongCallOptions): AsyncIterable<StagedUpload>;
  /** Streams a committed blob, whole or one range (the range is already checked against its size). */
  read(digest: string, range?: ByteRange): Promise<BlobRead>;
  /**
   * A location the client can fetch the committed blob from directly, if this driver offers one
   * as configured (filesystem: only with STORAGE_ACCEL_PREFIX; S3: only with S3_REDIRECT), else
   * undefined and the registry streams. Does not check that the blob exists: stat first.
   */
  locate(digest: string): Promise<DirectLocation | undefined>;
  /** Removes a committed blob; an absent blob is not an error. */
  delete(digest: string): Promise<void>;

  /** Prepares staging for a new upload session (repeating it keeps what is already staged). */
  startUpload(id: string): Promise<void>;
  /**
   * Appends body to the upload's staged bytes at offset, which must be the size the caller last
   * recorded: bytes staged past offset (from an append that failed half-way) are discarded first.
   * Resolves with the new staged size; if body errors, rejects and the staged size stays offset.
   * InvalidOffsetError (nothing changed) when fewer than offset bytes are staged.
   * body is iterated once (a Readable is fine). The caller may reuse a chunk's memory as soon as
   * the store asks for the next chunk, so a driver that keeps bytes longer copies them.
   */
  appendUpload(id: string, offset: number, body: AsyncIterable<Uint8Array>): Promise<{ size: number }>;
  /** Streams the first `size` staged bytes of an upload (used to rebuild a digest's state elsewhere). */
  readUpload(id: string, size: number): Promise<Readable>;
  /**
   * Moves the first `size` staged bytes into content-addressed storage under digest, atomically:
   * readers see the whole blob or none. If the blob already exists the staged bytes are dropped.
   * The staged data is gone afterwards. The caller has verified that those bytes hash to digest.
   */
  commitUpload(id: string, digest: string, size: number): Promise<void>;
  /** Removes an upload's staged data; an absent upload is not an error. */
  abortUpload(id: string): Promise<void>;
  /** Releases connections and handles. */
  close(): Promise<void>;
}
