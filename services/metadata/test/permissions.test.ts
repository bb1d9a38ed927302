// The permission rules of docs/permissions.md, row by row, through POST /internal/access on a world
// built with the public API (organizations, teams, grants) and auth events.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { grantedOn, repoScope, startMetadata, userSubject, type TestMetadata, type TestUser } from './helpers.ts';

const u = (username: string, extra: Partial<TestUser> = {}): TestUser => ({ id: `id-${username}`, username, ...extra });
const alice = u('alice');
const bob = u('bob');
const carol = u('carol');
const dave = u('dave');
const erin = u('erin');
const frank = u('frank');
const gina = u('gina');
const hank = u('hank');
const ivan = u('ivan', { groups: ['cn=ops,ou=groups'] });
const judy = u('judy');
const kate = u('kate');
const lena = u('lena', { groups: ['cn=nobody,ou=groups'] });
const root = u('root', { admin: true });
const zed = u('zed');
const robot = { kind: 'robot', id: 'robot-1', namespace: 'acme', name: 'ci', repositoryPatterns: ['acme/*'], actions: ['pull', 'push'] };
const anonymous = { kind: 'anonymous' };

interface Row {
  n: number;
  who: string;
  repository: string;
  granted: string;
  subject: unknown;
  scope: { type: string; name: string; actions: string[] };
}

const catalog = { type: 'registry', name: 'catalog', actions: ['*'] };
const ALL = ['pull', 'push', 'delete', '*'];
const table: Row[] = [
  { n: 1, who: 'anonymous', repository: 'public repository', granted: 'pull', subject: anonymous, scope: repoScope('alice/public') },
  { n: 2, who: 'anonymous', repository: 'private repository', granted: 'nothing', subject: anonymous, scope: repoScope('alice/private') },
  { n: 3, who: 'anonymous', repository: 'repository that does not exist', granted: 'nothing', subject: anonymous, scope: repoScope('alice/nothing-here') },
  { n: 4, who: 'user without grants', repository: "someone else's public repository", granted: 'pull', subject: userSubject(bob), scope: repoScope('alice/public') },
  { n: 5, who: 'user without grants', repository: "someone else's private repository", granted: 'nothing', subject: userSubject(bob), scope: repoScope('alice/private') },
  { n: 6, who: 'namespace owner', repository: 'private repository in their namespace', granted: 'pull, push, delete', subject: userSubject(alice), scope: repoScope('alice/private') },
  { n: 7, who: 'namespace owner', repository: 'new repository in their namespace', granted: 'pull, push, delete', subject: userSubject(alice), scope: repoScope('alice/new/nested') },
  { n: 8, who: 'user', repository: "new repository in someone else's namespace", granted: 'nothing', subject: userSubject(bob), scope: repoScope('alice/new') },
  { n: 9, who: 'user', repository: 'name outside any namespace', granted: 'nothing', subject: userSubject(bob), scope: repoScope('busybox') },
  { n: 10, who: 'user', repository: 'repository in a namespace that does not exist', granted: 'nothing', subject: userSubject(bob), scope: repoScope('nobody-here/app') },
  { n: 11, who: 'organization owner', repository: 'private organization repository', granted: 'pull, push, delete', subject: userSubject(carol), scope: repoScope('acme/secret') },
  { n: 12, who: 'organization member', repository: 'private organization repository', granted: 'nothing', subject: userSubject(dave), scope: repoScope('acme/secret') },
  { n: 13, who: 'organization member (members may create)', repository: 'new organization repository', granted: 'pull, push', subject: userSubject(dave), scope: repoScope('acme/dave-new') },
  { n: 14, who: 'organization member (only owners create)', repository: 'new organization repository', granted: 'nothing', subject: userSubject(dave), scope: repoScope('strict/dave-new') },
  { n: 15, who: 'user with a read grant', repository: 'private repository', granted: 'pull', subject: userSubject(erin), scope: repoScope('alice/private') },
  { n: 16, who: 'user with a write grant', repository: 'private repository', granted: 'pull, push', subject: userSubject(frank), scope: repoScope('alice/private') },
  { n: 17, who: 'user with an admin grant', repository: 'private repository', granted: 'pull, push, delete', subject: userSubject(gina), scope: repoScope('alice/private') },
  { n: 18, who: 'member of a team with a read grant', repository: 'private organization repository', granted: 'pull', subject: userSubject(hank), scope: repoScope('acme/secret') },
  { n: 19, who: 'member of a team with a write grant on acme/img/*', repository: 'private repository matching the pattern', granted: 'pull, push', subject: userSubject(hank), scope: repoScope('acme/img/app') },
  { n: 20, who: 'member of a team with a write grant on acme/img/*', repository: 'private repository not matching the pattern', granted: 'nothing', subject: userSubject(hank), scope: repoScope('acme/other') },
  { n: 21, who: 'member of a team with a write grant on acme/img/*', repository: 'new repository matching the pattern', granted: 'pull, push', subject: userSubject(hank), scope: repoScope('acme/img/new') },
  { n: 22, who: 'user in an LDAP group mapped to a team with a write grant', repository: 'private organization repository', granted: 'pull, push', subject: userSubject(ivan), scope: repoScope('acme/other') },
  { n: 23, who: 'user in an LDAP group mapped to no team', repository: 'private organization repository', granted: 'nothing', subject: userSubject(lena), scope: repoScope('acme/other') },
  { n: 24, who: 'user with a read grant and in a team with a write grant', repository: 'private organization repository', granted: 'pull, push', subject: userSubject(judy), scope: repoScope('acme/other') },
  { n: 25, who: 'user with a write grant', repository: 'public repository', granted: 'pull, push', subject: userSubject(kate), scope: repoScope('alice/public') },
  { n: 26, who: 'site admin', repository: "someone else's private repository", granted: '*', subject: userSubject(root), scope: repoScope('alice/private', ALL) },
  { n: 27, who: 'site admin', repository: 'new repository in an existing namespace', granted: '*', subject: userSubject(root), scope: repoScope('acme/admin-new', ALL) },
  { n: 28, who: 'site admin', repository: 'registry:catalog', granted: '*', subject: userSubject(root), scope: catalog },
  { n: 29, who: 'user without grants', repository: 'registry:catalog', granted: 'nothing', subject: userSubject(bob), scope: catalog },
  { n: 30, who: 'robot of the namespace', repository: 'private repository in its namespace', granted: 'pull, push, delete', subject: robot, scope: repoScope('acme/secret') },
  { n: 31, who: 'robot', repository: 'private repository in another namespace', granted: 'nothing', subject: robot, scope: repoScope('alice/private') },
  { n: 32, who: 'robot', repository: 'public repository in another namespace', granted: 'pull', subject: robot, scope: repoScope('alice/public') },
  { n: 33, who: 'disabled user', repository: 'private repository in their namespace', granted: 'nothing', subject: userSubject(zed), scope: repoScope('zed/app') },
];

function docsRows(): { n: number; who: string; repository: string; granted: string }[] {
  const text = readFileSync(path.resolve(import.meta.dirname, '../../../docs/permissions.md'), 'utf8');
  const section = text.slice(text.indexOf('## The rules, row by row'));
  return section
    .split('\n')
    .filter((line) => /^\| \d+ \|/.test(line))
    .map((line) => {
      const [n, who, repository, granted] = line.split('|').slice(1, -1).map((c) => c.trim());
      return { n: Number(n), who: who as string, repository: repository as string, granted: granted as string };
    });
}

function expected(granted: string): string[] {
  return granted === 'nothing' ? [] : granted.split(', ').sort();
}

describe('permissions (docs/permissions.md)', () => {
  let t: TestMetadata;

  beforeAll(async () => {
    t = await startMetadata();
    const h: Record<string, { authorization: string }> = {};
    for (const user of [alice, bob, carol, dave, erin, frank, gina, hank, ivan, judy, kate, lena, root, zed]) h[user.username] = await t.as(user);
    // LDAP groups reach metadata in the subject of an access request.
    await t.access(userSubject(ivan), []);
    const call = async (user: string, method: 'POST' | 'PUT' | 'PATCH', url: string, payload: unknown) => {
      const res = await t.app.inject({ method, url, headers: h[user], payload: payload as object });
      if (res.statusCode >= 300) throw new Error(`${method} ${url}: ${res.statusCode} ${res.body}`);
      return res.json();
    };
    await call('alice', 'POST', '/api/repositories', { name: 'alice/private', visibility: 'private' });
    await call('alice', 'POST', '/api/repositories', { name: 'alice/public', visibility: 'public' });
    await call('zed', 'POST', '/api/repositories', { name: 'zed/app', visibility: 'private' });
    await call('carol', 'POST', '/api/orgs', { name: 'acme' });
    await call('carol', 'POST', '/api/orgs', { name: 'strict', repositoryCreation: 'owners' });
    await call('carol', 'PUT', '/api/orgs/acme/members/dave', { role: 'member' });
    await call('carol', 'PUT', '/api/orgs/strict/members/dave', { role: 'member' });
    for (const name of ['acme/secret', 'acme/img/app', 'acme/other']) await call('carol', 'POST', '/api/repositories', { name, visibility: 'private' });
    const enc = encodeURIComponent;
    await call('alice', 'PUT', `/api/repositories/${enc('alice/private')}/grants`, { user: 'erin', level: 'read' });
    await call('alice', 'PUT', `/api/repositories/${enc('alice/private')}/grants`, { user: 'frank', level: 'write' });
    await call('alice', 'PUT', `/api/repositories/${enc('alice/private')}/grants`, { user: 'gina', level: 'admin' });
    await call('alice', 'PUT', `/api/repositories/${enc('alice/public')}/grants`, { user: 'kate', level: 'write' });
    await call('carol', 'POST', '/api/orgs/acme/teams', { name: 'devs' });
    await call('carol', 'PUT', '/api/orgs/acme/teams/devs/members/hank', { role: 'member' });
    await call('carol', 'PUT', `/api/repositories/${enc('acme/secret')}/grants`, { team: 'devs', level: 'read' });
    await call('carol', 'PUT', '/api/orgs/acme/grants', { team: 'devs', pattern: 'acme/img/*', level: 'write' });
    await call('carol', 'POST', '/api/orgs/acme/teams', { name: 'ops', ldapGroup: 'cn=ops,ou=groups' });
    await call('carol', 'PUT', `/api/repositories/${enc('acme/other')}/grants`, { team: 'ops', level: 'write' });
    await call('carol', 'PUT', '/api/orgs/acme/teams/ops/members/judy', { role: 'member' });
    await call('carol', 'PUT', `/api/repositories/${enc('acme/other')}/grants`, { user: 'judy', level: 'read' });
    await t.emit('auth.user.disabled', { userId: zed.id, username: zed.username, disabled: true });
  });
  afterAll(async () => t?.close());

  it('has exactly the rows of the table in docs/permissions.md', () => {
    expect(table.map(({ n, who, repository, granted }) => ({ n, who, repository, granted }))).toEqual(docsRows());
  });

  it.each(table)('row $n: $who, $repository: $granted', async (row) => {
    const res = await t.access(row.subject, [row.scope]);
    expect(res.statusCode).toBe(200);
    const granted = grantedOn(res, row.scope.name, row.scope.type);
    expect(granted).toEqual(expected(row.granted));
  });

  it('answers several scopes at once, each on its own', async () => {
    const res = await t.access(userSubject(erin), [repoScope('alice/private'), repoScope('alice/public'), repoScope('acme/secret')]);
    expect(res.json()).toEqual({ granted: [{ type: 'repository', name: 'alice/private', actions: ['pull'] }, { type: 'repository', name: 'alice/public', actions: ['pull'] }] });
  });

  it('treats repository(plugin) scopes like repository scopes', async () => {
    const res = await t.access(userSubject(alice), [{ type: 'repository(plugin)', name: 'alice/private', actions: ['pull'] }]);
    expect(grantedOn(res, 'alice/private', 'repository(plugin)')).toEqual(['delete', 'pull', 'push']);
  });

  it('refuses callers without the internal secret and rejects malformed requests', async () => {
    const payload = { subject: anonymous, requested: [repoScope('alice/public')] };
    expect((await t.app.inject({ method: 'POST', url: '/internal/access', payload })).statusCode).toBe(401);
    expect((await t.app.inject({ method: 'POST', url: '/internal/access', headers: { 'x-internal-secret': 'wrong' }, payload })).statusCode).toBe(401);
    const bad = await t.app.inject({ method: 'POST', url: '/internal/access', headers: { 'x-internal-secret': 'internal-secret-for-tests' }, payload: { subject: { kind: 'wizard' }, requested: [] } });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().error.code).toBe('VALIDATION_FAILED');
  });

  it('follows a grant being revoked', async () => {
    const h = await t.as(alice);
    const list = await t.app.inject({ method: 'GET', url: `/api/repositories/${encodeURIComponent('alice/private')}/grants`, headers: h });
    const erinGrant = (list.json().items as { id: string; grantee: { name: string } }[]).find((g) => g.grantee.name === 'erin');
    expect(erinGrant).toBeDefined();
    const del = await t.app.inject({ method: 'DELETE', url: `/api/repositories/${encodeURIComponent('alice/private')}/grants/${erinGrant?.id}`, headers: h });
    expect(del.statusCode).toBe(204);
    expect(grantedOn(await t.access(userSubject(erin), [repoScope('alice/private')]), 'alice/private')).toEqual([]);
  });
});
