// The metadata service next to the real auth service: a console login's access token is accepted
// with auth's published keys, and auth's token service asks metadata for access in process.
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import Fastify, { type FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase, type Database } from '@docksphere/db';
import { createLogger, loadConfig } from '@docksphere/kit';
import { authPlugin, bootstrapAdmin, createCredentialAuthority, createKeyStore, keyStoreOptions, migrateAuth } from '@docksphere/auth';
import { metadataAccessPolicy, metadataPlugin, migrateMetadata } from '../src/index.ts';

describe('metadata with the auth service', () => {
  let app: FastifyInstance;
  let db: Database;
  let keysDir: string;

  beforeAll(async () => {
    keysDir = await mkdtemp(path.join(os.tmpdir(), 'ds-meta-auth-'));
    const config = loadConfig({ LOG_LEVEL: 'silent', AUTH_KEYS_DIR: keysDir, ADMIN_PASSWORD: 'admin-password-for-tests', PUBLIC_URL: 'http://registry.test' });
    db = await openDatabase({ dataDir: 'memory://' });
    await migrateAuth(db.db);
    await migrateMetadata(db.db);
    const keys = await createKeyStore(keyStoreOptions(config));
    await bootstrapAdmin(db.db, { username: 'admin', email: 'admin@localhost', password: 'admin-password-for-tests' });
    const logger = createLogger({ level: 'silent' });
    app = Fastify({ logger: false });
    await app.register(authPlugin, { db: db.db, config, keys, logger, accessPolicy: metadataAccessPolicy(db.db) });
    await app.register(metadataPlugin, { db: db.db, config, logger, jwks: () => keys.publicJwks(), authority: createCredentialAuthority(db.db, config.auth) });
    await app.ready();
  });
  afterAll(async () => {
    await app?.close();
    await db?.close();
    if (keysDir) await rm(keysDir, { recursive: true, force: true });
  });

  it('accepts a console login and the token service asks metadata', async () => {
    const login = await app.inject({ method: 'POST', url: '/api/auth/login', payload: { username: 'admin', password: 'admin-password-for-tests' } });
    expect(login.statusCode).toBe(200);
    const token = login.json().accessToken as string;
    const me = await app.inject({ method: 'GET', url: '/api/me', headers: { authorization: `Bearer ${token}` } });
    expect(me.json()).toMatchObject({ username: 'admin', siteAdmin: true });
    const created = await app.inject({ method: 'POST', url: '/api/repositories', headers: { authorization: `Bearer ${token}` }, payload: { name: 'admin/app', visibility: 'private' } });
    expect(created.statusCode).toBe(201);
    const basic = `Basic ${Buffer.from('admin:admin-password-for-tests').toString('base64')}`;
    const issued = await app.inject({ method: 'GET', url: '/auth/token?service=docksphere&scope=repository:admin/app:pull,push&scope=repository:busybox:pull', headers: { authorization: basic } });
    expect(issued.statusCode).toBe(200);
    const claims = JSON.parse(Buffer.from((issued.json().token as string).split('.')[1] as string, 'base64url').toString());
    expect(claims.access).toEqual([{ type: 'repository', name: 'admin/app', actions: ['pull', 'push'] }]);
    const anonymous = await app.inject({ method: 'GET', url: '/auth/token?service=docksphere&scope=repository:admin/app:pull' });
    expect(JSON.parse(Buffer.from((anonymous.json().token as string).split('.')[1] as string, 'base64url').toString()).access).toEqual([]);
  });
});
