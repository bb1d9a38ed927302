// Webhook signatures: X-DockSphere-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>.
// The timestamp is signed with the body so a captured request cannot be replayed later.
import { createHmac, timingSafeEqual } from 'node:crypto';

export const SIGNATURE_HEADER = 'x-docksphere-signature';
/** Receivers should refuse signatures older (or newer) than this. */
export const DEFAULT_SIGNATURE_TOLERANCE_SECONDS = 300;

export function signatureHeader(secret: string, body: string, timestampSeconds: number = Math.floor(Date.now() / 1000)): string {
  const mac = createHmac('sha256', secret).update(`${timestampSeconds}.${body}`).digest('hex');
  return `t=${timestampSeconds},v1=${mac}`;
}

export type SignatureCheck = { valid: true; timestamp: number } | { valid: false; reason: 'malformed' | 'stale' | 'mismatch' };

/** What a receiver does: parse the header, check the age, compare the MAC in constant time. */
export function verifySignature(
  secret: string,
  header: string | undefined,
  body: string,
  options: { toleranceSeconds?: number; nowSeconds?: number } = {},
): SignatureCheck {
  if (!header) return { valid: false, reason: 'malformed' };
  const parts = new Map<string, string[]>();
  for (const item of header.split(',')) {
    const eq = item.indexOf('=');
    if (eq <= 0) return { valid: false, reason: 'malformed' };
    const key = item.slice(0, eq).trim();
    parts.set(key, [...(parts.get(key) ?? []), item.slice(eq + 1).trim()]);
  }
  const t = parts.get('t')?.[0];
  const macs = parts.get('v1') ?? [];
  if (!t || !/^\d{1,12}$/.test(t) || macs.length === 0) return { valid: false, reason: 'malformed' };
  const timestamp = Number(t);
  const now = options.nowSeconds ?? Math.floor(Date.now() / 1000);
  if (Math.abs(now - timestamp) > (options.toleranceSeconds ?? DEFAULT_SIGNATURE_TOLERANCE_SECONDS)) return { valid: false, reason: 'stale' };
  const expected = Buffer.from(createHmac('sha256', secret).update(`${t}.${body}`).digest('hex'));
  const ok = macs.some((mac) => {
    const given = Buffer.from(mac);
    return given.length === expected.length && timingSafeEqual(given, expected);
  });
  return ok ? { valid: true, timestamp } : { valid: false, reason: 'mismatch' };
}
