// The blob bytes pushed by the benchmark: one random file made once, plus a 4 KiB tail per blob so
// every pushed blob is distinct (no server can skip work for content it already has) while the
// client hashes the big file only once.
import { createHash, randomFillSync, type Hash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { open } from 'node:fs/promises';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import type { Writable } from 'node:stream';

export const TAIL_BYTES = 4096;
const WRITE_CHUNK = 4 * 1024 * 1024;
/** Read size when streaming the file into a request: large, so the client stays cheap. */
export const READ_HIGH_WATER_MARK = 4 * 1024 * 1024;

export interface BlobPayload {
  file: string;
  /** Bytes in the file; each blob is these plus TAIL_BYTES. */
  fileSize: number;
  blobSize: number;
  /** sha256 state after the file's bytes, copied for each blob's tail. */
  fileHash: Hash;
  runNonce: string;
}

export interface BlobVariant {
  digest: string;
  size: number;
  tail: Buffer;
}

export async function createPayload(dir: string, blobSize: number): Promise<BlobPayload> {
  if (blobSize <= TAIL_BYTES) throw new Error(`blob size must exceed ${TAIL_BYTES} bytes`);
  const file = path.join(dir, `payload-${blobSize}.bin`);
  const fileSize = blobSize - TAIL_BYTES;
  const hash = createHash('sha256');
  const handle = await open(file, 'w');
  try {
    const buf = Buffer.allocUnsafe(WRITE_CHUNK);
    for (let written = 0; written < fileSize; ) {
      const n = Math.min(WRITE_CHUNK, fileSize - written);
      const part = buf.subarray(0, n);
      randomFillSync(part);
      hash.update(part);
      await handle.write(part, 0, n);
      written += n;
    }
  } finally {
    await handle.close();
  }
  return { file, fileSize, blobSize, fileHash: hash, runNonce: randomFillSync(Buffer.alloc(8)).toString('hex') };
}

/** The index-th distinct blob: the shared file followed by a tail derived from index. */
export function blobVariant(payload: BlobPayload, index: number): BlobVariant {
  const seed = createHash('sha256').update(`docksphere-bench:${payload.runNonce}:${index}`).digest();
  const tail = Buffer.alloc(TAIL_BYTES);
  for (let off = 0; off < TAIL_BYTES; off += seed.length) seed.copy(tail, off);
  const digest = `sha256:${payload.fileHash.copy().update(tail).digest('hex')}`;
  return { digest, size: payload.blobSize, tail };
}

/** Writes blob bytes [start, end) into dest and ends it; file bytes stream, tail bytes come last. */
export async function writeBlobRange(dest: Writable, payload: BlobPayload, variant: BlobVariant, start: number, end: number): Promise<void> {
  const fileEnd = Math.min(end, payload.fileSize);
  if (start < fileEnd) {
    const source = createReadStream(payload.file, { start, end: fileEnd - 1, highWaterMark: READ_HIGH_WATER_MARK });
    await pipeline(source, dest, { end: false });
  }
  const tailStart = Math.max(start, payload.fileSize) - payload.fileSize;
  const tailEnd = end - payload.fileSize;
  if (tailEnd > tailStart) dest.end(variant.tail.subarray(tailStart, tailEnd));
  else dest.end();
}
