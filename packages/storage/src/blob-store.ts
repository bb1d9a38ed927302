// The narrow storage interface the registry stores bytes through. Digests are "alg:hex" strings
// already validated by @docksphere/oci; drivers re-check them before turning them into paths.
import type { Readable } from 'node:stream';

/** An inclusive byte range, as HTTP Range speaks it. */
export interface ByteRange {
  start: number;
  end: number;
}

export type BlobStat = { exists: true; size: number } | { exists: false };

export type BlobRead = { exists: true; size: number; body: Readable } | { exists: false };

/** Where a client may be sent for a blob's bytes instead of streaming them through the registry. */
export type DirectLocation =
  | { kind: 'url'; url: string } // presigned S3 URL: answer 307 with Location
  | { kind: 'path'; path: string }; // path relative to the blobs root: NGINX X-Accel-Redirect

export interface BlobStore {
  /** Size of a committed blob, or that it is absent. */
  stat(digest: string): Promise<BlobStat>;
  /** Streams a committed blob, whole or one range (the range is already checked against its size). */
  read(digest: string, range?: ByteRange): Promise<BlobRead>;
  /** A location the client can fetch the committed blob from directly, if this driver offers one. */
  locate(digest: string): Promise<DirectLocation | undefined>;
  /** Removes a committed blob; an absent blob is not an error. */
  delete(digest: string): Promise<void>;

  /** Prepares staging for a new upload session. */
  startUpload(id: string): Promise<void>;
  /**
   * Appends body to the upload's staged bytes at offset, which must be the size the caller last
   * recorded: bytes staged past offset (from an append that failed half-way) are discarded first.
   * Resolves with the new staged size; if body errors, rejects and the staged size stays offset.
   */
  appendUpload(id: string, offset: number, body: Readable): Promise<{ size: number }>;
  /** Streams the first `size` staged bytes of an upload (used to rebuild a digest's state elsewhere). */
  readUpload(id: string, size: number): Promise<Readable>;
  /**
   * Moves the first `size` staged bytes into content-addressed storage under digest, atomically:
   * readers see the whole blob or none. If the blob already exists the staged bytes are dropped.
   * The staged data is gone afterwards.
   */
  commitUpload(id: string, digest: string, size: number): Promise<void>;
  /** Removes an upload's staged data; an absent upload is not an error. */
  abortUpload(id: string): Promise<void>;
  /** Releases connections and handles. */
  close(): Promise<void>;
}
