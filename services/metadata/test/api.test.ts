// The /api surface end to end on PGlite: organizations, teams, repositories (visibility in lists and
// search, transfer, delete), the repository view fed by registry events, profiles, dashboard, admin,
// authentication rules. Each endpoint also gets its validation errors.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { grantedOn, repoScope, startMetadata, userSubject, type TestMetadata } from './helpers.ts';

const alice = { id: 'id-alice', username: 'alice' };
const bob = { id: 'id-bob', username: 'bob' };
const carol = { id: 'id-carol', username: 'carol' };
const root = { id: 'id-root', username: 'root', admin: true };
const enc = encodeURIComponent;
const PNG = Buffer.from('89504e470d0a1a0a0000000d4948445200000001000000010806000000', 'hex');

describe('metadata API', () => {
  let t: TestMetadata;
  let a: { authorization: string };
  let b: { authorization: string };
  let c: { authorization: string };
  let admin: { authorization: string };
  const req = (method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE', url: string, headers?: object, payload?: unknown) =>
    t.app.inject({ method, url, headers: headers as Record<string, string>, ...(payload === undefined ? {} : { payload: payload as object }) });

  beforeAll(async () => {
    t = await startMetadata();
    a = await t.as(alice);
    b = await t.as(bob);
    c = await t.as(carol);
    admin = await t.as(root);
  });
  afterAll(async () => t?.close());

  describe('authentication', () => {
    it('treats a missing token as anonymous and a bad one as 401', async () => {
      expect((await req('GET', '/api/me')).statusCode).toBe(401);
      expect((await req('GET', '/api/me', { authorization: 'Bearer nonsense' })).statusCode).toBe(401);
      const wrongAudience = await t.tokenFor(alice, { audience: 'docksphere' });
      expect((await req('GET', '/api/me', { authorization: `Bearer ${wrongAudience}` })).statusCode).toBe(401);
      const expired = await t.tokenFor(alice, { expiresIn: '-5m' });
      expect((await req('GET', '/api/me', { authorization: `Bearer ${expired}` })).statusCode).toBe(401);
    });

    it('needs the CSRF header for cookie-authenticated writes', async () => {
      const token = await t.tokenFor(alice);
      const cookie = `ds_access=${token}; ds_csrf=csrf-secret`;
      expect((await req('GET', '/api/me', { cookie })).statusCode).toBe(200);
      const without = await req('PATCH', '/api/me', { cookie }, { bio: 'x' });
      expect(without.statusCode).toBe(403);
      expect((await req('PATCH', '/api/me', { cookie, 'x-csrf-token': 'other' }, { bio: 'x' })).statusCode).toBe(403);
      expect((await req('PATCH', '/api/me', { cookie, 'x-csrf-token': 'csrf-secret' }, { bio: 'hello' })).json().bio).toBe('hello');
    });

    it('refuses a user auth has disabled', async () => {
      const dora = { id: 'id-dora', username: 'dora' };
      const d = await t.as(dora);
      await t.emit('auth.user.disabled', { userId: dora.id, username: dora.username, disabled: true });
      expect((await req('GET', '/api/me', d)).statusCode).toBe(401);
    });
  });

  describe('organizations and teams', () => {
    it('creates an organization with the caller as owner and validates names', async () => {
      const res = await req('POST', '/api/orgs', c, { name: 'acme', description: 'Acme Inc' });
      expect(res.statusCode).toBe(201);
      expect(res.json()).toMatchObject({ name: 'acme', role: 'owner', repositoryCreation: 'members' });
      expect((await req('POST', '/api/orgs', c, { name: 'acme' })).statusCode).toBe(409);
      expect((await req('POST', '/api/orgs', c, { name: 'alice' })).statusCode).toBe(409);
      for (const name of ['Bad_Name', 'x', 'api', '-a']) {
        const bad = await req('POST', '/api/orgs', c, { name });
        expect(bad.statusCode, name).toBe(400);
        expect(bad.json().error.code).toBe('VALIDATION_FAILED');
      }
      expect((await req('POST', '/api/orgs', c, { name: 'other', extra: 1 })).statusCode).toBe(400);
      expect((await req('POST', '/api/orgs', undefined, { name: 'anon-org' })).statusCode).toBe(401);
      expect((await req('GET', '/api/namespaces/acme')).json()).toMatchObject({ name: 'acme', kind: 'org' });
      expect((await req('GET', '/api/namespaces/alice')).json()).toMatchObject({ name: 'alice', kind: 'user' });
      expect((await req('GET', '/api/namespaces/nobody')).statusCode).toBe(404);
    });

    it('manages members: owners only, at least one owner stays', async () => {
      expect((await req('PUT', '/api/orgs/acme/members/bob', b, { role: 'member' })).statusCode).toBe(403);
      expect((await req('PUT', '/api/orgs/acme/members/bob', c, { role: 'boss' })).statusCode).toBe(400);
      expect((await req('PUT', '/api/orgs/acme/members/nobody', c, { role: 'member' })).statusCode).toBe(404);
      expect((await req('PUT', '/api/orgs/acme/members/bob', c, { role: 'member' })).json()).toMatchObject({ username: 'bob', role: 'member' });
      expect((await req('PUT', '/api/orgs/acme/members/carol', c, { role: 'member' })).statusCode).toBe(409);
      expect((await req('DELETE', '/api/orgs/acme/members/carol', c)).statusCode).toBe(409);
      const members = await req('GET', '/api/orgs/acme/members?limit=1', c);
      expect(members.json().items.map((m: { username: string }) => m.username)).toEqual(['bob']);
      const rest = await req('GET', `/api/orgs/acme/members?limit=1&cursor=${members.json().nextCursor}`, c);
      expect(rest.json().items.map((m: { username: string }) => m.username)).toEqual(['carol']);
      expect((await req('GET', '/api/orgs/acme/members', a)).statusCode).toBe(403);
      expect((await req('GET', '/api/orgs/acme/members?cursor=%%%', c)).statusCode).toBe(400);
      expect((await req('GET', '/api/orgs?mine=true', b)).json().items.map((o: { name: string }) => o.name)).toEqual(['acme']);
      expect((await req('PATCH', '/api/orgs/acme', b, { description: 'x' })).statusCode).toBe(403);
      expect((await req('PATCH', '/api/orgs/acme', c, { repositoryCreation: 'owners' })).json().repositoryCreation).toBe('owners');
      expect((await req('PATCH', '/api/orgs/acme', c, { repositoryCreation: 'members' })).statusCode).toBe(200);
    });

    it('creates, renames and deletes teams; maintainers manage members', async () => {
      expect((await req('POST', '/api/orgs/acme/teams', b, { name: 'devs' })).statusCode).toBe(403);
      expect((await req('POST', '/api/orgs/acme/teams', c, { name: 'Dev Team' })).statusCode).toBe(400);
      expect((await req('POST', '/api/orgs/acme/teams', c, { name: 'devs', description: 'developers' })).statusCode).toBe(201);
      expect((await req('POST', '/api/orgs/acme/teams', c, { name: 'devs' })).statusCode).toBe(409);
      expect((await req('PUT', '/api/orgs/acme/teams/devs/members/bob', c, { role: 'maintainer' })).statusCode).toBe(200);
      // A maintainer adds alice, who joins the organization as a member.
      expect((await req('PUT', '/api/orgs/acme/teams/devs/members/alice', b, { role: 'member' })).statusCode).toBe(200);
      expect((await req('GET', '/api/orgs?mine=true', a)).json().items.map((o: { name: string }) => o.name)).toEqual(['acme']);
      expect((await req('PUT', '/api/orgs/acme/teams/devs/members/carol', a, { role: 'member' })).statusCode).toBe(403);
      const renamed = await req('PATCH', '/api/orgs/acme/teams/devs', c, { name: 'developers', ldapGroup: 'cn=dev' });
      expect(renamed.json()).toMatchObject({ name: 'developers', ldapGroup: 'cn=dev', memberCount: 2 });
      expect((await req('GET', '/api/orgs/acme/teams/devs', c)).statusCode).toBe(404);
      const members = await req('GET', '/api/orgs/acme/teams/developers/members', a);
      expect(members.json().items).toEqual([
        { username: 'alice', displayName: '', role: 'member' },
        { username: 'bob', displayName: '', role: 'maintainer' },
      ]);
      expect((await req('GET', '/api/orgs/acme/teams', a)).json().items.map((x: { name: string }) => x.name)).toEqual(['developers']);
      expect((await req('GET', '/api/orgs/acme/teams', admin)).statusCode).toBe(200);
      expect((await req('DELETE', '/api/orgs/acme/teams/developers/members/alice', a)).statusCode).toBe(204);
      expect((await req('POST', '/api/orgs/acme/teams', c, { name: 'tmp' })).statusCode).toBe(201);
      expect((await req('DELETE', '/api/orgs/acme/teams/tmp', c)).statusCode).toBe(204);
      expect((await req('GET', '/api/orgs/acme/teams/tmp', c)).statusCode).toBe(404);
    });

    it('grants namespace-wide team patterns and rejects patterns outside the namespace', async () => {
      expect((await req('PUT', '/api/orgs/acme/grants', c, { team: 'developers', pattern: 'other/*', level: 'write' })).statusCode).toBe(400);
      expect((await req('PUT', '/api/orgs/acme/grants', c, { team: 'developers', pattern: 'acme/**', level: 'write' })).statusCode).toBe(400);
      expect((await req('PUT', '/api/orgs/acme/grants', c, { team: 'nope', pattern: '*', level: 'read' })).statusCode).toBe(404);
      expect((await req('PUT', '/api/orgs/acme/grants', b, { team: 'developers', pattern: '*', level: 'read' })).statusCode).toBe(403);
      const g = await req('PUT', '/api/orgs/acme/grants', c, { team: 'developers', pattern: 'acme/tools/*', level: 'write' });
      expect(g.json()).toMatchObject({ pattern: 'acme/tools/*', level: 'write', grantee: { kind: 'team', name: 'developers' } });
      expect((await req('GET', '/api/orgs/acme/grants', c)).json().items).toHaveLength(1);
      expect(grantedOn(await t.access(userSubject(bob), [repoScope('acme/tools/x')]), 'acme/tools/x')).toEqual(['pull', 'push']);
      expect((await req('DELETE', `/api/orgs/acme/grants/${g.json().id}`, c)).statusCode).toBe(204);
      expect((await req('DELETE', `/api/orgs/acme/grants/${g.json().id}`, c)).statusCode).toBe(404);
      expect((await req('DELETE', '/api/orgs/acme/grants/not-a-uuid', c)).statusCode).toBe(400);
    });
  });

  describe('repositories', () => {
    it('creates repositories where the caller may, and validates names', async () => {
      expect((await req('POST', '/api/repositories', a, { name: 'alice/web', visibility: 'private', description: 'the web app' })).statusCode).toBe(201);
      expect((await req('POST', '/api/repositories', a, { name: 'alice/tools/cli', visibility: 'public', description: 'command line' })).statusCode).toBe(201);
      expect((await req('POST', '/api/repositories', a, { name: 'alice/web', visibility: 'private' })).statusCode).toBe(409);
      expect((await req('POST', '/api/repositories', b, { name: 'alice/x', visibility: 'private' })).statusCode).toBe(403);
      expect((await req('POST', '/api/repositories', a, { name: 'nobody/x', visibility: 'private' })).statusCode).toBe(404);
      for (const name of ['alice/UPPER', 'noslash', 'alice//x', 'alice/x/']) expect((await req('POST', '/api/repositories', a, { name, visibility: 'private' })).statusCode, name).toBe(400);
      expect((await req('POST', '/api/repositories', a, { name: 'alice/y', visibility: 'secret' })).statusCode).toBe(400);
      // bob, a member of acme, creates there and becomes its admin.
      const created = await req('POST', '/api/repositories', b, { name: 'acme/api', visibility: 'private' });
      expect(created.json()).toMatchObject({ name: 'acme/api', permission: 'admin', createdBy: 'bob' });
    });

    it('makes private repositories invisible to outsiders: 404, not in lists or search', async () => {
      expect((await req('GET', `/api/repositories/${enc('alice/web')}`, b)).statusCode).toBe(404);
      expect((await req('GET', `/api/repositories/${enc('alice/web')}`)).statusCode).toBe(404);
      expect((await req('GET', `/api/repositories/${enc('alice/web')}/tags`, b)).statusCode).toBe(404);
      expect((await req('GET', `/api/repositories/${enc('alice/web')}/docs`, b)).statusCode).toBe(404);
      expect((await req('PATCH', `/api/repositories/${enc('alice/web')}`, b, { visibility: 'public' })).statusCode).toBe(404);
      expect((await req('GET', `/api/repositories/${enc('alice/web')}`, a)).json()).toMatchObject({ visibility: 'private', permission: 'admin' });
      expect((await req('GET', `/api/repositories/${enc('alice/web')}`, admin)).json().permission).toBe('site-admin');
      const names = async (h?: object, q = '') => (await req('GET', `/api/repositories${q}`, h)).json().items.map((r: { name: string }) => r.name);
      expect(await names()).toEqual(['alice/tools/cli']);
      expect(await names(b)).toEqual(['acme/api', 'alice/tools/cli']);
      expect(await names(a)).toEqual(['alice/tools/cli', 'alice/web']);
      expect(await names(admin)).toEqual(['acme/api', 'alice/tools/cli', 'alice/web']);
      expect(await names(a, '?namespace=acme')).toEqual([]);
      const search = async (q: string, h?: object) => (await req('GET', `/api/search?q=${enc(q)}`, h)).json().items.map((r: { name: string }) => r.name);
      expect(await search('web', b)).toEqual([]);
      expect(await search('web', a)).toEqual(['alice/web']);
      expect(await search('app', a)).toEqual(['alice/web']);
      expect((await req('GET', '/api/search')).statusCode).toBe(400);
    });

    it('ranks name matches above description matches and pages through results', async () => {
      for (const [name, description] of [['alice/redis', 'a cache'], ['alice/cache', 'redis wrapper'], ['alice/redis-tools', '']] as const) {
        expect((await req('POST', '/api/repositories', a, { name, visibility: 'public', description })).statusCode).toBe(201);
      }
      const first = await req('GET', '/api/search?q=redis&limit=2', a);
      expect(first.json().items.map((r: { name: string }) => r.name)).toEqual(['alice/redis', 'alice/redis-tools']);
      const second = await req('GET', `/api/search?q=redis&limit=2&cursor=${first.json().nextCursor}`, a);
      expect(second.json().items.map((r: { name: string }) => r.name)).toEqual(['alice/cache']);
      expect(second.json().nextCursor).toBeUndefined();
    });

    it('changes visibility and description (admin only)', async () => {
      expect((await req('PATCH', `/api/repositories/${enc('alice/tools/cli')}`, b, { description: 'x' })).statusCode).toBe(403);
      expect((await req('PATCH', `/api/repositories/${enc('alice/tools/cli')}`, a, { visibility: 'nope' })).statusCode).toBe(400);
      const res = await req('PATCH', `/api/repositories/${enc('alice/tools/cli')}`, a, { visibility: 'private', description: 'cli' });
      expect(res.json()).toMatchObject({ visibility: 'private', description: 'cli' });
      expect((await req('GET', `/api/repositories/${enc('alice/tools/cli')}`, b)).statusCode).toBe(404);
    });

    it('grants on a repository: users anywhere, teams only in organizations', async () => {
      const url = `/api/repositories/${enc('alice/web')}/grants`;
      expect((await req('PUT', url, a, { team: 'developers', level: 'read' })).statusCode).toBe(400);
      expect((await req('PUT', url, a, { user: 'bob', level: 'owner' })).statusCode).toBe(400);
      expect((await req('PUT', url, a, { user: 'nobody', level: 'read' })).statusCode).toBe(404);
      expect((await req('PUT', url, b, { user: 'bob', level: 'admin' })).statusCode).toBe(404);
      expect((await req('PUT', url, a, { user: 'bob', level: 'read' })).json()).toMatchObject({ level: 'read', grantee: { kind: 'user', name: 'bob' } });
      expect((await req('GET', `/api/repositories/${enc('alice/web')}`, b)).json().permission).toBe('read');
      expect((await req('PUT', url, b, { user: 'bob', level: 'admin' })).statusCode).toBe(403);
      expect((await req('GET', url, b)).statusCode).toBe(403);
      expect((await req('GET', url, a)).json().items).toHaveLength(1);
      const teamGrant = await req('PUT', `/api/repositories/${enc('acme/api')}/grants`, c, { team: 'developers', level: 'write' });
      expect(teamGrant.json().grantee).toEqual({ kind: 'team', name: 'developers' });
    });

    it('transfers a repository with the name as confirmation; team grants stay behind', async () => {
      const url = `/api/repositories/${enc('acme/api')}/transfer`;
      expect((await req('POST', url, b, { namespace: 'alice', confirm: 'acme/api' })).statusCode).toBe(403);
      expect((await req('POST', url, c, { namespace: 'carol', confirm: 'wrong' })).statusCode).toBe(400);
      expect((await req('POST', url, c, { namespace: 'nobody', confirm: 'acme/api' })).statusCode).toBe(404);
      const moved = await req('POST', url, c, { namespace: 'carol', confirm: 'acme/api' });
      expect(moved.statusCode).toBe(200);
      expect(moved.json()).toMatchObject({ name: 'carol/api', namespace: 'carol' });
      expect((await req('GET', `/api/repositories/${enc('acme/api')}`, c)).statusCode).toBe(404);
      const grants = (await req('GET', `/api/repositories/${enc('carol/api')}/grants`, c)).json().items;
      expect(grants.map((g: { grantee: { kind: string; name: string } }) => g.grantee)).toEqual([{ kind: 'user', name: 'bob' }]);
    });

    it('deletes a repository only with its name as confirmation', async () => {
      const url = `/api/repositories/${enc('alice/redis-tools')}`;
      expect((await req('DELETE', url, a)).statusCode).toBe(400);
      expect((await req('DELETE', `${url}?confirm=alice/redis`, a)).statusCode).toBe(400);
      expect((await req('DELETE', `${url}?confirm=alice/redis-tools`, b)).statusCode).toBe(403);
      expect((await req('DELETE', `${url}?confirm=alice/redis-tools`, a)).statusCode).toBe(204);
      expect((await req('GET', url, a)).statusCode).toBe(404);
      const outbox = await t.db.db.withSchema('platform').selectFrom('outbox').select('type').where('type', '=', 'metadata.repository.deleted').execute();
      expect(outbox).toHaveLength(1);
    });
  });

  describe('repository view from registry events', () => {
    const push = (repository: string, digest: string, tag: string | undefined, extra: object = {}, actor = 'alice') =>
      t.emit('registry.manifest.pushed', { repository, digest, mediaType: 'application/vnd.oci.image.manifest.v1+json', size: 500, tag, ...extra }, actor);
    const d1 = `sha256:${'1'.repeat(64)}`;
    const d2 = `sha256:${'2'.repeat(64)}`;
    const idx = `sha256:${'3'.repeat(64)}`;

    it('creates a repository on first push into a namespace the pusher may create in', async () => {
      await push('alice/pushed', d1, '1.0', { totalSize: 10_500 });
      const repo = await req('GET', `/api/repositories/${enc('alice/pushed')}`, a);
      expect(repo.json()).toMatchObject({ name: 'alice/pushed', visibility: 'private', createdBy: 'alice' });
      expect(repo.json().lastPushedAt).not.toBeNull();
      await push('ghost/app', d1, 'x');
      expect((await req('GET', `/api/repositories/${enc('ghost/app')}`, admin)).statusCode).toBe(404);
    });

    it('lists tags with sizes, platforms, pusher and pulls, and keeps each tag\'s history', async () => {
      await push('alice/pushed', d2, '1.0', { totalSize: 20_000 }, 'alice+ci');
      await push('alice/pushed', idx, 'multi', { mediaType: 'application/vnd.oci.image.index.v1+json', totalSize: 30_500, platforms: ['linux/amd64', 'linux/arm64'] });
      await t.emit('registry.image.pulled', { repository: 'alice/pushed', digest: d2, reference: '1.0', mediaType: 'application/vnd.oci.image.manifest.v1+json' }, 'bob');
      await t.emit('registry.image.pulled', { repository: 'alice/pushed', digest: d2, reference: d2, mediaType: 'application/vnd.oci.image.manifest.v1+json' }, 'bob');
      const tags = (await req('GET', `/api/repositories/${enc('alice/pushed')}/tags`, a)).json().items;
      expect(tags).toEqual([
        expect.objectContaining({ tag: '1.0', digest: d2, totalSize: 20_000, manifestSize: 500, pushedBy: 'alice+ci', pullCount: 1, platforms: [] }),
        expect.objectContaining({ tag: 'multi', digest: idx, totalSize: 30_500, platforms: ['linux/amd64', 'linux/arm64'], pullCount: 0 }),
      ]);
      expect((await req('GET', `/api/repositories/${enc('alice/pushed')}`, a)).json().pullCount).toBe(2);
      await t.emit('registry.tag.deleted', { repository: 'alice/pushed', tag: 'multi', digest: idx }, 'alice');
      const history = (await req('GET', `/api/repositories/${enc('alice/pushed')}/tags/1.0/history`, a)).json().items;
      expect(history.map((h: { digest: string; action: string; by: string }) => [h.digest, h.action, h.by])).toEqual([
        [d2, 'pushed', 'alice+ci'],
        [d1, 'pushed', 'alice'],
      ]);
      const multi = (await req('GET', `/api/repositories/${enc('alice/pushed')}/tags/multi/history`, a)).json().items;
      expect(multi.map((h: { action: string }) => h.action)).toEqual(['deleted', 'pushed']);
      expect((await req('GET', `/api/repositories/${enc('alice/pushed')}/tags`, a)).json().items.map((x: { tag: string }) => x.tag)).toEqual(['1.0']);
      expect((await req('GET', `/api/repositories/${enc('alice/pushed')}/tags/bad:tag/history`, a)).statusCode).toBe(400);
    });

    it('handles a redelivered event once', async () => {
      const { newEvent } = await import('@docksphere/events');
      const event = newEvent('registry.image.pulled', { subject: 'bob' }, { repository: 'alice/pushed', digest: d2, reference: '1.0', mediaType: 'x' });
      await t.bus.publish(event);
      await t.bus.publish(event);
      expect((await req('GET', `/api/repositories/${enc('alice/pushed')}`, a)).json().pullCount).toBe(3);
    });

    it('shows my repositories, teams and recent pushes on the dashboard', async () => {
      const dash = (await req('GET', '/api/dashboard', a)).json();
      expect(dash.repositories.map((r: { name: string }) => r.name)).toContain('alice/pushed');
      expect(dash.repositories.map((r: { name: string }) => r.name)).not.toContain('carol/api');
      expect(dash.recentPushes[0]).toMatchObject({ repository: 'alice/pushed', tag: 'multi' });
      const bobs = (await req('GET', '/api/dashboard', b)).json();
      expect(bobs.teams.map((x: { name: string }) => x.name)).toEqual(['developers']);
      expect(bobs.recentPushes).toEqual([]);
      expect((await req('GET', '/api/dashboard')).statusCode).toBe(401);
      const mine = await req('GET', '/api/me/repositories?limit=2', a);
      expect(mine.json().items).toHaveLength(2);
      expect(mine.json().nextCursor).toBeDefined();
    });

    it('counts pushes and pulls per day in the site statistics', async () => {
      expect((await req('GET', '/api/admin/stats', a)).statusCode).toBe(403);
      const stats = (await req('GET', '/api/admin/stats?days=7', admin)).json();
      const today = new Date().toISOString().slice(0, 10);
      expect(stats.days).toEqual([{ day: today, pushes: 3, pulls: 3 }]);
      expect(stats.storageBytes).toBe(20_000 + 10_500);
      expect(stats).toMatchObject({ organizations: 1, teams: 1 });
      expect((await req('GET', '/api/admin/stats?days=0', admin)).statusCode).toBe(400);
    });

    it('adds a coalesced pull event\'s count to the repository, tag, manifest and daily pull counts', async () => {
      const before = (await req('GET', `/api/repositories/${enc('alice/pushed')}/tags`, a)).json().items.find((x: { tag: string }) => x.tag === '1.0').pullCount;
      const lastAt = new Date().toISOString();
      await t.emit('registry.image.pulled', { repository: 'alice/pushed', digest: d2, reference: '1.0', mediaType: 'application/vnd.oci.image.manifest.v1+json', count: 5, firstAt: new Date(Date.now() - 900).toISOString(), lastAt }, 'bob');
      expect((await req('GET', `/api/repositories/${enc('alice/pushed')}`, a)).json().pullCount).toBe(3 + 5);
      const tag = (await req('GET', `/api/repositories/${enc('alice/pushed')}/tags`, a)).json().items.find((x: { tag: string }) => x.tag === '1.0');
      expect(tag.pullCount).toBe(before + 5);
      const today = new Date().toISOString().slice(0, 10);
      expect((await req('GET', '/api/admin/stats?days=7', admin)).json().days).toEqual([{ day: today, pushes: 3, pulls: 3 + 5 }]);
    });
  });

  describe('profiles', () => {
    it('updates the profile and uploads an avatar whose bytes match its type', async () => {
      expect((await req('PATCH', '/api/me', a, { displayName: 'Alice A.', bio: 'ships things' })).json()).toMatchObject({ displayName: 'Alice A.', bio: 'ships things' });
      expect((await req('PATCH', '/api/me', a, { displayName: 'x'.repeat(101) })).statusCode).toBe(400);
      const put = (body: Buffer, type: string) => t.app.inject({ method: 'PUT', url: '/api/me/avatar', headers: { ...a, 'content-type': type }, payload: body });
      expect((await put(PNG, 'image/jpeg')).statusCode).toBe(400);
      expect((await put(Buffer.from('<svg onload=alert(1)>'), 'image/png')).statusCode).toBe(400);
      expect((await put(Buffer.from('<svg/>'), 'image/svg+xml')).statusCode).toBe(415);
      expect((await put(Buffer.alloc(t.config.metadata.maxAvatarBytes + 1, 1), 'image/png')).statusCode).toBe(413);
      const ok = await put(PNG, 'image/png');
      expect(ok.statusCode).toBe(200);
      const profile = (await req('GET', '/api/users/alice')).json();
      expect(profile).toMatchObject({ username: 'alice', displayName: 'Alice A.' });
      const img = await req('GET', profile.avatarUrl);
      expect(img.headers['content-type']).toBe('image/png');
      expect(img.headers['x-content-type-options']).toBe('nosniff');
      expect(img.rawPayload.equals(PNG)).toBe(true);
      expect((await req('DELETE', '/api/me/avatar', a)).statusCode).toBe(204);
      expect((await req('GET', '/api/users/alice/avatar')).statusCode).toBe(404);
      expect((await req('GET', '/api/users/nobody')).statusCode).toBe(404);
    });
  });

  describe('admin', () => {
    it('lists and searches users, organizations, teams and repositories', async () => {
      expect((await req('GET', '/api/admin/users', a)).statusCode).toBe(403);
      const users = (await req('GET', '/api/admin/users?q=ali', admin)).json().items;
      expect(users).toEqual([expect.objectContaining({ username: 'alice', siteAdmin: false, disabled: false })]);
      expect((await req('GET', '/api/admin/organizations?q=ac', admin)).json().items.map((o: { name: string }) => o.name)).toEqual(['acme']);
      expect((await req('GET', '/api/admin/teams', admin)).json().items.map((x: { name: string }) => x.name)).toEqual(['developers']);
      expect((await req('GET', '/api/admin/repositories?q=web', admin)).json().items.map((r: { name: string }) => r.name)).toEqual(['alice/web']);
    });

    it('removes a user, transferring their repositories', async () => {
      const url = '/api/admin/users/alice';
      expect((await req('DELETE', `${url}?repositories=transfer&confirm=alice`, admin)).statusCode).toBe(400);
      expect((await req('DELETE', `${url}?repositories=keep&confirm=alice`, admin)).statusCode).toBe(400);
      expect((await req('DELETE', `${url}?repositories=transfer&to=acme&confirm=bob`, admin)).statusCode).toBe(400);
      expect((await req('DELETE', `/api/admin/users/root?repositories=remove&confirm=root`, admin)).statusCode).toBe(409);
      const before = (await req('GET', '/api/repositories?namespace=alice', admin)).json().items.length;
      expect((await req('DELETE', `${url}?repositories=transfer&to=acme&confirm=alice`, admin)).statusCode).toBe(204);
      const moved = (await req('GET', '/api/repositories?namespace=acme', admin)).json().items.map((r: { name: string }) => r.name);
      expect(moved).toHaveLength(before);
      expect(moved).toContain('acme/pushed');
      expect((await req('GET', '/api/users/alice')).statusCode).toBe(404);
    });

    it('removes the user and their repositories when auth deletes the account', async () => {
      const eve = { id: 'id-eve', username: 'eve' };
      const e = await t.as(eve);
      expect((await req('POST', '/api/repositories', e, { name: 'eve/app', visibility: 'public' })).statusCode).toBe(201);
      await t.emit('auth.user.deleted', { userId: eve.id, username: eve.username });
      expect((await req('GET', `/api/repositories/${enc('eve/app')}`, admin)).statusCode).toBe(404);
      expect((await req('GET', '/api/namespaces/eve')).statusCode).toBe(404);
    });
  });

  // Last: its pushes would change the counts the dashboard and statistics tests expect.
  describe('tag list order and filter', () => {
    const push = (repository: string, digest: string, tag: string) =>
      t.emit('registry.manifest.pushed', { repository, digest, mediaType: 'application/vnd.oci.image.manifest.v1+json', size: 500, tag }, 'alice');

    it('sorts tags by name, push time or semantic version, filters by name, and pages every order without gaps', async () => {
      expect((await req('POST', '/api/repositories', a, { name: 'alice/sorted', visibility: 'private' })).statusCode).toBe(201);
      const names = ['v1.2.0', '1.10.0', '1.9.3', '2.0.0-rc.1', '2.0.0', 'latest', 'v1.2.0-beta', 'dev_x'];
      for (const [i, name] of names.entries()) await push('alice/sorted', `sha256:${String(i).repeat(64)}`, name);
      const all = async (query: string, limit: number) => {
        const seen: string[] = [];
        let cursor: string | undefined;
        do {
          const page = (await req('GET', `/api/repositories/${enc('alice/sorted')}/tags?limit=${limit}${query}${cursor ? `&cursor=${cursor}` : ''}`, a)).json();
          seen.push(...page.items.map((x: { tag: string }) => x.tag));
          cursor = page.nextCursor;
        } while (cursor);
        return seen;
      };
      expect(await all('', 3)).toEqual([...names].sort());
      expect(await all('&sort=pushed', 3)).toEqual([...names].reverse());
      expect(await all('&sort=semver', 3)).toEqual(['2.0.0', '2.0.0-rc.1', '1.10.0', '1.9.3', 'v1.2.0', 'v1.2.0-beta', 'dev_x', 'latest']);
      expect(await all('&sort=semver', 100)).toEqual(await all('&sort=semver', 2));
      expect(await all('&q=RC', 10)).toEqual(['2.0.0-rc.1']);
      expect(await all('&q=1.2', 10)).toEqual(['v1.2.0', 'v1.2.0-beta']);
      // LIKE wildcards in the filter are text, not patterns.
      expect(await all('&q=_', 10)).toEqual(['dev_x']);
      expect(await all('&q=%25', 10)).toEqual([]);
      expect((await req('GET', `/api/repositories/${enc('alice/sorted')}/tags?sort=size`, a)).statusCode).toBe(400);
      expect((await req('GET', `/api/repositories/${enc('alice/sorted')}/tags?sort=semver&cursor=abc`, a)).statusCode).toBe(400);
    });
  });
});
