// The blob bytes pushed by the benchmark: one random buffer made once and kept in memory, plus a
// 4 KiB tail per blob so every pushed blob is distinct (no server can skip work for content it
// already has) while the client hashes the big part only once. Request bodies are slices of that
// buffer, so the client costs only its socket writes: on a 2-core machine every CPU-second the
// client spends is taken from the registry under test.
import { createHash, randomFillSync, type Hash } from 'node:crypto';
import type { Writable } from 'node:stream';

export const TAIL_BYTES = 4096;
/** Bytes per request write: large, so the client stays cheap. */
const WRITE_CHUNK = 4 * 1024 * 1024;

export interface BlobPayload {
  /** The shared bytes of every blob; each blob is these plus its TAIL_BYTES. */
  bytes: Buffer;
  blobSize: number;
  /** sha256 state after the shared bytes, copied for each blob's tail. */
  fileHash: Hash;
  runNonce: string;
}

export interface BlobVariant {
  digest: string;
  size: number;
  tail: Buffer;
}

export function createPayload(blobSize: number): BlobPayload {
  if (blobSize <= TAIL_BYTES) throw new Error(`blob size must exceed ${TAIL_BYTES} bytes`);
  const bytes = Buffer.allocUnsafeSlow(blobSize - TAIL_BYTES);
  const hash = createHash('sha256');
  for (let at = 0; at < bytes.length; at += WRITE_CHUNK) {
    const part = bytes.subarray(at, Math.min(bytes.length, at + WRITE_CHUNK));
    randomFillSync(part);
    hash.update(part);
  }
  return { bytes, blobSize, fileHash: hash, runNonce: randomFillSync(Buffer.alloc(8)).toString('hex') };
}

/** The index-th distinct blob: the shared file followed by a tail derived from index. */
export function blobVariant(payload: BlobPayload, index: number): BlobVariant {
  const seed = createHash('sha256').update(`docksphere-bench:${payload.runNonce}:${index}`).digest();
  const tail = Buffer.alloc(TAIL_BYTES);
  for (let off = 0; off < TAIL_BYTES; off += seed.length) seed.copy(tail, off);
  const digest = `sha256:${payload.fileHash.copy().update(tail).digest('hex')}`;
  return { digest, size: payload.blobSize, tail };
}

/** Writes blob bytes [start, end) into dest and ends it: slices of the shared bytes, then the tail. */
export async function writeBlobRange(dest: Writable, payload: BlobPayload, variant: BlobVariant, start: number, end: number): Promise<void> {
  const shared = payload.bytes.length;
  for (let at = start; at < Math.min(end, shared); at += WRITE_CHUNK) {
    const slice = payload.bytes.subarray(at, Math.min(end, shared, at + WRITE_CHUNK));
    if (!dest.write(slice)) await drained(dest);
  }
  const tailStart = Math.max(start, shared) - shared;
  const tailEnd = end - shared;
  if (tailEnd > tailStart) dest.end(variant.tail.subarray(tailStart, tailEnd));
  else dest.end();
}

/** Waits for 'drain', failing if the request errors or closes first. */
function drained(dest: Writable): Promise<void> {
  return new Promise((resolve, reject) => {
    const done = (err?: Error): void => {
      dest.off('drain', onDrain);
      dest.off('error', done);
      dest.off('close', onClose);
      if (err) reject(err);
      else resolve();
    };
    const onDrain = (): void => done();
    const onClose = (): void => done(new Error('request closed while writing its body'));
    dest.once('drain', onDrain);
    dest.once('error', done);
    dest.once('close', onClose);
  });
}
