// The storage layout both drivers share: checked digests and upload ids become relative paths
// (filesystem) or key suffixes (S3), and nothing unchecked ever reaches either.
import { InvalidDigestError, InvalidUploadIdError } from './errors.ts';

// Strict on purpose: lowercase hex of the exact length, so one blob has one name and no input can
// smuggle "/", "..", or NUL into a path. Mirrors parseDigest of @docksphere/oci.
const DIGEST = /^(sha256:[0-9a-f]{64}|sha512:[0-9a-f]{128})$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** "sha256/ab/abcd…": where a committed blob lives, relative to the blobs root. */
export function blobRelativePath(digest: string): string {
  if (typeof digest !== 'string' || !DIGEST.test(digest)) throw new InvalidDigestError(String(digest));
  const [algorithm, hex] = digest.split(':') as [string, string];
  return `${algorithm}/${hex.slice(0, 2)}/${hex}`;
}

/** The upload id itself, once checked to be a UUID (lowercased so one upload has one name). */
export function checkedUploadId(id: string): string {
  if (typeof id !== 'string' || !UUID.test(id)) throw new InvalidUploadIdError(String(id));
  return id.toLowerCase();
}

/** Rejects offsets and sizes that are not non-negative safe integers. */
export function checkCount(what: string, n: number): void {
  if (!Number.isSafeInteger(n) || n < 0) throw new RangeError(`${what} must be a non-negative integer, got ${n}`);
}

/** Rejects an inclusive byte range that is not well formed. */
export function checkRange(range: { start: number; end: number }): void {
  checkCount('range start', range.start);
  checkCount('range end', range.end);
  if (range.end < range.start) throw new RangeError(`range end ${range.end} is before start ${range.start}`);
}

/** Large buffers for blob streams: fewer syscalls and event-loop turns on 100+ MiB layers. */
export const STREAM_HIGH_WATER_MARK = 1024 * 1024;
