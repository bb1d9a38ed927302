// Time-based one-time passwords (RFC 6238, 30 s, 6 digits, SHA-1 as authenticator apps expect)
// and the ten single-use backup codes.
import { Secret, TOTP } from 'otpauth';
import QRCode from 'qrcode';
import { randomBytes } from 'node:crypto';
import { secretDigest } from './secrets.ts';

const PERIOD = 30;

function totpFor(secretBase32: string, label = 'account', issuer = 'DockSphere'): TOTP {
  return new TOTP({ issuer, label, algorithm: 'SHA1', digits: 6, period: PERIOD, secret: Secret.fromBase32(secretBase32) });
}

export function newTotpSecret(): string {
  return new Secret({ size: 20 }).base32;
}

export async function enrolment(secretBase32: string, username: string, issuer: string): Promise<{ secret: string; otpauthUri: string; qrCodeDataUrl: string }> {
  const uri = totpFor(secretBase32, username, issuer).toString();
  return { secret: secretBase32, otpauthUri: uri, qrCodeDataUrl: await QRCode.toDataURL(uri, { errorCorrectionLevel: 'M', margin: 1 }) };
}

/** The time step a valid code belongs to (one step of clock drift either way), or undefined. */
export function matchingStep(secretBase32: string, code: string, now = Date.now()): number | undefined {
  if (!/^\d{6}$/.test(code)) return undefined;
  const delta = totpFor(secretBase32).validate({ token: code, timestamp: now, window: 1 });
  if (delta === null) return undefined;
  return Math.floor(now / 1000 / PERIOD) + delta;
}

/** A code for a secret at a time: for tests and for nothing else. */
export function codeAt(secretBase32: string, timestamp: number): string {
  return totpFor(secretBase32).generate({ timestamp });
}

const CODE_ALPHABET = 'abcdefghjkmnpqrstuvwxyz23456789';

/** Ten backup codes like "k7m2p-x9q4r" (about 49 bits each). */
export function newBackupCodes(count = 10): string[] {
  const codes: string[] = [];
  while (codes.length < count) {
    let raw = '';
    for (const b of randomBytes(20)) if (b < 248 && raw.length < 10) raw += CODE_ALPHABET[b % CODE_ALPHABET.length];
    if (raw.length === 10) codes.push(`${raw.slice(0, 5)}-${raw.slice(5)}`);
  }
  return codes;
}

/** Backup codes are compared by digest, salted with the user id; spaces, dashes and case do not matter. */
export function backupCodeDigest(userId: string, code: string): string {
  return secretDigest(`${userId}:${code.toLowerCase().replace(/[\s-]/g, '')}`);
}
