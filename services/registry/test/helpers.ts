// Test harness: a registry plugin on Fastify over PGlite (or a real Postgres), a real filesystem
// blob store in a temp dir, and an ES256 key to sign tokens with.
import type { CachePeriods } from '../src/domain/cache-periods.ts';
import { createHash } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import { SignJWT, exportJWK, generateKeyPair, type JSONWebKeySet, type JWK } from 'jose';
import { openDatabase, type Database } from '@docksphere/db';
import type { AccessEntry } from '@docksphere/access';
import { createHttpServer, createLogger, type RegistryConfig } from '@docksphere/kit';
import { FilesystemBlobStore } from '@docksphere/storage';
import { createTokenVerifier, migrateRegistry, registryFrameworkErrors, registryPlugin, type CacheInvalidationListener, type RepositoryInvalidations } from '../src/index.ts';

export const ISSUER = 'test-issuer';
export const SERVICE = 'test-registry';
export const REALM = 'http://auth.test/auth/token';

export function sha256(data: Uint8Array | string): string {
  return `sha256:${createHash('sha256').update(data).digest('hex')}`;
}
export function sha512(data: Uint8Array | string): string {
  return `sha512:${createHash('sha512').update(data).digest('hex')}`;
}

export function registryConfig(overrides: Partial<RegistryConfig> = {}, auth: 'token' | 'none' = 'token'): RegistryConfig {
  return {
    auth: { mode: auth, realm: REALM, service: SERVICE, issuer: ISSUER, jwksUrl: undefined, publicKeyFile: undefined },
    uploadTtlSeconds: 3600,
    maxManifestBytes: 4 * 1024 * 1024,
    maxPageSize: 100,
    pullEventSampleRate: 1,
    maxUploadSessionsPerUser: 200,
    ...overrides,
  };
}

export interface SigningKey {
  privateKey: CryptoKeyLike;
  jwks: JSONWebKeySet;
  publicJwk: JWK;
}
type CryptoKeyLike = Awaited<ReturnType<typeof generateKeyPair>>['privateKey'];

export async function makeSigningKey(): Promise<SigningKey> {
  const { privateKey, publicKey } = await generateKeyPair('ES256', { extractable: true });
  const publicJwk = { ...(await exportJWK(publicKey)), kid: 'test-key', alg: 'ES256', use: 'sig' };
  return { privateKey, publicJwk, jwks: { keys: [publicJwk] } };
}

export interface TokenOptions {
  sub?: string;
  iss?: string;
  aud?: string;
  expiresIn?: number;
  notBefore?: number;
}

export async function signToken(key: SigningKey, access: AccessEntry[], o: TokenOptions = {}): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  const jwt = new SignJWT({ access })
    .setProtectedHeader({ alg: 'ES256', kid: 'test-key', typ: 'JWT' })
    .setIssuer(o.iss ?? ISSUER)
    .setAudience(o.aud ?? SERVICE)
    .setSubject(o.sub ?? 'user:alice')
    .setIssuedAt(now)
    .setExpirationTime(now + (o.expiresIn ?? 300));
  if (o.notBefore !== undefined) jwt.setNotBefore(now + o.notBefore);
  return jwt.sign(key.privateKey);
}

export function repo(name: string, ...actions: string[]): AccessEntry {
  return { type: 'repository', name, actions: actions.length ? actions : ['pull', 'push', 'delete'] };
}

export interface Harness {
  app: FastifyInstance;
  database: Database;
  storeDir: string;
  key: SigningKey;
  /** A bearer header granting the given access. */
  auth(...access: AccessEntry[]): Promise<{ authorization: string }>;
  close(): Promise<void>;
}

export interface HarnessOptions {
  /** Shared database (a second instance on the same Postgres); default: a fresh in-memory PGlite. */
  database?: Database;
  storeDir?: string;
  key?: SigningKey;
  authMode?: 'token' | 'none';
  config?: Partial<RegistryConfig>;
  onEventsWritten?: () => void;
  accelPrefix?: string;
  /** Shared with a lifecycle consumer under test. */
  invalidations?: RepositoryInvalidations;
  /** Other replicas' changes, as distributed mode hears them (started and closed by the caller). */
  cacheInvalidation?: CacheInvalidationListener;
  cachePeriods?: Partial<CachePeriods>;
}

export async function startRegistry(o: HarnessOptions = {}): Promise<Harness> {
  const database = o.database ?? (await openDatabase({ dataDir: 'memory://' }));
  await migrateRegistry(database.db);
  const storeDir = o.storeDir ?? (await mkdtemp(path.join(tmpdir(), 'registry-test-')));
  const store = new FilesystemBlobStore({ dir: storeDir, accelRedirect: o.accelPrefix !== undefined });
  const key = o.key ?? (await makeSigningKey());
  const authMode = o.authMode ?? 'token';
  const config = registryConfig(o.config, authMode);
  const verifier = authMode === 'none' ? undefined : createTokenVerifier({ issuer: ISSUER, audience: SERVICE, jwks: async () => key.jwks });
  const logger = createLogger({ level: 'silent' });
  // The server every main builds, with the registry's router-error answers, as production runs it.
  const app = createHttpServer({ logger, frameworkErrors: registryFrameworkErrors });
  await app.register(
    registryPlugin({ db: database.db, store, config, logger, verifier, accelPrefix: o.accelPrefix, invalidations: o.invalidations, cacheInvalidation: o.cacheInvalidation, cachePeriods: o.cachePeriods, ...(o.onEventsWritten ? { onEventsWritten: o.onEventsWritten } : {}) }),
  );
  await app.ready();
  return {
    app,
    database,
    storeDir,
    key,
    async auth(...access) {
      return { authorization: `Bearer ${await signToken(key, access)}` };
    },
    async close() {
      await app.close();
      await store.close();
      if (!o.database) await database.close();
      if (!o.storeDir) await rm(storeDir, { recursive: true, force: true });
    },
  };
}

/** Uploads a blob monolithically (POST then PUT) and returns its digest. */
export async function pushBlob(h: Harness, name: string, data: Buffer | string, headers: Record<string, string>): Promise<string> {
  const bytes = Buffer.from(data);
  const digest = sha256(bytes);
  const post = await h.app.inject({ method: 'POST', url: `/v2/${name}/blobs/uploads/`, headers });
  if (post.statusCode !== 202) throw new Error(`POST upload: ${post.statusCode} ${post.body}`);
  const put = await h.app.inject({
    method: 'PUT',
    url: `${post.headers.location}?digest=${digest}`,
    headers: { ...headers, 'content-type': 'application/octet-stream' },
    payload: bytes,
  });
  if (put.statusCode !== 201) throw new Error(`PUT upload: ${put.statusCode} ${put.body}`);
  return digest;
}

export interface ImageFixture {
  manifest: Buffer;
  digest: string;
  config: string;
  layers: string[];
}

/** Pushes a config and one layer, returns an OCI image manifest (not pushed) referencing them. */
export async function prepareImage(h: Harness, name: string, headers: Record<string, string>, extra: Record<string, unknown> = {}, seed = 'x'): Promise<ImageFixture> {
  const configBytes = Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux', seed }));
  const layerBytes = Buffer.from(`layer-${seed}`);
  const config = await pushBlob(h, name, configBytes, headers);
  const layer = await pushBlob(h, name, layerBytes, headers);
  const manifest = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: config, size: configBytes.length },
      layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', digest: layer, size: layerBytes.length }],
      ...extra,
    }),
  );
  return { manifest, digest: sha256(manifest), config, layers: [layer] };
}
