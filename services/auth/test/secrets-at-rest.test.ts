// TOTP seeds at rest: sealed with AES-256-GCM under the configured key (its id beside the value),
// seeds stored in plain text before encryption are sealed at the next start, and a key rotation
// reseals every seed under the new key while the old one still opens them.
import Fastify from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger, loadConfig, secretKeyId } from '@docksphere/kit';
import { authPlugin } from '../src/index.ts';
import { codeAt } from '../src/domain/totp.ts';
import { ADMIN_PASSWORD, consoleLogin, createUser, startAuth, type ConsoleLogin, type TestAuth } from './helpers.ts';

const keyA = Buffer.alloc(32, 0xa1);
const keyB = Buffer.alloc(32, 0xb2);

let auth: TestAuth;
let admin: ConsoleLogin;
beforeAll(async () => {
  auth = await startAuth({ env: { SECRETS_KEY: keyA.toString('base64') } });
  admin = await consoleLogin(auth.app, 'admin', ADMIN_PASSWORD);
});
afterAll(async () => auth?.close());

const seedRow = (username: string) =>
  auth.db.db.withSchema('identity').selectFrom('users').select(['id', 'totp_secret', 'totp_secret_key_id']).where('username', '=', username).executeTakeFirstOrThrow();

/** Another auth instance on the same database with other keys: a restart after a configuration change. */
async function restartWith(secretsKey: string) {
  const config = loadConfig({ ...auth.config.secrets, PUBLIC_URL: 'http://registry.test', AUTH_KEYS_DIR: auth.keysDir, DATA_DIR: auth.keysDir, LOG_LEVEL: 'silent', SECRETS_KEY: secretsKey });
  const app = Fastify({ logger: false });
  await app.register(authPlugin, { db: auth.db.db, config, keys: auth.keys, logger: createLogger({ level: 'silent' }) });
  await app.ready();
  return app;
}

/** The full console login with the password and a TOTP code (the replay guard is reset first: each check uses the current step). */
async function totpLogin(app: Awaited<ReturnType<typeof restartWith>> | TestAuth['app'], username: string, password: string, secret: string): Promise<number> {
  await auth.db.db.withSchema('identity').updateTable('users').set({ totp_last_step: null }).where('username', '=', username).execute();
  const step = await app.inject({ method: 'POST', url: '/api/auth/login', payload: { username, password } });
  expect(step.json().twoFactorRequired).toBe(true);
  const res = await app.inject({ method: 'POST', url: '/api/auth/login/2fa', payload: { challenge: step.json().challenge, code: codeAt(secret, Date.now()) } });
  return res.statusCode;
}

async function enrol(username: string, password: string): Promise<string> {
  await createUser(auth.app, admin, username, password);
  const session = await consoleLogin(auth.app, username, password);
  const enrolment = await auth.app.inject({ method: 'POST', url: '/api/auth/2fa/enrol', headers: session.bearer, payload: { password } });
  const secret = enrolment.json().secret as string;
  const activate = await auth.app.inject({ method: 'POST', url: '/api/auth/2fa/activate', headers: session.bearer, payload: { code: codeAt(secret, Date.now()) } });
  expect(activate.statusCode).toBe(200);
  return secret;
}

describe('TOTP secrets at rest', () => {
  it('stores the seed encrypted, with the id of the key beside it, and logs in with it', async () => {
    const secret = await enrol('tess', 'tess-password-1');
    const row = await seedRow('tess');
    expect(row.totp_secret_key_id).toBe(secretKeyId(keyA));
    expect(row.totp_secret).not.toContain(secret);
    expect(Buffer.from(row.totp_secret as string, 'base64').toString('latin1')).not.toContain(secret);
    expect(await totpLogin(auth.app, 'tess', 'tess-password-1', secret)).toBe(200);
  });

  it('seals a seed stored in plain text (before encryption) at the next start, and it keeps working', async () => {
    const secret = await enrol('uma', 'uma-password-1');
    const { id } = await seedRow('uma');
    // What a database from before encryption holds: the base32 seed itself, no key id.
    await auth.db.db.withSchema('identity').updateTable('users').set({ totp_secret: secret, totp_secret_key_id: null }).where('id', '=', id).execute();
    expect(await totpLogin(auth.app, 'uma', 'uma-password-1', secret)).toBe(200);
    const restarted = await restartWith(keyA.toString('base64'));
    try {
      const row = await seedRow('uma');
      expect(row.totp_secret_key_id).toBe(secretKeyId(keyA));
      expect(row.totp_secret).not.toBe(secret);
      expect(await totpLogin(restarted, 'uma', 'uma-password-1', secret)).toBe(200);
    } finally {
      await restarted.close();
    }
  });

  it('rotates: new key first and old key second reseals every seed; then the old key can go; a server without the key refuses codes', async () => {
    const secret = await enrol('vic', 'vic-password-1');
    const rotated = await restartWith(`${keyB.toString('base64')},${keyA.toString('base64')}`);
    try {
      const rows = await auth.db.db.withSchema('identity').selectFrom('users').select('totp_secret_key_id').where('totp_secret', 'is not', null).execute();
      expect(rows.length).toBeGreaterThanOrEqual(3);
      expect(rows.every((r) => r.totp_secret_key_id === secretKeyId(keyB))).toBe(true);
      expect(await totpLogin(rotated, 'vic', 'vic-password-1', secret)).toBe(200);
    } finally {
      await rotated.close();
    }
    const onlyNew = await restartWith(keyB.toString('base64'));
    try {
      expect(await totpLogin(onlyNew, 'vic', 'vic-password-1', secret)).toBe(200);
    } finally {
      await onlyNew.close();
    }
    const wrongKey = await restartWith(Buffer.alloc(32, 0xcc).toString('base64'));
    try {
      // Not a wrong code: the server cannot read the seed, says so (503) and counts no failure.
      expect(await totpLogin(wrongKey, 'vic', 'vic-password-1', secret)).toBe(503);
      expect((await seedRow('vic')).totp_secret_key_id).toBe(secretKeyId(keyB));
    } finally {
      await wrongKey.close();
    }
  });
});
