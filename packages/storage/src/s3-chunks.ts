// How an S3 upload's chunk objects map onto byte ranges: which chunks make up the first n staged
// bytes, and whether S3's multipart rules let a commit join them server-side with UploadPartCopy.
import { InvalidOffsetError } from './errors.ts';

const MiB = 1024 * 1024;
/** S3's floor for every part of a multipart upload but the last. */
export const MIN_PART = 5 * MiB;
/** S3's ceiling for one CopyObject or one UploadPartCopy range. */
export const MAX_COPY = 5 * 1024 * MiB;
export const MAX_PARTS = 10_000;

/** One staged chunk object: the bytes of one append, starting at offset. */
export interface StagedChunk {
  key: string;
  offset: number;
  size: number;
}

/** The bytes of one chunk that belong to a committed or read-back range: [0, length). */
export interface Piece {
  key: string;
  size: number;
  length: number;
}

/** One UploadPartCopy: the inclusive byte range start-end of chunk object key. */
export interface PartCopy {
  key: string;
  start: number;
  end: number;
}

/** Where the contiguous run of chunks starting at 0 ends. */
export function contiguousEnd(chunks: StagedChunk[]): number {
  let end = 0;
  for (const chunk of chunks) {
    if (chunk.size === 0) continue;
    if (chunk.offset !== end) break;
    end += chunk.size;
  }
  return end;
}

/** The chunk bytes that make up the first `size` staged bytes, or InvalidOffsetError if fewer are staged. */
export function covering(id: string, chunks: StagedChunk[], size: number): Piece[] {
  const pieces: Piece[] = [];
  let end = 0;
  for (const chunk of chunks) {
    if (end >= size) break;
    if (chunk.size === 0) continue;
    if (chunk.offset !== end) break;
    pieces.push({ key: chunk.key, size: chunk.size, length: Math.min(chunk.size, size - end) });
    end += chunk.size;
  }
  if (end < size) throw new InvalidOffsetError(id, size, end);
  return pieces;
}

/**
 * Splits pieces into UploadPartCopy ranges, or undefined when S3's part rules forbid it: every
 * part but the last must be at least 5 MiB, none over 5 GiB, at most 10,000 parts.
 */
export function partCopyPlan(pieces: Piece[]): PartCopy[] | undefined {
  const parts: PartCopy[] = [];
  for (const [i, piece] of pieces.entries()) {
    if (i < pieces.length - 1 && piece.length < MIN_PART) return undefined;
    // Equal ranges rather than 5 GiB + remainder, so no range falls under the 5 MiB floor.
    const count = Math.ceil(piece.length / MAX_COPY);
    const step = Math.ceil(piece.length / count);
    for (let start = 0; start < piece.length; start += step) {
      parts.push({ key: piece.key, start, end: Math.min(start + step, piece.length) - 1 });
    }
  }
  return parts.length <= MAX_PARTS ? parts : undefined;
}
