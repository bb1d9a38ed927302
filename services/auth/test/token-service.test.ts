// The Docker token service against the token spec: GET with Basic or anonymous, several scopes,
// offline_token, the OAuth2 form grants, error shapes, and the scope intersection.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { jwtVerify, createLocalJWKSet } from 'jose';
import { ADMIN_PASSWORD, basic, consoleLogin, createUser, decodeJwt, outboxEvents, startAuth, type ConsoleLogin, type TestAuth } from './helpers.ts';

let auth: TestAuth;
let admin: ConsoleLogin;

beforeAll(async () => {
  auth = await startAuth();
  admin = await consoleLogin(auth.app, 'admin', ADMIN_PASSWORD);
  await createUser(auth.app, admin, 'alice', 'alice-password-1');
  await createUser(auth.app, admin, 'bob', 'bob-password-12');
});
afterAll(async () => auth?.close());

async function verify(token: string) {
  const jwks = createLocalJWKSet(await auth.keys.publicJwks());
  return (await jwtVerify(token, jwks, { issuer: 'docksphere-auth', audience: 'docksphere' })).payload as any;
}

describe('GET /auth/token', () => {
  it('signs a token for a user\'s own namespace with the requested actions, verifiable with the JWKS', async () => {
    const res = await auth.app.inject({
      method: 'GET',
      url: '/auth/token?service=docksphere&scope=repository:alice/app:pull,push',
      headers: { authorization: basic('alice', 'alice-password-1') },
    });
    expect(res.statusCode).toBe(200);
    const body = res.json();
    expect(body.token).toBe(body.access_token);
    expect(body.expires_in).toBeGreaterThanOrEqual(60);
    expect(new Date(body.issued_at).toString()).not.toBe('Invalid Date');
    expect(body.refresh_token).toBeUndefined();
    const { header } = decodeJwt(body.token);
    expect(header).toMatchObject({ typ: 'JWT', alg: 'ES256', kid: auth.keys.activeKid() });
    const claims = await verify(body.token);
    expect(claims.sub).toBe('alice');
    expect(claims.access).toEqual([{ type: 'repository', name: 'alice/app', actions: ['pull', 'push'] }]);
    expect(claims.exp - claims.iat).toBe(body.expires_in);
    expect(typeof claims.jti).toBe('string');
  });

  it('handles several scope parameters and grants only what the user holds (intersection, not an error)', async () => {
    const res = await auth.app.inject({
      method: 'GET',
      url: '/auth/token?service=docksphere&scope=repository:alice/app:pull&scope=repository:bob/lib:pull,push&scope=repository:alice/other:push',
      headers: { authorization: basic('alice', 'alice-password-1') },
    });
    expect(res.statusCode).toBe(200);
    const claims = await verify(res.json().token);
    expect(claims.access).toEqual([
      { type: 'repository', name: 'alice/app', actions: ['pull'] },
      { type: 'repository', name: 'alice/other', actions: ['push'] },
    ]);
  });

  it('gives anonymous callers a token with no access', async () => {
    const res = await auth.app.inject({ method: 'GET', url: '/auth/token?service=docksphere&scope=repository:alice/app:pull' });
    expect(res.statusCode).toBe(200);
    const claims = await verify(res.json().token);
    expect(claims.sub).toBe('');
    expect(claims.access).toEqual([]);
  });

  it('returns a refresh token with offline_token=true, usable with the OAuth2 refresh grant', async () => {
    const res = await auth.app.inject({
      method: 'GET',
      url: '/auth/token?service=docksphere&offline_token=true&client_id=docker&account=alice',
      headers: { authorization: basic('alice', 'alice-password-1') },
    });
    expect(res.statusCode).toBe(200);
    const refresh = res.json().refresh_token as string;
    expect(refresh).toMatch(/^dsi_/);
    const again = await auth.app.inject({
      method: 'POST',
      url: '/auth/token',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: refresh, service: 'docksphere', client_id: 'docker', scope: 'repository:alice/app:pull,push repository:bob/x:pull' }).toString(),
    });
    expect(again.statusCode).toBe(200);
    const body = again.json();
    expect(body.refresh_token).toBe(refresh);
    expect(body.scope).toBe('repository:alice/app:pull,push');
    expect((await verify(body.access_token)).sub).toBe('alice');
  });

  it('gives the site admin everything, including registry:catalog:*', async () => {
    const res = await auth.app.inject({
      method: 'GET',
      url: '/auth/token?service=docksphere&scope=registry:catalog:*&scope=repository:bob/lib:pull,push,delete',
      headers: { authorization: basic('admin', ADMIN_PASSWORD) },
    });
    const claims = await verify(res.json().token);
    expect(claims.access).toEqual([
      { type: 'registry', name: 'catalog', actions: ['*'] },
      { type: 'repository', name: 'bob/lib', actions: ['pull', 'push', 'delete'] },
    ]);
  });

  it('does not give an ordinary user the catalog', async () => {
    const res = await auth.app.inject({ method: 'GET', url: '/auth/token?service=docksphere&scope=registry:catalog:*', headers: { authorization: basic('bob', 'bob-password-12') } });
    expect((await verify(res.json().token)).access).toEqual([]);
  });

  it('answers a wrong password and an unknown user with the same 401 in the Docker error shape', async () => {
    const wrong = await auth.app.inject({ method: 'GET', url: '/auth/token?service=docksphere', headers: { authorization: basic('alice', 'not-her-password') }, remoteAddress: '10.9.0.1' });
    const unknown = await auth.app.inject({ method: 'GET', url: '/auth/token?service=docksphere', headers: { authorization: basic('nobody', 'not-her-password') }, remoteAddress: '10.9.0.2' });
    expect(wrong.statusCode).toBe(401);
    expect(unknown.statusCode).toBe(401);
    expect(wrong.json()).toEqual({
      errors: [{ code: 'UNAUTHORIZED', message: 'incorrect username or password' }],
      error: 'invalid_grant',
      error_description: 'incorrect username or password',
    });
    expect(unknown.json()).toEqual(wrong.json());
    const failed = await outboxEvents(auth.db, 'auth.login.failed');
    expect(failed.map((e) => e.payload.username)).toEqual(expect.arrayContaining(['alice', 'nobody']));
    expect(JSON.stringify(failed)).not.toContain('not-her-password');
  });

  it('rejects malformed scopes, an unknown service and a mismatched account with 400/401', async () => {
    const bad = await auth.app.inject({ method: 'GET', url: '/auth/token?service=docksphere&scope=repository' });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().errors[0].code).toBe('INVALID_REQUEST');
    const service = await auth.app.inject({ method: 'GET', url: '/auth/token?service=elsewhere' });
    expect(service.statusCode).toBe(400);
    expect(service.json().error_description).toContain('elsewhere');
    const account = await auth.app.inject({ method: 'GET', url: '/auth/token?service=docksphere&account=bob', headers: { authorization: basic('alice', 'alice-password-1') } });
    expect(account.statusCode).toBe(401);
  });
});

describe('POST /auth/token (OAuth2)', () => {
  const form = (fields: Record<string, string>) => ({
    method: 'POST' as const,
    url: '/auth/token',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    payload: new URLSearchParams(fields).toString(),
  });

  it('password grant with access_type=offline returns access_token, scope and a refresh token', async () => {
    const res = await auth.app.inject(form({ grant_type: 'password', username: 'bob', password: 'bob-password-12', service: 'docksphere', client_id: 'docker', access_type: 'offline', scope: 'repository:bob/lib:push' }));
    expect(res.statusCode).toBe(200);
    const body = res.json();
    expect(body.scope).toBe('repository:bob/lib:push');
    expect(body.expires_in).toBeGreaterThanOrEqual(60);
    expect(body.refresh_token).toMatch(/^dsi_/);
    expect((await verify(body.access_token)).access).toEqual([{ type: 'repository', name: 'bob/lib', actions: ['push'] }]);
  });

  it('password grant without offline access returns no refresh token', async () => {
    const res = await auth.app.inject(form({ grant_type: 'password', username: 'bob', password: 'bob-password-12', service: 'docksphere', client_id: 'x' }));
    expect(res.statusCode).toBe(200);
    expect(res.json().refresh_token).toBeUndefined();
    expect(res.json().scope).toBe('');
  });

  it('refuses a bad password, an unknown refresh token, an unsupported grant and a missing field', async () => {
    const bad = await auth.app.inject({ ...form({ grant_type: 'password', username: 'bob', password: 'wrong-password', service: 'docksphere' }), remoteAddress: '10.9.1.1' });
    expect(bad.statusCode).toBe(401);
    expect(bad.json().errors[0].code).toBe('UNAUTHORIZED');
    const refresh = await auth.app.inject(form({ grant_type: 'refresh_token', refresh_token: 'dsi_doesnotexist', service: 'docksphere' }));
    expect(refresh.statusCode).toBe(401);
    expect(refresh.json().error).toBe('invalid_grant');
    const grant = await auth.app.inject(form({ grant_type: 'authorization_code', service: 'docksphere' }));
    expect(grant.statusCode).toBe(400);
    expect(grant.json().error).toBe('unsupported_grant_type');
    const missing = await auth.app.inject(form({ service: 'docksphere' }));
    expect(missing.statusCode).toBe(400);
    expect(missing.json().errors[0].code).toBe('INVALID_REQUEST');
  });

  it('a refresh token is bound to its service', async () => {
    const res = await auth.app.inject(form({ grant_type: 'password', username: 'bob', password: 'bob-password-12', service: 'docksphere', access_type: 'offline' }));
    const other = await auth.app.inject(form({ grant_type: 'refresh_token', refresh_token: res.json().refresh_token, service: 'another' }));
    expect(other.statusCode).toBe(400);
  });
});

describe('key rotation through the admin API', () => {
  it('rotates the signing key; tokens issued before stay verifiable with the published JWKS', async () => {
    const before = await auth.app.inject({ method: 'GET', url: '/auth/token?service=docksphere&scope=repository:alice/app:pull', headers: { authorization: basic('alice', 'alice-password-1') } });
    const oldKid = decodeJwt(before.json().token).header.kid;
    const alice = await consoleLogin(auth.app, 'alice', 'alice-password-1');
    expect((await auth.app.inject({ method: 'POST', url: '/api/auth/admin/keys/rotate', headers: alice.bearer })).statusCode).toBe(403);
    const rotated = await auth.app.inject({ method: 'POST', url: '/api/auth/admin/keys/rotate', headers: admin.bearer });
    expect(rotated.statusCode).toBe(201);
    expect(rotated.json().kid).not.toBe(oldKid);
    expect(rotated.json().keys).toEqual(expect.arrayContaining([oldKid, rotated.json().kid]));
    const after = await auth.app.inject({ method: 'GET', url: '/auth/token?service=docksphere&scope=repository:alice/app:pull', headers: { authorization: basic('alice', 'alice-password-1') } });
    expect(decodeJwt(after.json().token).header.kid).toBe(rotated.json().kid);
    const jwks = (await auth.app.inject({ method: 'GET', url: '/auth/jwks.json' })).json();
    const verifier = createLocalJWKSet(jwks);
    for (const t of [before.json().token, after.json().token]) {
      expect((await jwtVerify(t, verifier, { issuer: 'docksphere-auth', audience: 'docksphere' })).payload.sub).toBe('alice');
    }
    // The admin's console session, signed with the old key, still works.
    expect((await auth.app.inject({ method: 'GET', url: '/api/auth/me', headers: admin.bearer })).statusCode).toBe(200);
  });
});

describe('events', () => {
  it('writes a docker login event per successful credential check', async () => {
    const logins = await outboxEvents(auth.db, 'auth.user.login');
    expect(logins.some((e) => e.payload.username === 'alice' && e.payload.channel === 'docker' && e.payload.method === 'password')).toBe(true);
    expect(admin.accessToken).toBeTruthy();
  });
});

describe('POST /api/auth/session/registry-token (the console reading images and deleting tags)', () => {
  const url = '/api/auth/session/registry-token';

  it('signs a registry token for the session\'s user with the actions they hold, pull and delete only', async () => {
    const alice = await consoleLogin(auth.app, 'alice', 'alice-password-1');
    const res = await auth.app.inject({
      method: 'POST',
      url,
      cookies: alice.cookies,
      headers: { 'x-csrf-token': alice.csrfToken },
      payload: { scopes: ['repository:alice/app:pull,delete', 'repository:bob/lib:pull'] },
    });
    expect(res.statusCode).toBe(200);
    expect(res.headers['cache-control']).toBe('no-store');
    const claims = await verify(res.json().token);
    expect(claims.sub).toBe('alice');
    // bob's private namespace gives alice nothing: intersected like /auth/token, not an error.
    expect(claims.access).toEqual([{ type: 'repository', name: 'alice/app', actions: ['pull', 'delete'] }]);
  });

  it('needs a console session and its CSRF header, and never issues push', async () => {
    const alice = await consoleLogin(auth.app, 'alice', 'alice-password-1');
    const payload = { scopes: ['repository:alice/app:pull'] };
    expect((await auth.app.inject({ method: 'POST', url, payload })).statusCode).toBe(401);
    expect((await auth.app.inject({ method: 'POST', url, cookies: alice.cookies, payload })).statusCode).toBe(403);
    const push = await auth.app.inject({ method: 'POST', url, cookies: alice.cookies, headers: { 'x-csrf-token': alice.csrfToken }, payload: { scopes: ['repository:alice/app:pull,push'] } });
    expect(push.statusCode).toBe(400);
  });
});
