// Token signing keys: generated on first start (all-in-one) or read from mounted files
// (distributed), published as a JWKS, and rotated so tokens signed by a retired key stay
// verifiable until they expire.
import { createPrivateKey, createPublicKey, generateKeyPairSync, randomBytes, type KeyObject } from 'node:crypto';
import { mkdir, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { SignJWT, calculateJwkThumbprint, exportJWK, jwtVerify, type JSONWebKeySet, type JWK, type JWTPayload } from 'jose';

export type SigningAlgorithm = 'ES256' | 'RS256';

export interface KeyStoreOptions {
  /** Directory of PEM files: "*.key.pem" private keys (sign + publish), "*.pub.pem" public keys (publish only). */
  keysDir: string;
  /** A private key file that signs instead of the newest key in keysDir (a mounted secret). */
  signingKeyFile?: string | undefined;
  /** Create a key in keysDir when there is none to sign with (all-in-one). */
  generate: boolean;
  algorithm: SigningAlgorithm;
  /** How long a superseded key stays published: at least the longest token lifetime. */
  retireAfterSeconds: number;
}

export interface SignOptions {
  issuer: string;
  audience: string;
  subject: string;
  ttlSeconds: number;
  jwtId?: string;
}

export interface KeyStore {
  /** Signs claims with the active key; the header carries typ, alg and kid. */
  sign(claims: JWTPayload, options: SignOptions): Promise<{ token: string; issuedAt: number; expiresAt: number }>;
  /** Verifies a token signed by any published key, checking issuer, audience and lifetime. */
  verify(token: string, expected: { issuer: string; audience: string }): Promise<JWTPayload>;
  /** The public keys a verifier should trust: the active one and those not yet retired. */
  publicJwks(): Promise<JSONWebKeySet>;
  /** The kid of the key that signs now. */
  activeKid(): string;
  /** Generates a new active key in keysDir; older keys stay published until retired. Returns the new kid. */
  rotate(): Promise<string>;
  /** Re-reads keysDir (an operator rotated the mounted files). */
  reload(): Promise<void>;
}

interface LoadedKey {
  kid: string;
  alg: SigningAlgorithm;
  file: string;
  /** When the key file was written; a key superseded longer than retireAfterSeconds ago is dropped. */
  createdAt: number;
  privateKey: KeyObject | undefined;
  publicJwk: JWK;
}

const PRIVATE_SUFFIX = '.key.pem';
const PUBLIC_SUFFIX = '.pub.pem';

function algorithmOf(key: KeyObject): SigningAlgorithm {
  if (key.asymmetricKeyType === 'ec' && key.asymmetricKeyDetails?.namedCurve === 'prime256v1') return 'ES256';
  if (key.asymmetricKeyType === 'rsa' && (key.asymmetricKeyDetails?.modulusLength ?? 0) >= 2048) return 'RS256';
  throw new Error(`unsupported signing key: ${key.asymmetricKeyType} (use EC P-256 or RSA >= 2048 bits)`);
}

async function loadKeyFile(file: string): Promise<LoadedKey> {
  const pem = await readFile(file, 'utf8');
  const isPrivate = /PRIVATE KEY-----/.test(pem);
  const privateKey = isPrivate ? createPrivateKey(pem) : undefined;
  const publicKey = privateKey ? createPublicKey(privateKey) : createPublicKey(pem);
  const alg = algorithmOf(publicKey);
  const jwk = await exportJWK(publicKey);
  const kid = await calculateJwkThumbprint(jwk, 'sha256');
  const createdAt = (await stat(file)).mtimeMs;
  return { kid, alg, file, createdAt, privateKey, publicJwk: { ...jwk, kid, alg, use: 'sig' } };
}

/** Key files sort oldest first by name: generated names start with the creation time. */
function newKeyFileName(): string {
  return `k-${Date.now().toString().padStart(15, '0')}-${randomBytes(4).toString('hex')}${PRIVATE_SUFFIX}`;
}

async function generateKeyFile(dir: string, algorithm: SigningAlgorithm): Promise<string> {
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const { privateKey } =
    algorithm === 'ES256' ? generateKeyPairSync('ec', { namedCurve: 'prime256v1' }) : generateKeyPairSync('rsa', { modulusLength: 2048 });
  const file = path.join(dir, newKeyFileName());
  await writeFile(file, privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600, flag: 'wx' });
  return file;
}

export async function createKeyStore(options: KeyStoreOptions): Promise<KeyStore> {
  let keys: LoadedKey[] = [];
  let active: LoadedKey;
  // One object per key set, so a verifier can tell by identity that nothing changed.
  let published: JSONWebKeySet = { keys: [] };

  async function load(): Promise<void> {
    let names: string[] = [];
    try {
      names = (await readdir(options.keysDir)).filter((n) => n.endsWith(PRIVATE_SUFFIX) || n.endsWith(PUBLIC_SUFFIX)).sort();
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
    const loaded: LoadedKey[] = [];
    for (const name of names) loaded.push(await loadKeyFile(path.join(options.keysDir, name)));
    let signer: LoadedKey | undefined;
    if (options.signingKeyFile) {
      signer = await loadKeyFile(options.signingKeyFile);
      if (!signer.privateKey) throw new Error(`AUTH_SIGNING_KEY_FILE ${options.signingKeyFile} holds no private key`);
    } else {
      signer = [...loaded].reverse().find((k) => k.privateKey !== undefined && k.alg === options.algorithm);
      if (!signer && options.generate) {
        loaded.push(await loadKeyFile(await generateKeyFile(options.keysDir, options.algorithm)));
        signer = loaded[loaded.length - 1];
      }
    }
    if (!signer) throw new Error(`no signing key: put a ${options.algorithm} private key in ${options.keysDir} or set AUTH_SIGNING_KEY_FILE`);
    // The newest key superseded another at its own creation time: retire keys superseded long ago.
    const now = Date.now();
    const byAge = [...loaded].sort((a, b) => a.createdAt - b.createdAt);
    keys = byAge.filter((k, i) => {
      if (k.kid === signer.kid) return true;
      const successor = byAge[i + 1];
      return !successor || now - successor.createdAt < options.retireAfterSeconds * 1000;
    });
    if (!keys.some((k) => k.kid === signer.kid)) keys.push(signer);
    active = signer;
    const next = keys.map((k) => k.publicJwk);
    if (JSON.stringify(next) !== JSON.stringify(published.keys)) published = { keys: next };
  }

  await load();

  return {
    activeKid: () => active.kid,
    async sign(claims, o) {
      const issuedAt = Math.floor(Date.now() / 1000);
      const expiresAt = issuedAt + o.ttlSeconds;
      const jwt = new SignJWT(claims)
        .setProtectedHeader({ typ: 'JWT', alg: active.alg, kid: active.kid })
        .setIssuer(o.issuer)
        .setAudience(o.audience)
        .setSubject(o.subject)
        .setIssuedAt(issuedAt)
        .setNotBefore(issuedAt)
        .setExpirationTime(expiresAt)
        .setJti(o.jwtId ?? randomBytes(16).toString('base64url'));
      return { token: await jwt.sign(active.privateKey as KeyObject), issuedAt, expiresAt };
    },
    async verify(token, expected) {
      const { payload } = await jwtVerify(
        token,
        async (header) => {
          const key = keys.find((k) => k.kid === header.kid);
          if (!key || key.alg !== header.alg) throw new Error('unknown signing key');
          return createPublicKey({ key: key.publicJwk as import('node:crypto').JsonWebKey, format: 'jwk' });
        },
        { issuer: expected.issuer, audience: expected.audience, algorithms: ['ES256', 'RS256'] },
      );
      return payload;
    },
    async publicJwks() {
      return published;
    },
    async rotate() {
      if (options.signingKeyFile) throw new Error('keys come from AUTH_SIGNING_KEY_FILE: rotate by replacing the mounted files');
      const file = await generateKeyFile(options.keysDir, options.algorithm);
      await load();
      const retired = (await readdir(options.keysDir)).filter((n) => n.endsWith(PRIVATE_SUFFIX) && !keys.some((k) => path.basename(k.file) === n));
      for (const name of retired) await rm(path.join(options.keysDir, name), { force: true });
      return (await loadKeyFile(file)).kid;
    },
    reload: load,
  };
}
