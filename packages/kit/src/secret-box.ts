// Encrypts secrets the services must be able to read back (TOTP seeds, webhook signing secrets)
// with AES-256-GCM before they reach the database. Each sealed value names the key that sealed it,
// so several keys can be configured at once and rotated without a flag day.
import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { ConfigError } from './config.ts';

const KEY_BYTES = 32;
const IV_BYTES = 12;
const TAG_BYTES = 16;

export interface SecretsConfig {
  /** SECRETS_KEY (or the file SECRETS_KEY_FILE names): keys (base64 or hex of 32 bytes), comma- or line-separated; the first seals. */
  keys: string | undefined;
  /** Where a key is generated on first start when neither is set (<DATA_DIR>/secrets.key). */
  generatedKeyFile: string;
}

/** A value as stored: the ciphertext and, beside it, the id of the key that sealed it. */
export interface SealedSecret {
  keyId: string;
  /** base64 of iv (12 bytes) | GCM tag (16 bytes) | ciphertext. */
  ciphertext: string;
}

export class SecretKeyMissingError extends Error {
  constructor(readonly keyId: string) {
    super(`the secret was sealed with key ${keyId}, which is not configured (SECRETS_KEY / SECRETS_KEY_FILE)`);
  }
}

/** The id of a key: derived from the key itself, so the same key has the same id everywhere. */
export function secretKeyId(key: Buffer): string {
  return createHash('sha256').update('docksphere-secret-key-id\0').update(key).digest('hex').slice(0, 16);
}

function parseKey(text: string, where: string): Buffer {
  const t = text.trim();
  const key = /^[0-9a-fA-F]{64}$/.test(t) ? Buffer.from(t, 'hex') : Buffer.from(t, 'base64');
  if (key.length !== KEY_BYTES || (!/^[0-9a-fA-F]{64}$/.test(t) && key.toString('base64').replace(/=+$/, '') !== t.replace(/=+$/, ''))) {
    throw new ConfigError(`${where}: a secrets key is 32 bytes, written as 64 hex digits or base64`);
  }
  return key;
}

function keyLines(text: string): string[] {
  return text
    .split(/[\n,]/)
    .map((l) => l.trim())
    .filter((l) => l.length > 0 && !l.startsWith('#'));
}

/** Creates the key file once (exclusive create: concurrent first starts agree on one key), then reads it. */
function generatedKey(file: string): string {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  try {
    fs.writeFileSync(file, `${randomBytes(KEY_BYTES).toString('base64')}\n`, { flag: 'wx', mode: 0o600 });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
  }
  return fs.readFileSync(file, 'utf8');
}

/** Reads the configured keys: SECRETS_KEY (or SECRETS_KEY_FILE), else the key file generated in the data directory. */
export function loadSecretKeys(config: SecretsConfig): Buffer[] {
  if (config.keys) {
    const keys = keyLines(config.keys);
    if (keys.length === 0) throw new ConfigError('SECRETS_KEY: no key given');
    return keys.map((k) => parseKey(k, 'SECRETS_KEY'));
  }
  const file = config.generatedKeyFile;
  const lines = keyLines(generatedKey(file));
  if (lines.length === 0) throw new ConfigError(`${file}: no key in the file`);
  return lines.map((k) => parseKey(k, file));
}

export class SecretBox {
  private loaded: { keys: Map<string, Buffer>; currentKeyId: string } | undefined;

  /** Keys (the first seals), or a loader called on first use, so a process that never seals creates no key file. */
  constructor(private readonly source: readonly Buffer[] | (() => Buffer[])) {}

  static fromConfig(config: SecretsConfig): SecretBox {
    return new SecretBox(() => loadSecretKeys(config));
  }

  private get ring(): { keys: Map<string, Buffer>; currentKeyId: string } {
    if (!this.loaded) {
      const list = typeof this.source === 'function' ? this.source() : this.source;
      if (list.length === 0) throw new ConfigError('no secrets key configured');
      const keys = new Map<string, Buffer>();
      for (const k of list) {
        if (k.length !== KEY_BYTES) throw new ConfigError('a secrets key is 32 bytes');
        keys.set(secretKeyId(k), k);
      }
      this.loaded = { keys, currentKeyId: secretKeyId(list[0]!) };
    }
    return this.loaded;
  }

  /** The id of the key new values are sealed with. */
  get currentKeyId(): string {
    return this.ring.currentKeyId;
  }

  /** Whether a value sealed under keyId can be opened here. */
  has(keyId: string): boolean {
    return this.ring.keys.has(keyId);
  }

  /** Encrypts plaintext; context (table, column, row id) is authenticated, so a value cannot be moved to another row. */
  seal(plaintext: string, context: string): SealedSecret {
    const key = this.ring.keys.get(this.currentKeyId)!;
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', key, iv);
    cipher.setAAD(Buffer.from(context, 'utf8'));
    const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    return { keyId: this.currentKeyId, ciphertext: Buffer.concat([iv, cipher.getAuthTag(), body]).toString('base64') };
  }

  /** Decrypts a sealed value; throws SecretKeyMissingError for an unknown key, and an error when it was altered. */
  open(sealed: SealedSecret, context: string): string {
    const key = this.ring.keys.get(sealed.keyId);
    if (!key) throw new SecretKeyMissingError(sealed.keyId);
    const raw = Buffer.from(sealed.ciphertext, 'base64');
    if (raw.length < IV_BYTES + TAG_BYTES) throw new Error('sealed secret is truncated');
    const decipher = createDecipheriv('aes-256-gcm', key, raw.subarray(0, IV_BYTES));
    decipher.setAAD(Buffer.from(context, 'utf8'));
    decipher.setAuthTag(raw.subarray(IV_BYTES, IV_BYTES + TAG_BYTES));
    return Buffer.concat([decipher.update(raw.subarray(IV_BYTES + TAG_BYTES)), decipher.final()]).toString('utf8');
  }
}

/** One stored value as read for resealing: ciphertext (or plain text when keyId is null). */
export interface StoredSecret {
  id: string;
  value: string;
  keyId: string | null;
}

/**
 * Seals plain-text values and reseals values under an older key with the current one; replace()
 * must write only if the row still holds `previous` (so replicas running this at once agree).
 * Values under a key not configured are counted as unreadable and left alone.
 */
export async function resealStoredSecrets(
  box: SecretBox,
  rows: readonly StoredSecret[],
  contextOf: (id: string) => string,
  replace: (id: string, previous: string, sealed: SealedSecret) => Promise<boolean>,
): Promise<{ sealed: number; unreadable: number }> {
  let sealed = 0;
  let unreadable = 0;
  for (const row of rows) {
    if (row.keyId !== null && !box.has(row.keyId)) {
      unreadable++;
      continue;
    }
    const plain = row.keyId === null ? row.value : box.open({ keyId: row.keyId, ciphertext: row.value }, contextOf(row.id));
    if (await replace(row.id, row.value, box.seal(plain, contextOf(row.id)))) sealed++;
  }
  return { sealed, unreadable };
}
