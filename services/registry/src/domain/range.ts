// HTTP Range for blob reads (RFC 9110 section 14): one byte range, or a reason it is refused.
import type { ByteRange } from '@docksphere/storage';

export type RangeRequest = { kind: 'none' } | { kind: 'range'; range: ByteRange } | { kind: 'unsatisfiable' };

const SINGLE = /^bytes=(\d{0,15})-(\d{0,15})$/;

/**
 * Parses a Range header against a blob of `size` bytes. A last-byte position past the end is
 * clamped (RFC 9110: still satisfiable); multiple ranges and malformed values are refused rather
 * than ignored, so a client never mistakes a full body for the part it asked for.
 */
export function parseRange(header: string | undefined, size: number): RangeRequest {
  if (header === undefined) return { kind: 'none' };
  const m = SINGLE.exec(header.trim());
  if (!m) return { kind: 'unsatisfiable' };
  const [, a = '', b = ''] = m;
  if (a === '' && b === '') return { kind: 'unsatisfiable' };
  if (a === '') {
    // Suffix range: the last n bytes.
    const n = Number(b);
    if (n === 0 || size === 0) return { kind: 'unsatisfiable' };
    return { kind: 'range', range: { start: Math.max(0, size - n), end: size - 1 } };
  }
  const start = Number(a);
  const end = b === '' ? size - 1 : Math.min(Number(b), size - 1);
  if (start >= size || (b !== '' && Number(b) < start)) return { kind: 'unsatisfiable' };
  return { kind: 'range', range: { start, end } };
}

/**
 * Parses an upload chunk's Content-Range: exactly "<start>-<end>" (inclusive), the spec's grammar
 * `^[0-9]+-[0-9]+$`, as distribution parses it; anything else ("bytes 0-9/*", a total) is refused.
 */
export function parseContentRange(header: string | undefined): ByteRange | 'invalid' | undefined {
  if (header === undefined) return undefined;
  const m = /^(\d{1,15})-(\d{1,15})$/.exec(header.trim());
  if (!m) return 'invalid';
  const start = Number(m[1]);
  const end = Number(m[2]);
  if (end < start) return 'invalid';
  return { start, end };
}
