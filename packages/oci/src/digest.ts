// Content digests ("sha256:<hex>"): strict parsing and incremental hashing over node:crypto.
import { createHash } from 'node:crypto';

export type DigestAlgorithm = 'sha256' | 'sha512';

export interface ParsedDigest {
  algorithm: DigestAlgorithm;
  hex: string;
  /** "alg:hex" */
  digest: string;
}

/** Hex length of each supported algorithm; anything not listed here is refused. */
export const DIGEST_HEX_LENGTH: Readonly<Record<DigestAlgorithm, number>> = { sha256: 64, sha512: 128 };

// Lowercase only: the spec's grammar allows uppercase hex, but the registered algorithms fix the
// encoding to lowercase, and accepting both would let one blob have two names (and two paths).
const DIGEST = /^(sha256|sha512):([0-9a-f]+)$/;

/**
 * Strict: sha256 = 64 lowercase hex, sha512 = 128 lowercase hex; anything else (other
 * algorithms, uppercase, wrong length, path characters) -> undefined.
 */
export function parseDigest(s: string): ParsedDigest | undefined {
  if (typeof s !== 'string' || s.length > 7 + 128) return undefined;
  const m = DIGEST.exec(s);
  if (!m) return undefined;
  const algorithm = m[1] as DigestAlgorithm;
  const hex = m[2] as string;
  if (hex.length !== DIGEST_HEX_LENGTH[algorithm]) return undefined;
  return { algorithm, hex, digest: s };
}

/** Incremental hasher over node:crypto. */
export interface Digester {
  /** Feeds the next chunk of content, in order. */
  update(chunk: Uint8Array): void;
  /** Finishes the hash and returns "alg:hex"; the digester cannot be used afterwards. */
  digest(): string;
}

export function createDigester(algorithm: DigestAlgorithm): Digester {
  if (!(algorithm in DIGEST_HEX_LENGTH)) throw new TypeError(`unsupported digest algorithm: ${String(algorithm)}`);
  const hash = createHash(algorithm);
  return {
    update(chunk) {
      hash.update(chunk);
    },
    digest() {
      return `${algorithm}:${hash.digest('hex')}`;
    },
  };
}

export function digestOf(bytes: Uint8Array, algorithm: DigestAlgorithm = 'sha256'): string {
  const d = createDigester(algorithm);
  d.update(bytes);
  return d.digest();
}
