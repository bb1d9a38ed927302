// The distributed mode's adapters: a real PostgreSQL for the identity schema and a real Redis
// shared by two auth replicas, so rate limits and lock-outs hold across replicas.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hasCommand, postgresBinDir, requireServer, startPostgres, startRedis, type RunningPostgres, type RunningRedis } from '@docksphere/infra';
import { openDatabase } from '@docksphere/db';
import { bootstrapAdmin, migrateAuth } from '../src/index.ts';
import { ADMIN_PASSWORD, basic, decodeJwt, startAuth, type TestAuth } from './helpers.ts';

const available = requireServer('postgres', postgresBinDir() !== undefined) && requireServer('redis-server', hasCommand('redis-server'));

describe.skipIf(!available)('distributed mode: PostgreSQL and Redis', () => {
  let pg: RunningPostgres;
  let redis: RunningRedis;
  let first: TestAuth;
  let second: TestAuth;

  beforeAll(async () => {
    [pg, redis] = await Promise.all([startPostgres(), startRedis()]);
    const env = { REDIS_URL: redis.url, LOGIN_FAILURES_BEFORE_DELAY: '2', RATE_LIMIT_LOGIN_PER_ACCOUNT: '100' };
    first = await startAuth({ databaseUrl: pg.url, env });
    second = await startAuth({ databaseUrl: pg.url, env: { ...env, AUTH_KEYS_DIR: first.keysDir } });
  });
  afterAll(async () => {
    await second?.close();
    await first?.close();
    await redis?.stop();
    await pg?.stop();
  });

  it('migrations are idempotent on PostgreSQL and two replicas bootstrap a single admin', async () => {
    expect(await migrateAuth(first.db.db)).toEqual([]);
    const admins = await first.db.db.withSchema('identity').selectFrom('users').select('username').where('is_admin', '=', true).execute();
    expect(admins).toEqual([{ username: 'admin' }]);
  });

  it('concurrent first starts on a fresh database create exactly one admin', async () => {
    const url = pg.createDatabase('bootstrap_race');
    const dbs = await Promise.all([openDatabase({ url }), openDatabase({ url })]);
    try {
      await Promise.all(dbs.map((d) => migrateAuth(d.db)));
      const results = await Promise.all(dbs.map((d) => bootstrapAdmin(d.db, { username: 'admin', email: 'admin@localhost', password: undefined })));
      expect(results.filter((r) => r.created)).toHaveLength(1);
    } finally {
      for (const d of dbs) await d.close();
    }
  });

  it('issues tokens from either replica, signed with the shared keys', async () => {
    for (const replica of [first, second]) {
      const res = await replica.app.inject({ method: 'GET', url: '/auth/token?service=docksphere&scope=registry:catalog:*', headers: { authorization: basic('admin', ADMIN_PASSWORD) } });
      expect(res.statusCode).toBe(200);
      expect(decodeJwt(res.json().token).header.kid).toBe(first.keys.activeKid());
    }
  });

  it('failures on one replica lock the account on the other (shared Redis counters)', async () => {
    const attempt = (replica: TestAuth, password: string) =>
      replica.app.inject({ method: 'POST', url: '/api/auth/login', payload: { username: 'admin', password }, remoteAddress: '10.20.0.1' });
    expect((await attempt(first, 'wrong-password')).statusCode).toBe(401);
    expect((await attempt(second, 'wrong-password')).statusCode).toBe(401);
    const locked = await attempt(first, ADMIN_PASSWORD);
    expect(locked.statusCode).toBe(429);
    expect(Number(locked.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    expect((await attempt(second, ADMIN_PASSWORD)).statusCode).toBe(429);
  });
});
