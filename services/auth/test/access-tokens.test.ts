// Personal access tokens and robot accounts: shown once, stored hashed, scopes intersected with
// what is asked and what the identity holds, revocation and expiry, robots limited to patterns.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_PASSWORD, basic, consoleLogin, createUser, decodeJwt, outboxEvents, startAuth, type ConsoleLogin, type TestAuth } from './helpers.ts';

let auth: TestAuth;
let admin: ConsoleLogin;
let alice: ConsoleLogin;

beforeAll(async () => {
  auth = await startAuth();
  admin = await consoleLogin(auth.app, 'admin', ADMIN_PASSWORD);
  await createUser(auth.app, admin, 'alice', 'alice-password-1');
  alice = await consoleLogin(auth.app, 'alice', 'alice-password-1');
});
afterAll(async () => auth?.close());

async function newToken(scopes: string[], extra: Record<string, unknown> = {}) {
  const res = await auth.app.inject({ method: 'POST', url: '/api/auth/tokens', headers: alice.bearer, payload: { name: `t-${scopes.join('-')}`, scopes, ...extra } });
  expect(res.statusCode).toBe(201);
  return res.json() as { token: string; accessToken: { id: string; hint: string } };
}

async function access(username: string, secret: string, scope: string) {
  const res = await auth.app.inject({ method: 'GET', url: `/auth/token?service=docksphere&scope=${encodeURIComponent(scope)}`, headers: { authorization: basic(username, secret) } });
  return { status: res.statusCode, body: res.json(), access: res.statusCode === 200 ? decodeJwt(res.json().token).claims.access : undefined };
}

describe('personal access tokens', () => {
  it('is shown once, stored as a digest, listed with a hint and no secret', async () => {
    const { token, accessToken } = await newToken(['pull', 'push']);
    expect(token).toMatch(/^dsp_[A-Za-z0-9]{32}$/);
    const rows = await auth.db.db.withSchema('identity').selectFrom('access_tokens').selectAll().execute();
    expect(JSON.stringify(rows)).not.toContain(token);
    const list = await auth.app.inject({ method: 'GET', url: '/api/auth/tokens', headers: alice.bearer });
    expect(list.body).not.toContain(token);
    const listed = list.json().tokens.find((t: { id: string }) => t.id === accessToken.id);
    expect(listed).toMatchObject({ scopes: ['pull', 'push'], hint: accessToken.hint, lastUsedAt: null, revokedAt: null });
    expect((await outboxEvents(auth.db, 'auth.token.created')).some((e) => e.payload.tokenId === accessToken.id)).toBe(true);
  });

  it('works as the docker password and records last use time and IP', async () => {
    const { token, accessToken } = await newToken(['pull', 'push']);
    const res = await auth.app.inject({ method: 'GET', url: '/auth/token?service=docksphere&scope=repository:alice/app:pull,push', headers: { authorization: basic('alice', token) }, remoteAddress: '192.0.2.7' });
    expect(res.statusCode).toBe(200);
    expect(decodeJwt(res.json().token).claims.access).toEqual([{ type: 'repository', name: 'alice/app', actions: ['pull', 'push'] }]);
    const listed = (await auth.app.inject({ method: 'GET', url: '/api/auth/tokens', headers: alice.bearer })).json().tokens.find((t: { id: string }) => t.id === accessToken.id);
    expect(listed.lastUsedIp).toBe('192.0.2.7');
    expect(listed.lastUsedAt).not.toBeNull();
  });

  it('a pull-only token asking for push gets pull only', async () => {
    const { token } = await newToken(['pull']);
    expect((await access('alice', token, 'repository:alice/app:pull,push')).access).toEqual([{ type: 'repository', name: 'alice/app', actions: ['pull'] }]);
  });

  it('never grants beyond the identity: a push token on someone else\'s repository gets nothing', async () => {
    const { token } = await newToken(['pull', 'push', 'delete']);
    expect((await access('alice', token, 'repository:admin/app:pull,push')).access).toEqual([]);
  });

  it('only works with its owner\'s username', async () => {
    await createUser(auth.app, admin, 'bob', 'bob-password-12');
    const { token } = await newToken(['pull']);
    expect((await access('bob', token, 'repository:bob/app:pull')).status).toBe(401);
  });

  it('an admin\'s access token is limited by its scopes too', async () => {
    const res = await auth.app.inject({ method: 'POST', url: '/api/auth/tokens', headers: admin.bearer, payload: { name: 'ci', scopes: ['pull'] } });
    const t = res.json().token as string;
    expect((await access('admin', t, 'repository:bob/app:pull,push,delete')).access).toEqual([{ type: 'repository', name: 'bob/app', actions: ['pull'] }]);
    expect((await access('admin', t, 'registry:catalog:*')).access).toEqual([{ type: 'registry', name: 'catalog', actions: ['*'] }]);
  });

  it('a revoked token stops working, and so does the docker login made with it', async () => {
    const { token, accessToken } = await newToken(['pull']);
    const login = await auth.app.inject({ method: 'GET', url: '/auth/token?service=docksphere&offline_token=true', headers: { authorization: basic('alice', token) } });
    const refresh = login.json().refresh_token as string;
    const viaRefresh = () =>
      auth.app.inject({
        method: 'POST',
        url: '/auth/token',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        payload: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: refresh, service: 'docksphere', scope: 'repository:alice/app:pull,push' }).toString(),
      });
    const before = await viaRefresh();
    expect(before.statusCode).toBe(200);
    // The refresh token carries the access token's limits.
    expect(before.json().scope).toBe('repository:alice/app:pull');
    const del = await auth.app.inject({ method: 'DELETE', url: `/api/auth/tokens/${accessToken.id}`, headers: alice.bearer });
    expect(del.statusCode).toBe(204);
    expect((await access('alice', token, 'repository:alice/app:pull')).status).toBe(401);
    expect((await viaRefresh()).statusCode).toBe(401);
    expect((await outboxEvents(auth.db, 'auth.token.revoked')).some((e) => e.payload.tokenId === accessToken.id)).toBe(true);
    const missing = await auth.app.inject({ method: 'DELETE', url: '/api/auth/tokens/00000000-0000-0000-0000-000000000000', headers: alice.bearer });
    expect(missing.statusCode).toBe(404);
  });

  it('an expired token is refused', async () => {
    const { token, accessToken } = await newToken(['pull'], { expiresInDays: 1 });
    expect((await access('alice', token, 'repository:alice/app:pull')).status).toBe(200);
    await auth.db.db.withSchema('identity').updateTable('access_tokens').set({ expires_at: new Date(Date.now() - 1000) }).where('id', '=', accessToken.id).execute();
    expect((await access('alice', token, 'repository:alice/app:pull')).status).toBe(401);
  });

  it('validates name, scopes and expiry', async () => {
    for (const payload of [{ name: '', scopes: ['pull'] }, { name: 'x', scopes: [] }, { name: 'x', scopes: ['superuser'] }, { name: 'x', scopes: ['pull'], expiresInDays: 0 }, { name: 'x', scopes: ['pull', 'pull'] }]) {
      const res = await auth.app.inject({ method: 'POST', url: '/api/auth/tokens', headers: alice.bearer, payload });
      expect(res.statusCode, JSON.stringify(payload)).toBe(400);
    }
    expect((await auth.app.inject({ method: 'POST', url: '/api/auth/tokens', payload: { name: 'x', scopes: ['pull'] } })).statusCode).toBe(401);
  });
});

describe('robot accounts', () => {
  it('is limited to its repository patterns and actions inside its namespace', async () => {
    const res = await auth.app.inject({
      method: 'POST',
      url: '/api/auth/namespaces/alice/robots',
      headers: alice.bearer,
      payload: { name: 'ci', repositories: ['alice/img/*', 'alice/tool'], actions: ['pull', 'push'] },
    });
    expect(res.statusCode).toBe(201);
    const { token, robot } = res.json();
    expect(token).toMatch(/^dsr_/);
    expect(robot.login).toBe('alice+ci');
    expect((await access('alice+ci', token, 'repository:alice/img/web:pull,push,delete')).access).toEqual([{ type: 'repository', name: 'alice/img/web', actions: ['pull', 'push'] }]);
    expect((await access('alice+ci', token, 'repository:alice/tool:pull')).access).toEqual([{ type: 'repository', name: 'alice/tool', actions: ['pull'] }]);
    expect((await access('alice+ci', token, 'repository:alice/other:pull')).access).toEqual([]);
    expect((await access('alice+ci', token, 'registry:catalog:*')).access).toEqual([]);
    expect((await access('alice+other', token, 'repository:alice/tool:pull')).status).toBe(401);
    const claims = decodeJwt((await access('alice+ci', token, 'repository:alice/tool:pull')).body.token).claims;
    expect(claims.sub).toBe('alice+ci');
  });

  it('patterns must stay inside the namespace, names are unique, only the owner or an admin manages them', async () => {
    const outside = await auth.app.inject({ method: 'POST', url: '/api/auth/namespaces/alice/robots', headers: alice.bearer, payload: { name: 'bad', repositories: ['bob/*'], actions: ['pull'] } });
    expect(outside.statusCode).toBe(400);
    const everything = await auth.app.inject({ method: 'POST', url: '/api/auth/namespaces/alice/robots', headers: alice.bearer, payload: { name: 'bad', repositories: ['*'], actions: ['pull'] } });
    expect(everything.statusCode).toBe(400);
    const dup = await auth.app.inject({ method: 'POST', url: '/api/auth/namespaces/alice/robots', headers: alice.bearer, payload: { name: 'ci', repositories: ['alice/x'], actions: ['pull'] } });
    expect(dup.statusCode).toBe(409);
    const foreign = await auth.app.inject({ method: 'POST', url: '/api/auth/namespaces/bob/robots', headers: alice.bearer, payload: { name: 'ci', repositories: ['bob/x'], actions: ['pull'] } });
    expect(foreign.statusCode).toBe(403);
    const byAdmin = await auth.app.inject({ method: 'POST', url: '/api/auth/namespaces/bob/robots', headers: admin.bearer, payload: { name: 'deploy', repositories: ['bob/x'], actions: ['pull'] } });
    expect(byAdmin.statusCode).toBe(201);
    const list = await auth.app.inject({ method: 'GET', url: '/api/auth/namespaces/alice/robots', headers: alice.bearer });
    expect(list.json().robots.map((r: { name: string }) => r.name)).toEqual(['ci']);
    expect(list.body).not.toMatch(/dsr_[A-Za-z0-9]{32}/);
  });

  it('a robot stops working when the account owning its namespace is disabled', async () => {
    await createUser(auth.app, admin, 'carl', 'carl-password-1');
    const carl = await consoleLogin(auth.app, 'carl', 'carl-password-1');
    const res = await auth.app.inject({ method: 'POST', url: '/api/auth/namespaces/carl/robots', headers: carl.bearer, payload: { name: 'ci', repositories: ['carl/app'], actions: ['pull'] } });
    const token = res.json().token as string;
    expect((await access('carl+ci', token, 'repository:carl/app:pull')).status).toBe(200);
    await auth.app.inject({ method: 'PATCH', url: '/api/auth/admin/users/carl', headers: admin.bearer, payload: { disabled: true } });
    const refused = await access('carl+ci', token, 'repository:carl/app:pull');
    expect(refused.status).toBe(401);
    expect(refused.body.errors[0].message).toBe('this account is disabled');
  });

  it('deleting a robot revokes its token and its docker logins', async () => {
    const res = await auth.app.inject({ method: 'POST', url: '/api/auth/namespaces/alice/robots', headers: alice.bearer, payload: { name: 'temp', repositories: ['alice/app'], actions: ['pull'] } });
    const token = res.json().token as string;
    const login = await auth.app.inject({ method: 'GET', url: '/auth/token?service=docksphere&offline_token=true', headers: { authorization: basic('alice+temp', token) } });
    expect(login.statusCode).toBe(200);
    const refresh = login.json().refresh_token as string;
    expect((await auth.app.inject({ method: 'DELETE', url: '/api/auth/namespaces/alice/robots/temp', headers: alice.bearer })).statusCode).toBe(204);
    expect((await access('alice+temp', token, 'repository:alice/app:pull')).status).toBe(401);
    const viaRefresh = await auth.app.inject({
      method: 'POST',
      url: '/auth/token',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: `grant_type=refresh_token&service=docksphere&refresh_token=${refresh}`,
    });
    expect(viaRefresh.statusCode).toBe(401);
    expect((await auth.app.inject({ method: 'DELETE', url: '/api/auth/namespaces/alice/robots/temp', headers: alice.bearer })).statusCode).toBe(404);
  });
});
