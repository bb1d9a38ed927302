// The storage layout both drivers share: checked digests and upload ids become relative paths
// (filesystem) or key suffixes (S3), and nothing unchecked ever reaches either.
import { parseDigest } from '@docksphere/oci';
import { InvalidDigestError, InvalidUploadIdError } from './errors.ts';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

// parseDigest is strict (known algorithm, lowercase hex of its exact length), so no input can put
// "/", "..", or NUL into a path, and one blob has one name.
/** "sha256/ab/abcd…": where a committed blob lives, relative to the blobs root. */
export function blobRelativePath(digest: string): string {
  const parsed = typeof digest === 'string' ? parseDigest(digest) : undefined;
  if (!parsed) throw new InvalidDigestError(String(digest));
  return `${parsed.algorithm}/${parsed.hex.slice(0, 2)}/${parsed.hex}`;
}

/** The digest a "<alg>/<2 hex>/<hex>" relative path names, or undefined when it names none. */
export function digestOfRelativePath(relative: string): string | undefined {
  const parts = relative.split('/');
  if (parts.length !== 3) return undefined;
  const [algorithm, fanout, hex] = parts as [string, string, string];
  const parsed = parseDigest(`${algorithm}:${hex}`);
  if (!parsed || parsed.hex.slice(0, 2) !== fanout) return undefined;
  return parsed.digest;
}

/** Whether a name is an upload id as checkedUploadId makes them (a lowercase UUID). */
export function isUploadId(name: string): boolean {
  return UUID.test(name) && name === name.toLowerCase();
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
