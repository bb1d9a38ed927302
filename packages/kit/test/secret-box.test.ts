// SecretBox: AES-256-GCM sealing with the key id beside each value, keys from SECRETS_KEY,
// SECRETS_KEY_FILE or a generated file, rotation, and refusal of altered or moved values.
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError, loadConfig, loadSecretKeys, SecretBox, SecretKeyMissingError, secretKeyId } from '../src/index.ts';

const keyA = Buffer.alloc(32, 1);
const keyB = Buffer.alloc(32, 2);

describe('SecretBox', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'ds-secret-box-'));
  });
  afterAll(async () => rm(dir, { recursive: true, force: true }));

  it('seals with the first key, names it beside the value, and opens it again', () => {
    const box = new SecretBox([keyA]);
    const sealed = box.seal('JBSWY3DPEHPK3PXP', 'users.totp:u1');
    expect(sealed.keyId).toBe(secretKeyId(keyA));
    expect(sealed.ciphertext).not.toContain('JBSWY3DPEHPK3PXP');
    expect(Buffer.from(sealed.ciphertext, 'base64').subarray(28).toString('utf8')).not.toContain('JBSW');
    // A fresh IV each time: the same secret never seals to the same text.
    expect(box.seal('JBSWY3DPEHPK3PXP', 'users.totp:u1').ciphertext).not.toBe(sealed.ciphertext);
    expect(box.open(sealed, 'users.totp:u1')).toBe('JBSWY3DPEHPK3PXP');
  });

  it('refuses a value altered, moved to another row, or sealed with a key it does not have', () => {
    const box = new SecretBox([keyA]);
    const sealed = box.seal('whsec_abc', 'subscriptions.secret:s1');
    const raw = Buffer.from(sealed.ciphertext, 'base64');
    raw[raw.length - 1] = (raw[raw.length - 1] ?? 0) ^ 1;
    expect(() => box.open({ keyId: sealed.keyId, ciphertext: raw.toString('base64') }, 'subscriptions.secret:s1')).toThrow();
    expect(() => box.open(sealed, 'subscriptions.secret:s2')).toThrow();
    expect(() => new SecretBox([keyB]).open(sealed, 'subscriptions.secret:s1')).toThrow(SecretKeyMissingError);
  });

  it('rotates: a ring of new then old keys opens both and seals with the new one', () => {
    const old = new SecretBox([keyA]).seal('s', 'c');
    const ring = new SecretBox([keyB, keyA]);
    expect(ring.open(old, 'c')).toBe('s');
    expect(ring.seal('s', 'c').keyId).toBe(secretKeyId(keyB));
    expect(ring.has(secretKeyId(keyA))).toBe(true);
  });

  it('reads SECRETS_KEY (base64 or hex, comma-separated) and SECRETS_KEY_FILE (one key a line)', async () => {
    const fromEnv = loadConfig({ DATA_DIR: dir, SECRETS_KEY: `${keyB.toString('hex')},${keyA.toString('base64')}` });
    expect(loadSecretKeys(fromEnv.secrets)).toEqual([keyB, keyA]);
    const file = path.join(dir, 'mounted.key');
    await writeFile(file, `# current first\n${keyA.toString('base64')}\n${keyB.toString('base64')}\n`);
    expect(loadSecretKeys(loadConfig({ DATA_DIR: dir, SECRETS_KEY_FILE: file }).secrets)).toEqual([keyA, keyB]);
    expect(() => loadSecretKeys(loadConfig({ DATA_DIR: dir, SECRETS_KEY: 'too-short' }).secrets)).toThrow(ConfigError);
  });

  it('generates a key file in the data directory on first use only, readable by its owner alone', async () => {
    const data = path.join(dir, 'data');
    const box = SecretBox.fromConfig(loadConfig({ DATA_DIR: data }).secrets);
    await expect(stat(path.join(data, 'secrets.key'))).rejects.toThrow();
    const sealed = box.seal('x', 'c');
    const file = path.join(data, 'secrets.key');
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    // A second process starting on the same data directory reads the same key.
    expect(SecretBox.fromConfig(loadConfig({ DATA_DIR: data }).secrets).open(sealed, 'c')).toBe('x');
    expect(sealed.keyId).toBe(secretKeyId(Buffer.from((await readFile(file, 'utf8')).trim(), 'base64')));
  });
});
