// Signing keys: generated once and reused, ES256 or RS256 with kid, published as JWKS, rotated
// without breaking tokens already issued, read from a mounted file in the distributed mode.
import { generateKeyPairSync } from 'node:crypto';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createLocalJWKSet, jwtVerify } from 'jose';
import { createKeyStore } from '../src/index.ts';

const dirs: string[] = [];
async function tempDir(): Promise<string> {
  const d = await mkdtemp(path.join(os.tmpdir(), 'ds-keys-'));
  dirs.push(d);
  return d;
}
afterEach(async () => {
  for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true });
});

const expected = { issuer: 'iss-test', audience: 'aud-test' };
const sign = (store: Awaited<ReturnType<typeof createKeyStore>>) =>
  store.sign({ access: [] }, { ...expected, subject: 'alice', ttlSeconds: 300 }).then((r) => r.token);

async function verifyWithJwks(token: string, jwks: Parameters<typeof createLocalJWKSet>[0]) {
  return (await jwtVerify(token, createLocalJWKSet(jwks), expected)).payload;
}

describe('key store', () => {
  it('generates a key on first start and reuses it on the next', async () => {
    const dir = await tempDir();
    const first = await createKeyStore({ keysDir: dir, generate: true, algorithm: 'ES256', retireAfterSeconds: 600 });
    const second = await createKeyStore({ keysDir: dir, generate: true, algorithm: 'ES256', retireAfterSeconds: 600 });
    expect(second.activeKid()).toBe(first.activeKid());
    expect((await readdir(dir)).filter((n) => n.endsWith('.key.pem'))).toHaveLength(1);
    const jwks = await first.publicJwks();
    expect(jwks.keys).toHaveLength(1);
    expect(jwks.keys[0]).toMatchObject({ kty: 'EC', crv: 'P-256', alg: 'ES256', kid: first.activeKid(), use: 'sig' });
    expect(jwks.keys[0]).not.toHaveProperty('d');
  });

  it('signs RS256 when configured', async () => {
    const store = await createKeyStore({ keysDir: await tempDir(), generate: true, algorithm: 'RS256', retireAfterSeconds: 600 });
    const token = await sign(store);
    expect(JSON.parse(Buffer.from(token.split('.')[0] as string, 'base64url').toString())).toMatchObject({ alg: 'RS256', kid: store.activeKid(), typ: 'JWT' });
    expect((await verifyWithJwks(token, await store.publicJwks())).sub).toBe('alice');
  });

  it('refuses to start without a key when it may not generate one', async () => {
    await expect(createKeyStore({ keysDir: await tempDir(), generate: false, algorithm: 'ES256', retireAfterSeconds: 600 })).rejects.toThrow(/no signing key/);
  });

  it('rotation signs with a new kid and keeps tokens of the old key verifiable', async () => {
    const store = await createKeyStore({ keysDir: await tempDir(), generate: true, algorithm: 'ES256', retireAfterSeconds: 600 });
    const oldKid = store.activeKid();
    const oldToken = await sign(store);
    const newKid = await store.rotate();
    expect(newKid).not.toBe(oldKid);
    expect(store.activeKid()).toBe(newKid);
    const newToken = await sign(store);
    const jwks = await store.publicJwks();
    expect(jwks.keys.map((k) => k.kid).sort()).toEqual([oldKid, newKid].sort());
    expect((await verifyWithJwks(oldToken, jwks)).sub).toBe('alice');
    expect((await verifyWithJwks(newToken, jwks)).sub).toBe('alice');
    expect((await store.verify(oldToken, expected)).sub).toBe('alice');
  });

  it('drops a superseded key once its tokens have had time to expire', async () => {
    const dir = await tempDir();
    const store = await createKeyStore({ keysDir: dir, generate: true, algorithm: 'ES256', retireAfterSeconds: 0 });
    const oldToken = await sign(store);
    await new Promise((r) => setTimeout(r, 20));
    await store.rotate();
    expect((await store.publicJwks()).keys).toHaveLength(1);
    await expect(store.verify(oldToken, expected)).rejects.toThrow();
    expect((await readdir(dir)).filter((n) => n.endsWith('.key.pem'))).toHaveLength(1);
  });

  it('signs with a mounted key file and publishes extra public keys from the directory', async () => {
    const dir = await tempDir();
    const signing = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
    const retired = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
    const file = path.join(await tempDir(), 'signing.pem');
    await writeFile(file, signing.privateKey.export({ type: 'sec1', format: 'pem' }));
    await writeFile(path.join(dir, 'old.pub.pem'), retired.publicKey.export({ type: 'spki', format: 'pem' }));
    const store = await createKeyStore({ keysDir: dir, signingKeyFile: file, generate: false, algorithm: 'ES256', retireAfterSeconds: 3600 });
    expect((await store.publicJwks()).keys).toHaveLength(2);
    const token = await sign(store);
    expect((await verifyWithJwks(token, await store.publicJwks())).sub).toBe('alice');
    await expect(store.rotate()).rejects.toThrow(/AUTH_SIGNING_KEY_FILE/);
  });

  it('refuses weak or unsupported key types', async () => {
    const dir = await tempDir();
    const weak = generateKeyPairSync('rsa', { modulusLength: 1024 });
    await writeFile(path.join(dir, 'weak.key.pem'), weak.privateKey.export({ type: 'pkcs8', format: 'pem' }));
    await expect(createKeyStore({ keysDir: dir, generate: true, algorithm: 'RS256', retireAfterSeconds: 600 })).rejects.toThrow(/unsupported signing key/);
  });

  it('verify() refuses a token for another audience and a token signed by an unknown key', async () => {
    const a = await createKeyStore({ keysDir: await tempDir(), generate: true, algorithm: 'ES256', retireAfterSeconds: 600 });
    const b = await createKeyStore({ keysDir: await tempDir(), generate: true, algorithm: 'ES256', retireAfterSeconds: 600 });
    const token = await sign(a);
    await expect(a.verify(token, { ...expected, audience: 'other' })).rejects.toThrow();
    await expect(b.verify(token, expected)).rejects.toThrow();
  });
});
