// Accounts and console sessions: bootstrap, sign-up policies, login/logout, rotating refresh
// cookie, CSRF on cookie-authenticated writes, log out everywhere, disabled accounts, password change.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase } from '@docksphere/db';
import { bootstrapAdmin, migrateAuth } from '../src/index.ts';
import { ADMIN_PASSWORD, basic, consoleLogin, cookiesOf, createUser, outboxEvents, outboxTypes, startAuth, type ConsoleLogin, type TestAuth } from './helpers.ts';

describe('site admin bootstrap', () => {
  it('generates a password once, never a fixed one, and does nothing on the next start', async () => {
    const db = await openDatabase({ dataDir: 'memory://' });
    try {
      await migrateAuth(db.db);
      const first = await bootstrapAdmin(db.db, { username: 'admin', email: 'admin@localhost', password: undefined });
      expect(first.created).toBe(true);
      const generated = first.created ? first.generatedPassword : undefined;
      expect(generated).toMatch(/^[A-Za-z0-9]{24}$/);
      expect(await bootstrapAdmin(db.db, { username: 'admin', email: 'admin@localhost', password: undefined })).toEqual({ created: false });
      const other = await openDatabase({ dataDir: 'memory://' });
      await migrateAuth(other.db);
      const again = await bootstrapAdmin(other.db, { username: 'admin', email: 'admin@localhost', password: undefined });
      expect(again.created && again.generatedPassword).not.toBe(generated);
      await other.close();
      const row = await db.db.withSchema('identity').selectFrom('users').select(['password_hash', 'is_admin']).where('username', '=', 'admin').executeTakeFirstOrThrow();
      expect(row.is_admin).toBe(true);
      expect(row.password_hash).toMatch(/^\$argon2id\$/);
      expect(await outboxTypes(db)).toEqual(['auth.user.created']);
    } finally {
      await db.close();
    }
  });

  it('uses ADMIN_PASSWORD when set, and refuses a weak one', async () => {
    const db = await openDatabase({ dataDir: 'memory://' });
    try {
      await migrateAuth(db.db);
      await expect(bootstrapAdmin(db.db, { username: 'admin', email: 'a@b.c', password: 'short' })).rejects.toThrow(/at least 10/);
      expect(await bootstrapAdmin(db.db, { username: 'root-admin', email: 'a@b.c', password: 'long-enough-password' })).toEqual({ created: true, username: 'root-admin', generatedPassword: undefined });
    } finally {
      await db.close();
    }
  });
});

describe('sign-up policy', () => {
  it('admin-only refuses sign-up', async () => {
    const auth = await startAuth({ env: { SIGNUP_POLICY: 'admin-only' } });
    try {
      const res = await auth.app.inject({ method: 'POST', url: '/api/auth/signup', payload: { username: 'carol', email: 'carol@example.test', password: 'carol-password' } });
      expect(res.statusCode).toBe(403);
      expect(res.json().error.code).toBe('FORBIDDEN');
    } finally {
      await auth.close();
    }
  });

  it('open sign-up validates input, creates the account and refuses duplicates', async () => {
    const auth = await startAuth({ env: { SIGNUP_POLICY: 'open' } });
    try {
      const bad = await auth.app.inject({ method: 'POST', url: '/api/auth/signup', payload: { username: 'Not Valid', email: 'x@example.test', password: 'carol-password' } });
      expect(bad.statusCode).toBe(400);
      expect(bad.json().error.code).toBe('VALIDATION_FAILED');
      const weak = await auth.app.inject({ method: 'POST', url: '/api/auth/signup', payload: { username: 'carol', email: 'carol@example.test', password: 'short' } });
      expect(weak.statusCode).toBe(400);
      expect(weak.json().error.message).toMatch(/at least 10/);
      const reserved = await auth.app.inject({ method: 'POST', url: '/api/auth/signup', payload: { username: 'library', email: 'lib@example.test', password: 'carol-password' } });
      expect(reserved.statusCode).toBe(400);
      const ok = await auth.app.inject({ method: 'POST', url: '/api/auth/signup', payload: { username: 'carol', email: 'carol@example.test', password: 'carol-password', displayName: 'Carol' } });
      expect(ok.statusCode).toBe(201);
      expect(ok.json().user).toMatchObject({ username: 'carol', displayName: 'Carol', admin: false, twoFactorEnabled: false });
      expect(ok.body).not.toContain('argon2');
      const dup = await auth.app.inject({ method: 'POST', url: '/api/auth/signup', payload: { username: 'carol', email: 'other@example.test', password: 'carol-password' } });
      expect(dup.statusCode).toBe(409);
      const dupEmail = await auth.app.inject({ method: 'POST', url: '/api/auth/signup', payload: { username: 'carol2', email: 'CAROL@example.test', password: 'carol-password' } });
      expect(dupEmail.statusCode).toBe(409);
      await consoleLogin(auth.app, 'carol', 'carol-password');
    } finally {
      await auth.close();
    }
  });

  it('invite-only needs an unused invite code, bound to its email when it names one', async () => {
    const auth = await startAuth({ env: { SIGNUP_POLICY: 'invite-only' } });
    try {
      const admin = await consoleLogin(auth.app, 'admin', ADMIN_PASSWORD);
      const noCode = await auth.app.inject({ method: 'POST', url: '/api/auth/signup', payload: { username: 'dave', email: 'dave@example.test', password: 'dave-password' } });
      expect(noCode.statusCode).toBe(403);
      const invite = await auth.app.inject({ method: 'POST', url: '/api/auth/admin/invites', headers: admin.bearer, payload: { email: 'dave@example.test' } });
      expect(invite.statusCode).toBe(201);
      const code = invite.json().code as string;
      const wrongEmail = await auth.app.inject({ method: 'POST', url: '/api/auth/signup', payload: { username: 'eve', email: 'eve@example.test', password: 'eve-password1', inviteCode: code } });
      expect(wrongEmail.statusCode).toBe(403);
      const users = await auth.db.db.withSchema('identity').selectFrom('users').select('username').where('username', '=', 'eve').execute();
      expect(users).toEqual([]);
      const ok = await auth.app.inject({ method: 'POST', url: '/api/auth/signup', payload: { username: 'dave', email: 'dave@example.test', password: 'dave-password', inviteCode: code } });
      expect(ok.statusCode).toBe(201);
      const open = await auth.app.inject({ method: 'POST', url: '/api/auth/admin/invites', headers: admin.bearer, payload: {} });
      const openCode = open.json().code as string;
      expect((await auth.app.inject({ method: 'POST', url: '/api/auth/signup', payload: { username: 'erin', email: 'erin@example.test', password: 'erin-password', inviteCode: openCode } })).statusCode).toBe(201);
      const reuse = await auth.app.inject({ method: 'POST', url: '/api/auth/signup', payload: { username: 'erin2', email: 'erin2@example.test', password: 'erin-password', inviteCode: openCode } });
      expect(reuse.statusCode).toBe(403);
    } finally {
      await auth.close();
    }
  });
});

describe('console sessions', () => {
  let auth: TestAuth;
  let admin: ConsoleLogin;
  beforeAll(async () => {
    auth = await startAuth();
    admin = await consoleLogin(auth.app, 'admin', ADMIN_PASSWORD);
    await createUser(auth.app, admin, 'alice', 'alice-password-1');
  });
  afterAll(async () => auth?.close());

  it('login sets HttpOnly SameSite cookies and returns a short-lived access token', async () => {
    const res = await auth.app.inject({ method: 'POST', url: '/api/auth/login', payload: { username: 'alice', password: 'alice-password-1' } });
    expect(res.statusCode).toBe(200);
    const cookies = res.cookies as { name: string; httpOnly?: boolean; sameSite?: string; path?: string }[];
    const refresh = cookies.find((c) => c.name === 'ds_refresh');
    expect(refresh).toMatchObject({ httpOnly: true, sameSite: 'Strict', path: '/api/auth/session' });
    expect(cookies.find((c) => c.name === 'ds_access')).toMatchObject({ httpOnly: true, sameSite: 'Lax' });
    expect(cookies.find((c) => c.name === 'ds_csrf')?.httpOnly).toBeFalsy();
    expect(res.json()).toMatchObject({ user: { username: 'alice' }, expiresIn: 600 });
    const me = await auth.app.inject({ method: 'GET', url: '/api/auth/me', headers: { authorization: `Bearer ${res.json().accessToken}` } });
    expect(me.json().user.username).toBe('alice');
  });

  it('a console token is not a registry token and the other way round', async () => {
    const alice = await consoleLogin(auth.app, 'alice', 'alice-password-1');
    const registry = await auth.app.inject({ method: 'GET', url: '/auth/token?service=docksphere', headers: { authorization: basic('alice', 'alice-password-1') } });
    const asConsole = await auth.app.inject({ method: 'GET', url: '/api/auth/me', headers: { authorization: `Bearer ${registry.json().token}` } });
    expect(asConsole.statusCode).toBe(401);
    expect(alice.accessToken).not.toBe(registry.json().token);
  });

  it('cookie-authenticated writes need the CSRF header; bearer calls do not', async () => {
    const alice = await consoleLogin(auth.app, 'alice', 'alice-password-1');
    const cookies = { ds_access: alice.cookies.ds_access as string };
    const noCsrf = await auth.app.inject({ method: 'PATCH', url: '/api/auth/me', cookies, payload: { displayName: 'Alice A' } });
    expect(noCsrf.statusCode).toBe(403);
    const wrongCsrf = await auth.app.inject({ method: 'PATCH', url: '/api/auth/me', cookies, headers: { 'x-csrf-token': 'guess' }, payload: { displayName: 'Alice A' } });
    expect(wrongCsrf.statusCode).toBe(403);
    const read = await auth.app.inject({ method: 'GET', url: '/api/auth/me', cookies });
    expect(read.statusCode).toBe(200);
    expect(read.json().user.displayName).toBe('alice');
    const ok = await auth.app.inject({ method: 'PATCH', url: '/api/auth/me', cookies, headers: { 'x-csrf-token': alice.csrfToken }, payload: { displayName: 'Alice A' } });
    expect(ok.statusCode).toBe(200);
    const bearer = await auth.app.inject({ method: 'PATCH', url: '/api/auth/me', headers: alice.bearer, payload: { displayName: 'Alice B' } });
    expect(bearer.json().user.displayName).toBe('Alice B');
    const emailNoPassword = await auth.app.inject({ method: 'PATCH', url: '/api/auth/me', headers: alice.bearer, payload: { email: 'evil@example.test' } });
    expect(emailNoPassword.statusCode).toBe(401);
    const email = await auth.app.inject({ method: 'PATCH', url: '/api/auth/me', headers: alice.bearer, payload: { email: 'alice2@example.test', currentPassword: 'alice-password-1' } });
    expect(email.json().user.email).toBe('alice2@example.test');
    const taken = await auth.app.inject({ method: 'PATCH', url: '/api/auth/me', headers: alice.bearer, payload: { email: 'admin@localhost', currentPassword: 'alice-password-1' } });
    expect(taken.statusCode).toBe(409);
  });

  it('refresh rotates the refresh cookie; replaying the old one revokes the session', async () => {
    const alice = await consoleLogin(auth.app, 'alice', 'alice-password-1');
    const noCsrf = await auth.app.inject({ method: 'POST', url: '/api/auth/session/refresh', cookies: { ds_refresh: alice.cookies.ds_refresh as string } });
    expect(noCsrf.statusCode).toBe(403);
    const first = await auth.app.inject({ method: 'POST', url: '/api/auth/session/refresh', cookies: { ds_refresh: alice.cookies.ds_refresh as string }, headers: { 'x-csrf-token': alice.csrfToken } });
    expect(first.statusCode).toBe(200);
    const rotated = cookiesOf(first).ds_refresh as string;
    expect(rotated).toBeTruthy();
    expect(rotated).not.toBe(alice.cookies.ds_refresh);
    const replay = await auth.app.inject({ method: 'POST', url: '/api/auth/session/refresh', cookies: { ds_refresh: alice.cookies.ds_refresh as string }, headers: { 'x-csrf-token': alice.csrfToken } });
    expect(replay.statusCode).toBe(401);
    // The replay revoked the session: the rotated cookie and the access token die with it.
    const after = await auth.app.inject({ method: 'POST', url: '/api/auth/session/refresh', cookies: { ds_refresh: rotated }, headers: { 'x-csrf-token': alice.csrfToken } });
    expect(after.statusCode).toBe(401);
    const me = await auth.app.inject({ method: 'GET', url: '/api/auth/me', headers: { authorization: `Bearer ${first.json().accessToken}` } });
    expect(me.statusCode).toBe(401);
  });

  it('logout revokes the session at once', async () => {
    const alice = await consoleLogin(auth.app, 'alice', 'alice-password-1');
    const out = await auth.app.inject({ method: 'POST', url: '/api/auth/logout', headers: alice.bearer });
    expect(out.statusCode).toBe(204);
    expect((await auth.app.inject({ method: 'GET', url: '/api/auth/me', headers: alice.bearer })).statusCode).toBe(401);
    const refresh = await auth.app.inject({ method: 'POST', url: '/api/auth/session/refresh', cookies: { ds_refresh: alice.cookies.ds_refresh as string }, headers: { 'x-csrf-token': alice.csrfToken } });
    expect(refresh.statusCode).toBe(401);
  });

  it('log out everywhere ends every session and password docker logins', async () => {
    const a = await consoleLogin(auth.app, 'alice', 'alice-password-1');
    const b = await consoleLogin(auth.app, 'alice', 'alice-password-1');
    const docker = await auth.app.inject({ method: 'GET', url: '/auth/token?service=docksphere&offline_token=true', headers: { authorization: basic('alice', 'alice-password-1') } });
    const list = await auth.app.inject({ method: 'GET', url: '/api/auth/sessions', headers: a.bearer });
    expect(list.json().sessions.length).toBeGreaterThanOrEqual(2);
    expect((await auth.app.inject({ method: 'POST', url: '/api/auth/logout-everywhere', headers: a.bearer })).statusCode).toBe(204);
    expect((await auth.app.inject({ method: 'GET', url: '/api/auth/me', headers: a.bearer })).statusCode).toBe(401);
    expect((await auth.app.inject({ method: 'GET', url: '/api/auth/me', headers: b.bearer })).statusCode).toBe(401);
    const refresh = await auth.app.inject({
      method: 'POST',
      url: '/auth/token',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: `grant_type=refresh_token&service=docksphere&refresh_token=${docker.json().refresh_token}`,
    });
    expect(refresh.statusCode).toBe(401);
    const events = await outboxEvents(auth.db, 'auth.user.logout');
    expect(events.some((e) => e.payload.everywhere === true && e.payload.username === 'alice')).toBe(true);
  });

  it('a disabled account is refused everywhere: console, docker, existing sessions, refresh tokens', async () => {
    await createUser(auth.app, admin, 'mallory', 'mallory-password');
    const m = await consoleLogin(auth.app, 'mallory', 'mallory-password');
    const docker = await auth.app.inject({ method: 'GET', url: '/auth/token?service=docksphere&offline_token=true', headers: { authorization: basic('mallory', 'mallory-password') } });
    const disable = await auth.app.inject({ method: 'PATCH', url: '/api/auth/admin/users/mallory', headers: admin.bearer, payload: { disabled: true } });
    expect(disable.statusCode).toBe(200);
    expect(disable.json().user.disabled).toBe(true);
    expect((await auth.app.inject({ method: 'GET', url: '/api/auth/me', headers: m.bearer })).statusCode).toBe(401);
    const login = await auth.app.inject({ method: 'POST', url: '/api/auth/login', payload: { username: 'mallory', password: 'mallory-password' } });
    expect(login.statusCode).toBe(401);
    expect(login.json().error.message).toBe('this account is disabled');
    const token = await auth.app.inject({ method: 'GET', url: '/auth/token?service=docksphere', headers: { authorization: basic('mallory', 'mallory-password') } });
    expect(token.statusCode).toBe(401);
    const refresh = await auth.app.inject({
      method: 'POST',
      url: '/auth/token',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: `grant_type=refresh_token&service=docksphere&refresh_token=${docker.json().refresh_token}`,
    });
    expect(refresh.statusCode).toBe(401);
    // The wrong password on a disabled account says nothing about the account.
    const wrong = await auth.app.inject({ method: 'POST', url: '/api/auth/login', payload: { username: 'mallory', password: 'wrong-password' } });
    expect(wrong.json().error.message).toBe('incorrect username or password');
    expect((await outboxEvents(auth.db, 'auth.user.disabled')).at(-1).payload).toMatchObject({ username: 'mallory', disabled: true });
  });

  it('granting and dropping site admin is recorded as an auth.admin.changed event, once per change', async () => {
    await createUser(auth.app, admin, 'grace', 'grace-password-1');
    const grant = await auth.app.inject({ method: 'PATCH', url: '/api/auth/admin/users/grace', headers: admin.bearer, payload: { admin: true } });
    expect(grant.statusCode).toBe(200);
    expect(grant.json().user.admin).toBe(true);
    const again = await auth.app.inject({ method: 'PATCH', url: '/api/auth/admin/users/grace', headers: admin.bearer, payload: { admin: true } });
    expect(again.statusCode).toBe(200);
    const drop = await auth.app.inject({ method: 'PATCH', url: '/api/auth/admin/users/grace', headers: admin.bearer, payload: { admin: false } });
    expect(drop.statusCode).toBe(200);
    const changes = (await outboxEvents(auth.db, 'auth.admin.changed')).filter((e) => e.payload.username === 'grace');
    expect(changes.map((e) => e.payload.admin)).toEqual([true, false]);
  });

  it('an admin deletes an account after confirming its name: its logins and tokens stop working, auth.user.deleted is recorded', async () => {
    await createUser(auth.app, admin, 'henry', 'henry-password-1');
    const wrongConfirm = await auth.app.inject({ method: 'DELETE', url: '/api/auth/admin/users/henry?confirm=henri', headers: admin.bearer });
    expect(wrongConfirm.statusCode).toBe(400);
    expect((await auth.app.inject({ method: 'POST', url: '/api/auth/login', payload: { username: 'henry', password: 'henry-password-1' } })).statusCode).toBe(200);
    const del = await auth.app.inject({ method: 'DELETE', url: '/api/auth/admin/users/henry?confirm=henry', headers: admin.bearer });
    expect(del.statusCode).toBe(204);
    expect((await auth.app.inject({ method: 'POST', url: '/api/auth/login', payload: { username: 'henry', password: 'henry-password-1' } })).statusCode).toBe(401);
    const token = await auth.app.inject({ method: 'GET', url: '/auth/token?service=docksphere', headers: { authorization: basic('henry', 'henry-password-1') } });
    expect(token.statusCode).toBe(401);
    expect((await auth.app.inject({ method: 'DELETE', url: '/api/auth/admin/users/henry?confirm=henry', headers: admin.bearer })).statusCode).toBe(404);
    expect((await outboxEvents(auth.db, 'auth.user.deleted')).at(-1).payload).toMatchObject({ username: 'henry' });
  });

  it('admin routes are for admins only', async () => {
    const alice = await consoleLogin(auth.app, 'alice', 'alice-password-1');
    expect((await auth.app.inject({ method: 'GET', url: '/api/auth/admin/users', headers: alice.bearer })).statusCode).toBe(403);
    const list = await auth.app.inject({ method: 'GET', url: '/api/auth/admin/users?limit=2', headers: admin.bearer });
    expect(list.statusCode).toBe(200);
    expect(list.json().items).toHaveLength(2);
    expect(list.json().nextCursor).toBeTruthy();
    const next = await auth.app.inject({ method: 'GET', url: `/api/auth/admin/users?limit=2&cursor=${list.json().nextCursor}`, headers: admin.bearer });
    const firstNames = list.json().items.map((u: { username: string }) => u.username);
    expect(next.json().items.length).toBeGreaterThan(0);
    expect(next.json().items.every((u: { username: string }) => u.username > firstNames[1])).toBe(true);
    expect((await auth.app.inject({ method: 'GET', url: '/api/auth/admin/users?cursor=not-a-cursor', headers: admin.bearer })).json().error.code).toBe('VALIDATION_FAILED');
    const bad = await auth.app.inject({ method: 'GET', url: '/api/auth/admin/users?limit=0', headers: admin.bearer });
    expect(bad.statusCode).toBe(400);
    const self = await auth.app.inject({ method: 'PATCH', url: '/api/auth/admin/users/admin', headers: admin.bearer, payload: { disabled: true } });
    expect(self.statusCode).toBe(409);
  });

  it('changing the password needs the current one, ends other sessions and password docker logins', async () => {
    await createUser(auth.app, admin, 'frank', 'frank-password-1');
    const a = await consoleLogin(auth.app, 'frank', 'frank-password-1');
    const b = await consoleLogin(auth.app, 'frank', 'frank-password-1');
    const wrong = await auth.app.inject({ method: 'POST', url: '/api/auth/password', headers: a.bearer, payload: { currentPassword: 'nope-nope-nope', newPassword: 'frank-password-2' } });
    expect(wrong.statusCode).toBe(401);
    const weak = await auth.app.inject({ method: 'POST', url: '/api/auth/password', headers: a.bearer, payload: { currentPassword: 'frank-password-1', newPassword: 'short' } });
    expect(weak.statusCode).toBe(400);
    const ok = await auth.app.inject({ method: 'POST', url: '/api/auth/password', headers: a.bearer, payload: { currentPassword: 'frank-password-1', newPassword: 'frank-password-2' } });
    expect(ok.statusCode).toBe(204);
    expect((await auth.app.inject({ method: 'GET', url: '/api/auth/me', headers: a.bearer })).statusCode).toBe(200);
    expect((await auth.app.inject({ method: 'GET', url: '/api/auth/me', headers: b.bearer })).statusCode).toBe(401);
    await expect(consoleLogin(auth.app, 'frank', 'frank-password-1')).rejects.toThrow();
    await consoleLogin(auth.app, 'frank', 'frank-password-2');
    expect((await outboxTypes(auth.db)).filter((t) => t === 'auth.password.changed')).toHaveLength(1);
  });

  it('validation errors answer 400 in the platform error shape', async () => {
    const res = await auth.app.inject({ method: 'POST', url: '/api/auth/login', payload: { username: 'alice' } });
    expect(res.statusCode).toBe(400);
    expect(res.json().error.code).toBe('VALIDATION_FAILED');
    const big = await auth.app.inject({ method: 'POST', url: '/api/auth/login', headers: { 'content-type': 'application/json' }, payload: JSON.stringify({ username: 'a', password: 'x'.repeat(100_000) }) });
    expect(big.statusCode).toBe(413);
    const me = await auth.app.inject({ method: 'GET', url: '/api/auth/me' });
    expect(me.statusCode).toBe(401);
    expect(me.json().error.code).toBe('UNAUTHORIZED');
  });
});
