// Builds a real auth service for tests: PGlite in memory (or a given database), keys in a temp
// dir, the plugin on a Fastify instance, the site admin bootstrapped.
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import Fastify, { type FastifyInstance, type LightMyRequestResponse } from 'fastify';
import { openDatabase, type Database } from '@docksphere/db';
import { loadConfig, type DockSphereConfig } from '@docksphere/kit';
import { createLogger } from '@docksphere/kit';
import { authPlugin, bootstrapAdmin, createKeyStore, keyStoreOptions, migrateAuth, type AuthDeps, type KeyStore } from '../src/index.ts';

export const ADMIN_PASSWORD = 'admin-password-for-tests';

export interface TestAuth {
  app: FastifyInstance;
  db: Database;
  keys: KeyStore;
  config: DockSphereConfig;
  keysDir: string;
  close(): Promise<void>;
}

export async function startAuth(
  options: { env?: Record<string, string>; deps?: Partial<AuthDeps>; databaseUrl?: string } = {},
): Promise<TestAuth> {
  const keysDir = await mkdtemp(path.join(os.tmpdir(), 'ds-auth-keys-'));
  const config = loadConfig({
    PUBLIC_URL: 'http://registry.test',
    AUTH_KEYS_DIR: keysDir,
    // The secrets key is generated here on first use, as in a fresh data directory.
    DATA_DIR: keysDir,
    ADMIN_PASSWORD,
    LOG_LEVEL: 'silent',
    ...options.env,
  });
  const db = await openDatabase(options.databaseUrl ? { url: options.databaseUrl } : { dataDir: 'memory://' });
  await migrateAuth(db.db);
  const keys = await createKeyStore(keyStoreOptions(config));
  await bootstrapAdmin(db.db, { username: config.auth.adminUsername, email: config.auth.adminEmail, password: config.auth.adminPassword });
  const app = Fastify({ logger: false });
  await app.register(authPlugin, { db: db.db, config, keys, logger: createLogger({ level: 'silent' }), ...options.deps });
  await app.ready();
  return {
    app,
    db,
    keys,
    config,
    keysDir,
    async close() {
      await app.close();
      await db.close();
      await rm(keysDir, { recursive: true, force: true });
    },
  };
}

export function basic(username: string, password: string): string {
  return `Basic ${Buffer.from(`${username}:${password}`).toString('base64')}`;
}

export function decodeJwt(token: string): { header: Record<string, unknown>; claims: Record<string, any> } {
  const [h, c] = token.split('.');
  return { header: JSON.parse(Buffer.from(h as string, 'base64url').toString()), claims: JSON.parse(Buffer.from(c as string, 'base64url').toString()) };
}

export interface ConsoleLogin {
  accessToken: string;
  csrfToken: string;
  cookies: Record<string, string>;
  /** Authorization header for bearer calls. */
  bearer: { authorization: string };
}

export function cookiesOf(res: LightMyRequestResponse): Record<string, string> {
  const out: Record<string, string> = {};
  for (const c of res.cookies as { name: string; value: string }[]) out[c.name] = c.value;
  return out;
}

/** Logs in on the console API (no 2FA) and returns the tokens and cookies. */
export async function consoleLogin(app: FastifyInstance, username: string, password: string, ip = '10.0.0.1'): Promise<ConsoleLogin> {
  const res = await app.inject({ method: 'POST', url: '/api/auth/login', payload: { username, password }, remoteAddress: ip });
  if (res.statusCode !== 200) throw new Error(`login ${username} failed: ${res.statusCode} ${res.body}`);
  const body = res.json();
  return { accessToken: body.accessToken, csrfToken: body.csrfToken, cookies: cookiesOf(res), bearer: { authorization: `Bearer ${body.accessToken}` } };
}

/** Creates a local user through the admin API. */
export async function createUser(app: FastifyInstance, admin: ConsoleLogin, username: string, password: string, extra: Record<string, unknown> = {}): Promise<void> {
  const res = await app.inject({ method: 'POST', url: '/api/auth/admin/users', headers: admin.bearer, payload: { username, email: `${username}@example.test`, password, ...extra } });
  if (res.statusCode !== 201) throw new Error(`create ${username} failed: ${res.statusCode} ${res.body}`);
}

export async function outboxTypes(db: Database): Promise<string[]> {
  const rows = await db.db.withSchema('identity').selectFrom('outbox').select(['type']).orderBy('seq').execute();
  return rows.map((r) => r.type as string);
}

export async function outboxEvents(db: Database, type: string): Promise<any[]> {
  const rows = await db.db.withSchema('identity').selectFrom('outbox').select(['event']).where('type', '=', type).orderBy('seq').execute();
  return rows.map((r) => (typeof r.event === 'string' ? JSON.parse(r.event) : r.event));
}
