// Random secrets (tokens, codes) and how they are stored: only a SHA-256 digest ever reaches the
// database, and every comparison of secret material is constant-time.
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

/** A random string of `length` base62 characters (about 5.95 bits each), without modulo bias. */
export function randomBase62(length: number): string {
  let out = '';
  while (out.length < length) {
    for (const byte of randomBytes(length * 2)) {
      if (byte < 248 && out.length < length) out += BASE62[byte % 62];
    }
  }
  return out;
}

/** Prefixes make leaked secrets recognisable (secret scanners) and tell credential kinds apart. */
export const secretPrefix = {
  accessToken: 'dsp_',
  robotToken: 'dsr_',
  dockerRefresh: 'dsi_',
  session: 'dss_',
  reset: 'dsw_',
  invite: 'dsv_',
} as const;

/** A new high-entropy secret (190 bits) with its kind's prefix. */
export function newSecret(prefix: string): string {
  return `${prefix}${randomBase62(32)}`;
}

/** The stored form of a high-entropy secret: looked up by this digest, never stored in clear. */
export function secretDigest(secret: string): string {
  return createHash('sha256').update(secret, 'utf8').digest('hex');
}

export function constantTimeEqual(a: string, b: string): boolean {
  const ab = createHash('sha256').update(a, 'utf8').digest();
  const bb = createHash('sha256').update(b, 'utf8').digest();
  // Hashing first makes the comparison length-independent as well.
  return timingSafeEqual(ab, bb) && a.length === b.length;
}
