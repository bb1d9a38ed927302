// The one auth layer of /api/* in the all-in-one (auth, metadata and hooks in one process): access
// tokens as Bearer or Basic limited by their API scopes, CSRF on cookie writes, and logout,
// logout-everywhere, revocation, disabling and deleting taking effect on every service at once.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger, loadConfig } from '@docksphere/kit';
import { startAllInOne, type RunningDockSphere } from '../src/server.ts';

const ADMIN_PASSWORD = 'auth-layer-admin-password';

describe('the auth layer of /api/* (all-in-one)', () => {
  let running: RunningDockSphere;
  let dataDir: string;

  const call = async (method: string, url: string, headers: Record<string, string> = {}, body?: unknown) => {
    const res = await fetch(`${running.url}${url}`, {
      method,
      headers: { ...headers, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : undefined, headers: res.headers };
  };

  async function login(username: string, password: string) {
    const res = await fetch(`${running.url}/api/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username, password }) });
    expect(res.status).toBe(200);
    const body = (await res.json()) as { accessToken: string; csrfToken: string };
    const cookies = res.headers.getSetCookie();
    const cookie = cookies.map((c) => c.split(';')[0]).join('; ');
    return { bearer: { authorization: `Bearer ${body.accessToken}` }, cookie, csrf: body.csrfToken, setCookies: cookies };
  }

  async function newToken(session: { bearer: Record<string, string> }, scopes: string[]) {
    const res = await call('POST', '/api/auth/tokens', session.bearer, { name: `t-${scopes.join('-')}-${Math.random()}`, scopes });
    expect(res.status).toBe(201);
    return { secret: res.body.token as string, id: res.body.accessToken.id as string };
  }

  /** The requests that ask each service who is calling (hooks asks metadata whether the user administers their namespace). */
  const onEveryService = (headers: Record<string, string>, username = 'admin') =>
    Promise.all([call('GET', '/api/me', headers), call('GET', `/api/webhooks?scope=namespace&target=${username}`, headers), call('GET', '/api/auth/tokens', headers)]).then((r) =>
      r.map((x) => x.status),
    );

  beforeAll(async () => {
    dataDir = mkdtempSync(path.join(tmpdir(), 'ds-auth-layer-'));
    const config = loadConfig({ DATA_DIR: dataDir, HOST: '127.0.0.1', PORT: '0', PUBLIC_URL: 'http://127.0.0.1', ADMIN_PASSWORD, LOG_LEVEL: 'silent' });
    running = await startAllInOne(config, createLogger({ level: 'silent' }));
  });
  afterAll(async () => {
    await running?.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('sets HttpOnly, SameSite=Lax session cookies', async () => {
    const s = await login('admin', ADMIN_PASSWORD);
    const access = s.setCookies.find((c) => c.startsWith('ds_access='));
    expect(access).toMatch(/HttpOnly/i);
    expect(access).toMatch(/SameSite=Lax/i);
    expect(s.setCookies.find((c) => c.startsWith('ds_csrf='))).not.toMatch(/HttpOnly/i);
  });

  it('a read-only token lists with Bearer and Basic, and is refused a write with the missing scope named', async () => {
    const s = await login('admin', ADMIN_PASSWORD);
    const reader = await newToken(s, ['api:read']);
    const list = await call('GET', '/api/repositories', { authorization: `Bearer ${reader.secret}` });
    expect(list.status).toBe(200);
    expect(Array.isArray(list.body.items)).toBe(true);
    const basic = await call('GET', '/api/repositories', { authorization: `Basic ${Buffer.from(`admin:${reader.secret}`).toString('base64')}` });
    expect(basic.status).toBe(200);
    const write = await call('POST', '/api/repositories', { authorization: `Bearer ${reader.secret}` }, { name: 'admin/by-reader', visibility: 'private' });
    expect(write.status).toBe(403);
    expect(write.body.error.message).toContain('api:write');
    expect(write.body.error.details).toEqual({ requiredScope: 'api:write' });
    // A token made only for the registry is not an API credential either.
    const pullOnly = await newToken(s, ['pull']);
    const refused = await call('GET', '/api/repositories', { authorization: `Bearer ${pullOnly.secret}` });
    expect(refused.status).toBe(403);
    expect(refused.body.error.message).toContain('api:read');

    const writer = await newToken(s, ['api:write']);
    const created = await call('POST', '/api/repositories', { authorization: `Bearer ${writer.secret}` }, { name: 'admin/by-writer', visibility: 'private' });
    expect(created.status).toBe(201);
    // Site-admin routes need the admin scope as well as a site admin.
    expect((await call('GET', '/api/audit/verify', { authorization: `Bearer ${writer.secret}` })).status).toBe(403);
    const adminToken = await newToken(s, ['admin']);
    expect((await call('GET', '/api/audit/verify', { authorization: `Bearer ${adminToken.secret}` })).status).toBe(200);
    // Tokens cannot mint tokens: credentials are managed from a console session.
    const minted = await call('POST', '/api/auth/tokens', { authorization: `Bearer ${adminToken.secret}` }, { name: 'x', scopes: ['admin'] });
    expect(minted.status).toBe(403);
  });

  it('Basic with a password, an unknown token and an unknown scheme are 401, never anonymous', async () => {
    const password = await call('GET', '/api/repositories', { authorization: `Basic ${Buffer.from(`admin:${ADMIN_PASSWORD}`).toString('base64')}` });
    expect(password.status).toBe(401);
    expect(password.body.error.message).toMatch(/passwords are not accepted/);
    const unknown = await call('GET', '/api/repositories', { authorization: 'Bearer dsp_doesnotexist0000000000000000000' });
    expect(unknown.status).toBe(401);
    expect(unknown.body.error.message).toBe('unknown token');
    for (const path of ['/api/webhooks', '/api/auth/tokens']) expect((await call('GET', path, { authorization: 'Bearer dsp_doesnotexist0000000000000000000' })).status).toBe(401);
    expect((await call('GET', '/api/repositories', { authorization: 'Digest abc' })).status).toBe(401);
  });

  it('a revoked token is refused on every service at once', async () => {
    const s = await login('admin', ADMIN_PASSWORD);
    const t = await newToken(s, ['api:read']);
    const bearer = { authorization: `Bearer ${t.secret}` };
    expect((await call('GET', '/api/me', bearer)).status).toBe(200);
    expect((await call('GET', '/api/webhooks', bearer)).status).toBe(200);
    expect((await call('DELETE', `/api/auth/tokens/${t.id}`, s.bearer)).status).toBe(204);
    for (const path of ['/api/me', '/api/webhooks', '/api/repositories']) {
      const res = await call('GET', path, bearer);
      expect(res.status, path).toBe(401);
      expect(res.body.error.message).toBe('this token was revoked');
    }
  });

  it('a token reads its own account and may revoke itself, but no other token', async () => {
    const s = await login('admin', ADMIN_PASSWORD);
    const mine = await newToken(s, ['api:write']);
    const other = await newToken(s, ['api:write']);
    const bearer = { authorization: `Bearer ${mine.secret}` };
    const me = await call('GET', '/api/auth/me', bearer);
    expect(me.status).toBe(200);
    expect(me.body.user.username).toBe('admin');
    const refused = await call('DELETE', `/api/auth/tokens/${other.id}`, bearer);
    expect(refused.status).toBe(403);
    expect((await call('GET', '/api/me', { authorization: `Bearer ${other.secret}` })).status).toBe(200);
    expect((await call('DELETE', `/api/auth/tokens/${mine.id}`, bearer)).status).toBe(204);
    expect((await call('GET', '/api/me', bearer)).status).toBe(401);
  });

  it('a cross-site form POST with the session cookie but without the CSRF header is 403 on every service', async () => {
    const s = await login('admin', ADMIN_PASSWORD);
    const form = { cookie: s.cookie, 'content-type': 'application/x-www-form-urlencoded', origin: 'https://evil.example' };
    for (const path of ['/api/repositories', '/api/webhooks', '/api/auth/logout']) {
      const res = await fetch(`${running.url}${path}`, { method: 'POST', headers: form, body: 'name=admin%2Fcsrf' });
      expect(res.status, path).toBe(403);
      expect(((await res.json()) as { error: { message: string } }).error.message).toMatch(/CSRF/);
    }
    const wrong = await call('POST', '/api/repositories', { cookie: s.cookie, 'x-csrf-token': 'not-the-token' }, { name: 'admin/csrf', visibility: 'private' });
    expect(wrong.status).toBe(403);
    const ok = await call('POST', '/api/repositories', { cookie: s.cookie, 'x-csrf-token': s.csrf }, { name: 'admin/csrf', visibility: 'private' });
    expect(ok.status).toBe(201);
    // Reads need no CSRF header.
    expect((await call('GET', '/api/me', { cookie: s.cookie })).status).toBe(200);
  });

  it('logout ends the session on every service, bearer and cookie', async () => {
    const s = await login('admin', ADMIN_PASSWORD);
    expect(await onEveryService(s.bearer)).toEqual([200, 200, 200]);
    expect((await call('POST', '/api/auth/logout', s.bearer)).status).toBe(204);
    expect(await onEveryService(s.bearer)).toEqual([401, 401, 401]);
    expect(await onEveryService({ cookie: s.cookie })).toEqual([401, 401, 401]);
    const after = await call('POST', '/api/repositories', s.bearer, { name: 'admin/after-logout', visibility: 'private' });
    expect(after.status).toBe(401);
    expect(after.body.error.message).toMatch(/logged out/);
  });

  it('log out everywhere, disabling and deleting a user end their sessions and tokens on every service', async () => {
    const admin = await login('admin', ADMIN_PASSWORD);
    for (const name of ['carol', 'dave', 'erin']) {
      const created = await call('POST', '/api/auth/admin/users', admin.bearer, { username: name, email: `${name}@example.com`, password: `${name}-password-long-enough` });
      expect(created.status, JSON.stringify(created.body)).toBe(201);
    }

    const carol1 = await login('carol', 'carol-password-long-enough');
    const carol2 = await login('carol', 'carol-password-long-enough');
    expect(await onEveryService(carol1.bearer, 'carol')).toEqual([200, 200, 200]);
    expect((await call('POST', '/api/auth/logout-everywhere', carol2.bearer)).status).toBe(204);
    expect(await onEveryService(carol1.bearer, 'carol')).toEqual([401, 401, 401]);

    const dave = await login('dave', 'dave-password-long-enough');
    expect(await onEveryService(dave.bearer, 'dave')).toEqual([200, 200, 200]);
    const daveToken = await newToken(dave, ['api:read']);
    expect((await call('PATCH', '/api/auth/admin/users/dave', admin.bearer, { disabled: true })).status).toBe(200);
    expect(await onEveryService(dave.bearer, 'dave')).toEqual([401, 401, 401]);
    const byToken = await call('GET', '/api/me', { authorization: `Bearer ${daveToken.secret}` });
    expect(byToken.status).toBe(401);
    expect(byToken.body.error.message).toMatch(/disabled/);

    const erin = await login('erin', 'erin-password-long-enough');
    const erinToken = await newToken(erin, ['api:read']);
    expect((await call('DELETE', '/api/auth/admin/users/erin?confirm=erin', admin.bearer)).status).toBe(204);
    expect(await onEveryService(erin.bearer, 'erin')).toEqual([401, 401, 401]);
    expect((await call('GET', '/api/webhooks', { authorization: `Bearer ${erinToken.secret}` })).status).toBe(401);
  });
});
