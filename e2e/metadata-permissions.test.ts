// The metadata service's permission rules end to end with the real docker CLI against the all-in-one
// (real auth service, metadata's permission model, registry), set up through the real HTTP APIs:
// an outsider cannot pull or even see a private repository, read pulls but cannot push, write pushes
// but cannot delete, admin deletes, anonymous pulls public repositories only, an LDAP group mapped to
// a team (real slapd) grants push, and a robot limited to acme/ci/* cannot push elsewhere.
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureDockerd, hasCommand, makeTempDir, requireServer, waitUntil } from '@docksphere/infra';
import { startAllInOne } from './harness/all-in-one.ts';
import type { RegistryUnderTest } from './harness/registry-under-test.ts';
import { printLogsOnFailure } from './harness/logs-on-failure.ts';
import { run } from './harness/run.ts';
import { buildTestImage, docker, type TestImage } from './harness/test-image.ts';
import { consoleLogin as login, expectStatus, platformApi } from './harness/platform-api.ts';
import { addGroup, addPerson, BASE_DN, slapdAvailable, startSlapd, type RunningSlapd } from '../services/auth/test/slapd.ts';

const haveDocker = requireServer('docker', hasCommand('docker') && hasCommand('dockerd'));
const haveSlapd = requireServer('slapd', slapdAvailable(), 'apt-get install -y slapd ldap-utils');

const ADMIN = { username: 'admin', password: 'e2e-admin-password' };
const password = (u: string) => `${u}-e2e-password`;
const ACCEPT = 'application/vnd.docker.distribution.manifest.v2+json, application/vnd.oci.image.manifest.v1+json';
const enc = encodeURIComponent;

describe.skipIf(!haveDocker || !haveSlapd)('metadata permissions with docker (all-in-one)', () => {
  const temp = makeTempDir('perm-e2e');
  const configDir = path.join(temp.dir, 'docker-config');
  let slapd: RunningSlapd;
  let dist: RegistryUnderTest;
  let image: TestImage;
  let adminBearer: string;
  let pushedDigest: string;
  const refs = new Set<string>();

  printLogsOnFailure(() => dist);

  const api = (bearer?: string) => platformApi(dist.url, bearer);
  const consoleLogin = (username: string, pw: string) => login(dist.url, username, pw);
  /** A registry token from the real token endpoint; its `access` is what the permission model granted. */
  async function registryToken(scope: string, creds?: { username: string; password: string }): Promise<{ token: string; access: { name: string; actions: string[] }[] }> {
    const headers: Record<string, string> = creds ? { authorization: `Basic ${Buffer.from(`${creds.username}:${creds.password}`).toString('base64')}` } : {};
    const res = await fetch(`${dist.url}/auth/token?service=docksphere&scope=${enc(scope)}`, { headers });
    expect(res.status).toBe(200);
    const { token } = (await res.json()) as { token: string };
    const claims = JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString()) as { access: { name: string; actions: string[] }[] };
    return { token, access: claims.access };
  }

  const dockerRun = (args: string[], input?: string) => run('docker', args, { input, env: { ...process.env, DOCKER_CONFIG: configDir } });
  const remote = (repo: string) => {
    const ref = `${dist.host}/${repo}`;
    refs.add(ref);
    return ref;
  };
  async function asUser<T>(username: string, pw: string, fn: () => Promise<T>): Promise<T> {
    const login = await docker(configDir, ['login', dist.host, '-u', username, '--password-stdin'], { input: pw });
    expect(login.stdout).toContain('Login Succeeded');
    try {
      return await fn();
    } finally {
      await docker(configDir, ['logout', dist.host]);
    }
  }
  async function pushAs(repo: string): Promise<{ code: number; out: string }> {
    const ref = remote(repo);
    await docker(configDir, ['tag', image.ref, ref]);
    const r = await dockerRun(['push', ref]);
    return { code: r.code, out: r.stdout + r.stderr };
  }
  async function freshPull(repo: string): Promise<{ code: number; out: string }> {
    const ref = remote(repo);
    await dockerRun(['rmi', ref]);
    const r = await dockerRun(['pull', ref]);
    return { code: r.code, out: r.stdout + r.stderr };
  }
  const DENIED = /denied|unauthorized|insufficient_scope/i;
  const INVISIBLE = (repo: string) => new RegExp(`pull access denied for [^ ]*${repo.replace('/', '\\/')}, repository does not exist`);

  beforeAll(async () => {
    await ensureDockerd();
    slapd = await startSlapd();
    const lenaDn = await addPerson(slapd, 'lena', password('lena'), 'lena@corp.test', 'Lena Larsen');
    const ottoDn = await addPerson(slapd, 'otto', password('otto'), 'otto@corp.test', 'Otto Olsen');
    await addGroup(slapd, 'dev', [lenaDn]);
    await addGroup(slapd, 'ops', [ottoDn]);
    dist = await startAllInOne({
      auth: 'builtin',
      env: { LDAP_URL: slapd.url, LDAP_USER_DN_TEMPLATE: `uid={username},ou=people,${BASE_DN}`, LDAP_GROUP_BASE_DN: `ou=groups,${BASE_DN}` },
    });
    image = await buildTestImage(configDir, path.join(temp.dir, 'build'), 'perm', 64 * 1024);

    adminBearer = await consoleLogin(ADMIN.username, ADMIN.password);
    for (const u of ['owen', 'olga', 'rita', 'will', 'adam']) {
      await expectStatus(api(adminBearer).POST('/api/auth/admin/users', { body: { username: u, email: `${u}@example.test`, password: password(u) } }), 201);
    }
    // Directory users exist locally once they have logged in.
    for (const u of ['lena', 'otto']) await consoleLogin(u, password(u));
    // Metadata learns users from auth.* events: wait until it knows all of them.
    for (const u of ['owen', 'olga', 'rita', 'will', 'adam', 'lena', 'otto']) {
      await waitUntil(`metadata knows ${u}`, async () => (await api().GET('/api/users/{username}', { params: { path: { username: u } } })).response.status === 200, { timeoutMs: 20_000 });
    }

    const owen = await consoleLogin('owen', password('owen'));
    const asOwen = api(owen);
    await expectStatus(asOwen.POST('/api/orgs', { body: { name: 'acme' } }), 201);
    await expectStatus(asOwen.POST('/api/repositories', { body: { name: 'acme/secret', visibility: 'private', description: 'the secret sauce' } }), 201);
    await expectStatus(asOwen.POST('/api/repositories', { body: { name: 'acme/public', visibility: 'public', description: 'for everyone' } }), 201);
    for (const [user, level] of [['rita', 'read'], ['will', 'write'], ['adam', 'admin']] as const) {
      await expectStatus(asOwen.PUT('/api/repositories/{repository}/grants', { params: { path: { repository: 'acme/secret' } }, body: { user, level } }), 200);
    }
    // LDAP group "dev" maps to team devs, which may write acme/ldap/*.
    await expectStatus(asOwen.POST('/api/orgs/{org}/teams', { params: { path: { org: 'acme' } }, body: { name: 'devs' } }), 201);
    await expectStatus(asOwen.PATCH('/api/orgs/{org}/teams/{team}', { params: { path: { org: 'acme', team: 'devs' } }, body: { ldapGroup: 'dev' } }), 200);
    await expectStatus(asOwen.PUT('/api/orgs/{org}/grants', { params: { path: { org: 'acme' } }, body: { team: 'devs', pattern: 'acme/ldap/*', level: 'write' } }), 200);

    await asUser('owen', password('owen'), async () => {
      for (const repo of ['acme/secret:v1', 'acme/public:v1']) {
        const pushed = await pushAs(repo);
        expect(pushed.code, pushed.out).toBe(0);
        pushedDigest = /digest: (sha256:[0-9a-f]{64})/.exec(pushed.out)![1]!;
      }
    });
  });

  afterAll(async () => {
    if (dist) await dockerRun(['logout', dist.host]);
    for (const ref of [...refs, image?.ref, image?.baseRef].filter(Boolean) as string[]) await dockerRun(['rmi', '--force', ref]);
    await dist?.stop();
    await slapd?.stop();
    temp.remove();
  });

  it('an outsider cannot pull a private repository: docker says it does not exist', async () => {
    await asUser('olga', password('olga'), async () => {
      const denied = await freshPull('acme/secret:v1');
      expect(denied.code).not.toBe(0);
      expect(denied.out).toMatch(INVISIBLE('acme/secret'));
      // The same answer as for a repository that really does not exist.
      const missing = await freshPull('acme/nothing-here:v1');
      expect(missing.out).toMatch(INVISIBLE('acme/nothing-here'));
      // Public repositories of the same organization are pullable.
      expect((await freshPull('acme/public:v1')).code).toBe(0);
    });
  });

  it('an outsider cannot see a private repository in the API, search, tags or catalog', async () => {
    const olga = api(await consoleLogin('olga', password('olga')));
    const secret = { params: { path: { repository: 'acme/secret' } } };
    expect((await olga.GET('/api/repositories/{repository}', secret)).error?.error.code).toBe('NOT_FOUND');
    expect((await olga.GET('/api/repositories/{repository}/tags', secret)).response.status).toBe(404);
    const listed = await expectStatus(olga.GET('/api/repositories', { params: { query: { namespace: 'acme' } } }), 200);
    expect(listed.items.map((r) => r.name)).toEqual(['acme/public']);
    const search = await expectStatus(olga.GET('/api/search', { params: { query: { q: 'sauce' } } }), 200);
    expect(search.items).toEqual([]);
    const found = await expectStatus(api(adminBearer).GET('/api/search', { params: { query: { q: 'sauce' } } }), 200);
    expect(found.items.map((r) => r.name)).toContain('acme/secret');

    // /v2: no access is granted, so the registry answers as for a missing repository.
    const creds = { username: 'olga', password: password('olga') };
    const repoToken = await registryToken('repository:acme/secret:pull', creds);
    expect(repoToken.access).toEqual([]);
    const tags = await fetch(`${dist.url}/v2/acme/secret/tags/list`, { headers: { authorization: `Bearer ${repoToken.token}` } });
    expect(tags.status).toBe(401);
    expect(await tags.text()).not.toContain('v1');
    // The catalog is site admins' only (docs/permissions.md): olga gets no catalog access at all.
    const catalogToken = await registryToken('registry:catalog:*', creds);
    expect(catalogToken.access).toEqual([]);
    const catalog = await fetch(`${dist.url}/v2/_catalog`, { headers: { authorization: `Bearer ${catalogToken.token}` } });
    expect(catalog.status).toBe(401);
    expect(await catalog.text()).not.toContain('acme/secret');
    const adminCatalog = await registryToken('registry:catalog:*', ADMIN);
    const all = await fetch(`${dist.url}/v2/_catalog`, { headers: { authorization: `Bearer ${adminCatalog.token}` } });
    expect(((await all.json()) as { repositories: string[] }).repositories).toContain('acme/secret');
  });

  it('read can pull but not push', async () => {
    await asUser('rita', password('rita'), async () => {
      const pulled = await freshPull('acme/secret:v1');
      expect(pulled.code, pulled.out).toBe(0);
      const pushed = await pushAs('acme/secret:rita');
      expect(pushed.code).not.toBe(0);
      expect(pushed.out).toMatch(DENIED);
    });
    expect((await registryToken('repository:acme/secret:pull,push', { username: 'rita', password: password('rita') })).access).toEqual([
      { type: 'repository', name: 'acme/secret', actions: ['pull'] },
    ]);
  });

  it('write can push but not delete', async () => {
    await asUser('will', password('will'), async () => {
      const pushed = await pushAs('acme/secret:will');
      expect(pushed.code, pushed.out).toBe(0);
      expect((await freshPull('acme/secret:will')).code).toBe(0);
    });
    const { token, access } = await registryToken('repository:acme/secret:pull,push,delete', { username: 'will', password: password('will') });
    expect(access[0]!.actions.sort()).toEqual(['pull', 'push']);
    const del = await fetch(`${dist.url}/v2/acme/secret/manifests/${pushedDigest}`, { method: 'DELETE', headers: { authorization: `Bearer ${token}` } });
    expect([401, 403]).toContain(del.status);
    const still = await fetch(`${dist.url}/v2/acme/secret/manifests/v1`, { headers: { authorization: `Bearer ${token}`, accept: ACCEPT } });
    expect(still.status).toBe(200);
  });

  it('anonymous can pull public repositories only', async () => {
    await dockerRun(['logout', dist.host]);
    const pub = await freshPull('acme/public:v1');
    expect(pub.code, pub.out).toBe(0);
    const priv = await freshPull('acme/secret:v1');
    expect(priv.code).not.toBe(0);
    expect(priv.out).toMatch(INVISIBLE('acme/secret'));
    const push = await pushAs('acme/public:anonymous');
    expect(push.code).not.toBe(0);
    expect(push.out).toMatch(DENIED);
  });

  it('an LDAP group mapped to a team grants push; another group does not', async () => {
    await asUser('lena', password('lena'), async () => {
      const pushed = await pushAs('acme/ldap/app:v1');
      expect(pushed.code, pushed.out).toBe(0);
      expect((await freshPull('acme/ldap/app:v1')).code).toBe(0);
      // The team's grant covers acme/ldap/* only.
      const outside = await pushAs('acme/secret:lena');
      expect(outside.code).not.toBe(0);
    });
    await asUser('otto', password('otto'), async () => {
      const denied = await pushAs('acme/ldap/app:otto');
      expect(denied.code).not.toBe(0);
      expect(denied.out).toMatch(DENIED);
      expect((await freshPull('acme/ldap/app:v1')).out).toMatch(INVISIBLE('acme/ldap/app'));
    });
  });

  it('a robot limited to acme/ci/* pushes there and nowhere else', async () => {
    const robot = await expectStatus(
      api(adminBearer).POST('/api/auth/namespaces/{namespace}/robots', { params: { path: { namespace: 'acme' } }, body: { name: 'ci', repositories: ['acme/ci/*'], actions: ['pull', 'push'] } }),
      201,
    );
    await asUser('acme+ci', robot.token, async () => {
      const inside = await pushAs('acme/ci/app:1');
      expect(inside.code, inside.out).toBe(0);
      for (const repo of ['acme/ldap/app:robot', 'acme/secret:robot', 'acme/elsewhere:1']) {
        const outside = await pushAs(repo);
        expect(outside.code, repo).not.toBe(0);
        expect(outside.out).toMatch(DENIED);
      }
    });
  });

  it('admin can delete', async () => {
    const { token, access } = await registryToken('repository:acme/secret:pull,push,delete', { username: 'adam', password: password('adam') });
    expect(access[0]!.actions.sort()).toEqual(['delete', 'pull', 'push']);
    const del = await fetch(`${dist.url}/v2/acme/secret/manifests/${pushedDigest}`, { method: 'DELETE', headers: { authorization: `Bearer ${token}` } });
    expect(del.status).toBe(202);
    const gone = await fetch(`${dist.url}/v2/acme/secret/manifests/v1`, { headers: { authorization: `Bearer ${token}`, accept: ACCEPT } });
    expect(gone.status).toBe(404);
  });

  it('deleting the repository through the API removes it from the registry', async () => {
    const owen = await consoleLogin('owen', password('owen'));
    await expectStatus(api(owen).DELETE('/api/repositories/{repository}', { params: { path: { repository: 'acme/public' }, query: { confirm: 'acme/public' } } }), 204);
    // The registry's lifecycle consumer removes the content (asynchronously, from the event).
    const { token } = await registryToken('repository:acme/public:pull', { username: 'owen', password: password('owen') });
    await waitUntil('acme/public gone from /v2', async () => {
      const res = await fetch(`${dist.url}/v2/acme/public/tags/list`, { headers: { authorization: `Bearer ${token}` } });
      return res.status === 404;
    }, { timeoutMs: 20_000 });
    await dockerRun(['logout', dist.host]);
    expect((await freshPull('acme/public:v1')).out).toMatch(INVISIBLE('acme/public'));
  });
});
