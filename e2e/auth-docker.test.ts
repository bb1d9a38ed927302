// The real auth service end to end with the real docker CLI and skopeo, through NGINX in the
// distributed mode and inside the all-in-one process: docker login with a password and with an
// access token, push, pull, logout, a wrong password, a revoked token, a 2FA account's password,
// a robot with skopeo, and forged tokens the registry must refuse.
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { createPrivateKey, generateKeyPairSync } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SignJWT, base64url } from 'jose';
import { Secret, TOTP } from 'otpauth';
import { ensureDockerd, hasCommand, makeTempDir, requireServer } from '@docksphere/infra';
import { startAuthService, AUTH_ADMIN, type AuthServiceFixture } from './harness/auth-service.ts';
import { startDistributed } from './harness/distributed.ts';
import { startAllInOne } from './harness/all-in-one.ts';
import type { RegistryUnderTest } from './harness/registry-under-test.ts';
import { printLogsOnFailure } from './harness/logs-on-failure.ts';
import { run } from './harness/run.ts';
import { buildTestImage, docker, type TestImage } from './harness/test-image.ts';
import { consoleLogin, expectStatus, platformApi } from './harness/platform-api.ts';

const haveDocker = requireServer('docker', hasCommand('docker') && hasCommand('dockerd'));
const haveSkopeo = requireServer('skopeo', hasCommand('skopeo'));

/** One way of running DockSphere with the real auth service. */
interface AuthTarget {
  name: string;
  start(): Promise<{ dist: RegistryUnderTest; keysDir: string; issuer: string; service: string; jwksUrl: string; logs(): string; stop(): Promise<void> }>;
}

const authTargets: AuthTarget[] = [
  {
    name: 'distributed (NGINX + auth service + registry)',
    async start() {
      const auth: AuthServiceFixture = await startAuthService({ env: { TOKEN_TTL_SECONDS: '60' } });
      try {
        const dist = await startDistributed({ auth });
        return {
          dist,
          keysDir: auth.keysDir,
          issuer: auth.issuer,
          service: auth.service,
          jwksUrl: auth.jwksUrl as string,
          logs: () => `${dist.logs()}\n--- auth\n${auth.process.logs()}`,
          async stop() {
            await dist.stop();
            await auth.stop();
          },
        };
      } catch (err) {
        await auth.stop();
        throw err;
      }
    },
  },
  {
    name: 'all-in-one',
    async start() {
      const dist = await startAllInOne({ auth: 'builtin', env: { TOKEN_TTL_SECONDS: '60' } });
      return {
        dist,
        keysDir: path.join(dist.dataDir, 'auth-keys'),
        issuer: 'docksphere-auth',
        service: 'docksphere',
        jwksUrl: `${dist.url}/auth/jwks.json`,
        logs: () => dist.logs(),
        stop: () => dist.stop(),
      };
    },
  },
];

describe.skipIf(!haveDocker).each(authTargets)('auth service with docker: $name', (target) => {
  const temp = makeTempDir('auth-e2e');
  const configDir = path.join(temp.dir, 'docker-config');
  let auth: { keysDir: string; issuer: string; service: string; jwksUrl: string; stop(): Promise<void> };
  let dist: RegistryUnderTest;
  let logs: () => string;
  let image: TestImage;
  let adminBearer: string;
  const refs: string[] = [];

  printLogsOnFailure(() => dist && { ...dist, logs: () => logs() });

  const api = (bearer?: string) => platformApi(dist.url, bearer);
  const login = (username: string, password: string) => consoleLogin(dist.url, username, password);

  const dockerRun = (args: string[], input?: string) => run('docker', args, { input, env: { ...process.env, DOCKER_CONFIG: configDir } });
  const remote = (repo: string) => {
    const ref = `${dist.host}/${repo}`;
    refs.push(ref);
    return ref;
  };

  beforeAll(async () => {
    await ensureDockerd();
    const started = await target.start();
    auth = started;
    dist = started.dist;
    logs = started.logs;
    image = await buildTestImage(configDir, path.join(temp.dir, 'build'), 'auth', 64 * 1024);
    adminBearer = await login(AUTH_ADMIN.username, AUTH_ADMIN.password);
    for (const u of ['alice', 'tina']) {
      await expectStatus(api(adminBearer).POST('/api/auth/admin/users', { body: { username: u, email: `${u}@example.test`, password: `${u}-e2e-password` } }), 201);
    }
  });

  afterAll(async () => {
    for (const ref of [...refs, image?.ref, image?.baseRef].filter(Boolean) as string[]) await dockerRun(['rmi', '--force', ref]);
    await auth?.stop();
    temp.remove();
  });

  it('a wrong password shows docker\'s "unauthorized"', async () => {
    const r = await dockerRun(['login', dist.host, '-u', 'alice', '--password-stdin'], 'not-the-password');
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/unauthorized: incorrect username or password/);
  });

  it('docker login with a password keeps an identity token, not the password; push, pull and logout work', async () => {
    const r = await docker(configDir, ['login', dist.host, '-u', 'alice', '--password-stdin'], { input: 'alice-e2e-password' });
    expect(r.stdout).toContain('Login Succeeded');
    const config = readFileSync(path.join(configDir, 'config.json'), 'utf8');
    expect(JSON.parse(config).auths[dist.host].identitytoken).toMatch(/^dsi_/);
    expect(config).not.toContain(Buffer.from('alice:alice-e2e-password').toString('base64'));

    const ref = remote('alice/app:v1');
    await docker(configDir, ['tag', image.ref, ref]);
    const pushed = await docker(configDir, ['push', ref]);
    expect(pushed.stdout).toMatch(/digest: sha256:[0-9a-f]{64}/);
    await docker(configDir, ['rmi', ref]);
    const pulled = await docker(configDir, ['pull', ref]);
    expect(pulled.stdout).toMatch(/Downloaded newer image|Image is up to date/);

    const foreign = remote('tina/app:v1');
    await docker(configDir, ['tag', image.ref, foreign]);
    const denied = await dockerRun(['push', foreign]);
    expect(denied.code).not.toBe(0);
    expect(denied.stderr + denied.stdout).toMatch(/denied|unauthorized|insufficient_scope/i);

    await docker(configDir, ['logout', dist.host]);
    expect(JSON.parse(readFileSync(path.join(configDir, 'config.json'), 'utf8')).auths?.[dist.host]).toBeUndefined();
    await docker(configDir, ['rmi', ref]);
    const anonymous = await dockerRun(['pull', ref]);
    expect(anonymous.code).not.toBe(0);
  });

  it('docker login with an access token pushes and pulls; once revoked it stops working', async () => {
    const bearer = await login('alice', 'alice-e2e-password');
    const created = await expectStatus(api(bearer).POST('/api/auth/tokens', { body: { name: 'e2e', scopes: ['pull', 'push'] } }), 201);
    const r = await docker(configDir, ['login', dist.host, '-u', 'alice', '--password-stdin'], { input: created.token });
    expect(r.stdout).toContain('Login Succeeded');
    const ref = remote('alice/app:v2');
    await docker(configDir, ['tag', image.ref, ref]);
    await docker(configDir, ['push', ref]);
    await docker(configDir, ['rmi', ref]);
    await docker(configDir, ['pull', ref]);

    await expectStatus(api(bearer).DELETE('/api/auth/tokens/{id}', { params: { path: { id: created.accessToken.id } } }), 204);
    await docker(configDir, ['rmi', ref]);
    // Each docker operation asks for a fresh registry token with its identity token: refused now.
    const after = await dockerRun(['pull', ref]);
    expect(after.code).not.toBe(0);
    expect(after.stderr).toMatch(/unauthorized|refresh token is invalid/i);
    const relogin = await dockerRun(['login', dist.host, '-u', 'alice', '--password-stdin'], created.token);
    expect(relogin.code).not.toBe(0);
    await dockerRun(['logout', dist.host]);
  });

  it('the password of a 2FA account is refused for docker with a helpful message', async () => {
    const bearer = await login('tina', 'tina-e2e-password');
    const enrol = await expectStatus(api(bearer).POST('/api/auth/2fa/enrol', { body: { password: 'tina-e2e-password' } }), 200);
    const totp = new TOTP({ secret: Secret.fromBase32(enrol.secret), digits: 6, period: 30, algorithm: 'SHA1' });
    await expectStatus(api(bearer).POST('/api/auth/2fa/activate', { body: { code: totp.generate() } }), 200);
    const r = await dockerRun(['login', dist.host, '-u', 'tina', '--password-stdin'], 'tina-e2e-password');
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/unauthorized: two-factor authentication is enabled.*personal access token/);
  });

  it.skipIf(!haveSkopeo)('a robot token works with skopeo, inside its repository patterns only', async () => {
    const bearer = await login('alice', 'alice-e2e-password');
    const robot = await expectStatus(
      api(bearer).POST('/api/auth/namespaces/{namespace}/robots', { params: { path: { namespace: 'alice' } }, body: { name: 'ci', repositories: ['alice/ci/*'], actions: ['pull', 'push'] } }),
      201,
    );
    const creds = `alice+ci:${robot.token}`;
    const copy = await run('skopeo', [
      'copy',
      '--src-tls-verify=false',
      '--dest-tls-verify=false',
      '--src-creds',
      'alice:alice-e2e-password',
      '--dest-creds',
      creds,
      `docker://${dist.host}/alice/app:v1`,
      `docker://${dist.host}/alice/ci/app:1`,
    ]);
    expect(copy.code, copy.stderr).toBe(0);
    const inspect = await run('skopeo', ['inspect', '--tls-verify=false', '--creds', creds, `docker://${dist.host}/alice/ci/app:1`]);
    expect(inspect.code, inspect.stderr).toBe(0);
    const outside = await run('skopeo', ['inspect', '--tls-verify=false', '--creds', creds, `docker://${dist.host}/alice/app:v1`]);
    expect(outside.code).not.toBe(0);
  });

  describe('forged tokens are refused by the registry', () => {
    const manifest = () => `${dist.url}/v2/alice/app/manifests/v1`;
    const accept = 'application/vnd.docker.distribution.manifest.v2+json, application/vnd.oci.image.manifest.v1+json';
    const pullAlice = [{ type: 'repository', name: 'alice/app', actions: ['pull'] }];

    function signingKey() {
      const file = readdirSync(auth.keysDir).filter((n) => n.endsWith('.key.pem')).sort().at(-1) as string;
      return createPrivateKey(readFileSync(path.join(auth.keysDir, file)));
    }
    async function kid(): Promise<string> {
      const jwks = (await (await fetch(auth.jwksUrl)).json()) as { keys: { kid: string }[] };
      return jwks.keys.at(-1)!.kid;
    }
    async function forge(opts: { key?: Parameters<SignJWT['sign']>[0]; alg?: string; iss?: string; aud?: string; exp?: number; access?: unknown }) {
      const now = Math.floor(Date.now() / 1000);
      return new SignJWT({ access: opts.access ?? pullAlice })
        .setProtectedHeader({ typ: 'JWT', alg: opts.alg ?? 'ES256', kid: await kid() })
        .setIssuer(opts.iss ?? auth.issuer)
        .setAudience(opts.aud ?? auth.service)
        .setSubject('alice')
        .setIssuedAt(now - 10)
        .setNotBefore(now - 10)
        .setExpirationTime(opts.exp ?? now + 120)
        .sign(opts.key ?? signingKey());
    }
    const get = (token: string) => fetch(manifest(), { headers: { authorization: `Bearer ${token}`, accept } });

    it('a correctly signed token is accepted (control)', async () => {
      expect((await get(await forge({}))).status).toBe(200);
    });

    it('refuses a wrong signature, wrong aud, wrong iss and an expired token', async () => {
      const other = generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).privateKey;
      for (const token of [
        await forge({ key: other }),
        await forge({ aud: 'another-registry' }),
        await forge({ iss: 'someone-else' }),
        await forge({ exp: Math.floor(Date.now() / 1000) - 300 }),
      ]) {
        const res = await get(token);
        expect([401, 403]).toContain(res.status);
      }
    });

    it('refuses alg none and HS256 signed with the public key', async () => {
      const header = { typ: 'JWT', alg: 'none', kid: await kid() };
      const now = Math.floor(Date.now() / 1000);
      const claims = { iss: auth.issuer, aud: auth.service, sub: 'alice', iat: now, nbf: now, exp: now + 120, access: pullAlice };
      const none = `${base64url.encode(JSON.stringify(header))}.${base64url.encode(JSON.stringify(claims))}.`;
      expect([401, 403]).toContain((await get(none)).status);
      const jwks = (await (await fetch(auth.jwksUrl)).json()) as { keys: object[] };
      const publicPem = new TextEncoder().encode(JSON.stringify(jwks.keys.at(-1)));
      const hs = await forge({ key: publicPem, alg: 'HS256' });
      expect([401, 403]).toContain((await get(hs)).status);
    });

    it('refuses a push scope for one repository used on another', async () => {
      const token = await forge({ access: [{ type: 'repository', name: 'alice/other', actions: ['pull', 'push'] }] });
      expect([401, 403]).toContain((await get(token)).status);
      const upload = await fetch(`${dist.url}/v2/alice/app/blobs/uploads/`, { method: 'POST', headers: { authorization: `Bearer ${token}` } });
      expect([401, 403]).toContain(upload.status);
    });
  });
});
