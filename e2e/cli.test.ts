// The docksphere CLI as a user runs it: the built bundle as a subprocess, against the all-in-one
// and the distributed platform behind NGINX. Login (password + 2FA, --password-stdin) stores the
// CLI's token in a temporary DOCKER_CONFIG or, with credsStore set, in a stub docker-credential-*
// helper; the real docker CLI pushes with those credentials; commands' --json output is checked
// against the API; destructive commands refuse off a terminal without --yes; wrong server, bad
// token, denied and not found exit with their documented codes.
import { chmodSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Secret, TOTP } from 'otpauth';
import { ensureDockerd, freePort, hasCommand, makeTempDir, postgresBinDir, requireServer } from '@docksphere/infra';
import { startAllInOne } from './harness/all-in-one.ts';
import { startPlatform, PLATFORM_ADMIN } from './harness/platform.ts';
import { callApi } from './harness/platform-api.ts';
import { repoRoot, requireBundle } from './harness/paths.ts';
import { run, type CommandResult } from './harness/run.ts';
import { buildTestImage, docker, removeImages, type TestImage } from './harness/test-image.ts';

const haveDocker = requireServer('docker', hasCommand('docker') && hasCommand('dockerd'));
const haveDistributed =
  requireServer('PostgreSQL', postgresBinDir() !== undefined) && requireServer('nats-server', hasCommand('nats-server')) && requireServer('redis-server', hasCommand('redis-server')) && requireServer('nginx', hasCommand('nginx'));
const cliBundle = () => requireBundle(path.join(repoRoot, 'apps/cli/dist/main.mjs'));

interface Target {
  name: string;
  enabled: boolean;
  start(): Promise<{ url: string; host: string; logs(): string; stop(): Promise<void> }>;
}

const targets: Target[] = [
  {
    name: 'all-in-one',
    enabled: haveDocker,
    start: () => startAllInOne({ auth: 'builtin', env: { WEBHOOK_ALLOWLIST: '127.0.0.1/32' } }),
  },
  {
    name: 'distributed',
    enabled: haveDocker && haveDistributed,
    start: async () => {
      const p = await startPlatform({ hooksEnv: { WEBHOOK_ALLOWLIST: '127.0.0.1/32' } });
      return { url: p.url, host: p.host, logs: p.logs, stop: p.stop };
    },
  },
];

// A docker-credential-* helper that keeps what it is given in a JSON file beside it.
const STUB_HELPER = `#!/usr/bin/env node
const fs = require('fs');
const file = __dirname + '/store.json';
const store = fs.existsSync(file) ? JSON.parse(fs.readFileSync(file, 'utf8')) : {};
const input = fs.readFileSync(0, 'utf8');
const action = process.argv[2];
if (action === 'store') { const c = JSON.parse(input); store[c.ServerURL] = c; fs.writeFileSync(file, JSON.stringify(store)); }
else if (action === 'get') { const c = store[input.trim()]; if (!c) { process.stdout.write('credentials not found in native keychain'); process.exit(1); } process.stdout.write(JSON.stringify(c)); }
else if (action === 'erase') { delete store[input.trim()]; fs.writeFileSync(file, JSON.stringify(store)); }
else if (action === 'list') { process.stdout.write(JSON.stringify(Object.fromEntries(Object.values(store).map((c) => [c.ServerURL, c.Username])))); }
else process.exit(1);
`;

for (const target of targets) {
  describe.skipIf(!target.enabled)(`docksphere CLI against the ${target.name}`, () => {
    const temp = makeTempDir(`e2e-cli-${target.name}`);
    let server: Awaited<ReturnType<Target['start']>>;
    let adminBearer = '';
    let image: TestImage;
    const pushed: string[] = [];
    const suffix = Math.random().toString(36).slice(2, 8);
    const org = `cli-org-${suffix}`;
    const tina = `tina${suffix}`;
    const tinaPassword = 'tina-e2e-password';
    let totp: TOTP;
    const dirs = {
      tina: { docker: path.join(temp.dir, 'tina-docker'), cli: path.join(temp.dir, 'tina-cli') },
      admin: { docker: path.join(temp.dir, 'admin-docker'), cli: path.join(temp.dir, 'admin-cli') },
      build: path.join(temp.dir, 'build'),
      helperBin: path.join(temp.dir, 'helper-bin'),
    };

    /** Runs the CLI bundle with a user's DOCKER_CONFIG and CLI config, off a terminal. */
    function cli(who: 'tina' | 'admin', args: string[], opts: { input?: string; env?: Record<string, string> } = {}): Promise<CommandResult> {
      const env: NodeJS.ProcessEnv = { ...process.env, DOCKER_CONFIG: dirs[who].docker, DOCKSPHERE_CONFIG_DIR: dirs[who].cli, PATH: `${dirs.helperBin}:${process.env.PATH ?? ''}`, NO_COLOR: '1', ...opts.env };
      delete env.DOCKSPHERE_SERVER;
      delete env.DOCKSPHERE_TOKEN;
      Object.assign(env, opts.env);
      return run(process.execPath, [cliBundle(), ...args], { env, input: opts.input, timeoutMs: 120_000 });
    }
    /** The CLI with the admin's console token as DOCKSPHERE_TOKEN (a Bearer /api accepts), --json parsed. */
    async function adminJson(args: string[], input?: string): Promise<any> {
      const r = await cli('admin', [...args, '--json'], { env: { DOCKSPHERE_TOKEN: adminBearer }, input });
      expect(r.code, `${args.join(' ')}\n${r.stderr}`).toBe(0);
      return JSON.parse(r.stdout);
    }
    async function adminOk(args: string[], input?: string): Promise<CommandResult> {
      const r = await cli('admin', args, { env: { DOCKSPHERE_TOKEN: adminBearer }, input });
      expect(r.code, `${args.join(' ')}\n${r.stderr}`).toBe(0);
      return r;
    }
    const api = (method: string, route: string, body?: unknown) => callApi(server.url, method, route, body, adminBearer);
    /** A console access token of tina (password, then her 2FA code). */
    const tinaBearer = async (): Promise<string> => {
      const first = await callApi(server.url, 'POST', '/api/auth/login', { username: tina, password: tinaPassword });
      return (await callApi(server.url, 'POST', '/api/auth/login/2fa', { challenge: first.json.challenge, code: totp.generate() })).json.accessToken;
    };

    beforeAll(async () => {
      await ensureDockerd();
      server = await target.start();
      const login = await callApi(server.url, 'POST', '/api/auth/login', { username: PLATFORM_ADMIN.username, password: PLATFORM_ADMIN.password });
      expect(login.status).toBe(200);
      adminBearer = login.json.accessToken;
      expect((await api('POST', '/api/auth/admin/users', { username: tina, email: `${tina}@example.test`, password: tinaPassword })).status).toBe(201);
      const tinaLogin = await callApi(server.url, 'POST', '/api/auth/login', { username: tina, password: tinaPassword });
      const enrol = await callApi(server.url, 'POST', '/api/auth/2fa/enrol', { password: tinaPassword }, tinaLogin.json.accessToken);
      expect(enrol.status).toBe(200);
      totp = new TOTP({ secret: Secret.fromBase32(enrol.json.secret), digits: 6, period: 30, algorithm: 'SHA1' });
      expect((await callApi(server.url, 'POST', '/api/auth/2fa/activate', { code: totp.generate() }, tinaLogin.json.accessToken)).status).toBe(200);
      mkdirSync(dirs.helperBin, { recursive: true });
      writeFileSync(path.join(dirs.helperBin, 'docker-credential-dsstub'), STUB_HELPER);
      chmodSync(path.join(dirs.helperBin, 'docker-credential-dsstub'), 0o755);
      mkdirSync(dirs.admin.docker, { recursive: true });
      writeFileSync(path.join(dirs.admin.docker, 'config.json'), JSON.stringify({ credsStore: 'dsstub' }));
      image = await buildTestImage(dirs.tina.docker, dirs.build, `cli-${target.name}`, 32 * 1024);
    }, 600_000);

    afterAll(async () => {
      if (image) await removeImages(dirs.tina.docker, [...pushed, image.ref, image.baseRef]).catch(() => undefined);
      await server?.stop();
      temp.remove();
    });

    it('logs in with password and 2FA code: a CLI token lands in DOCKER_CONFIG (mode 0600, announced), and docker pushes with it', async () => {
      const r = await cli('tina', ['login', server.url, '-u', tina, '--password-stdin', '--otp', totp.generate()], { input: `${tinaPassword}\n` });
      expect(r.code, r.stderr).toBe(0);
      expect(r.stderr).toMatch(/unencrypted in .*config\.json \(mode 0600\)/);
      const file = path.join(dirs.tina.docker, 'config.json');
      expect(statSync(file).mode & 0o777).toBe(0o600);
      const auth = Buffer.from(JSON.parse(readFileSync(file, 'utf8')).auths[server.host].auth, 'base64').toString();
      expect(auth.startsWith(`${tina}:`)).toBe(true);
      const tokens = await callApi(server.url, 'GET', '/api/auth/tokens', undefined, await tinaBearer());
      expect(tokens.json.tokens.filter((t: { name: string; revokedAt: string | null }) => t.name.startsWith('docksphere CLI') && t.revokedAt === null)).toHaveLength(1);
      const ref = `${server.host}/${tina}/cli-app:v1`;
      await docker(dirs.tina.docker, ['tag', image.ref, ref]);
      pushed.push(ref);
      await docker(dirs.tina.docker, ['push', ref]);
      const tags = await api('GET', `/api/repositories/${encodeURIComponent(`${tina}/cli-app`)}/tags`);
      expect(tags.json.items.map((t: { tag: string }) => t.tag)).toContain('v1');
    });

    it('without the 2FA code off a terminal it refuses with a usage error and stores nothing', async () => {
      const r = await cli('tina', ['login', server.url, '-u', tina, '--password-stdin', '--server', server.url], { input: tinaPassword, env: { DOCKER_CONFIG: path.join(temp.dir, 'unused') } });
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(/--otp/);
    });

    it('with credsStore set, --password-stdin login goes to the docker-credential helper, and docker pushes through it', async () => {
      const r = await cli('admin', ['login', server.url, '-u', PLATFORM_ADMIN.username, '--password-stdin'], { input: PLATFORM_ADMIN.password });
      expect(r.code, r.stderr).toBe(0);
      expect(r.stderr).toMatch(/credential helper docker-credential-dsstub/);
      const config = JSON.parse(readFileSync(path.join(dirs.admin.docker, 'config.json'), 'utf8'));
      expect(config.auths[server.host]?.auth).toBeUndefined();
      const store = JSON.parse(readFileSync(path.join(dirs.helperBin, 'store.json'), 'utf8'));
      expect(store[server.host].Username).toBe(PLATFORM_ADMIN.username);
      expect(store[server.host].Secret).toMatch(/\S{20,}/);
      const ref = `${server.host}/admin/cli-helper:v1`;
      await docker(dirs.tina.docker, ['tag', image.ref, ref]);
      pushed.push(ref);
      await docker(dirs.admin.docker, ['push', ref], { env: { PATH: `${dirs.helperBin}:${process.env.PATH ?? ''}` } });
      const contexts = await cli('admin', ['context', 'ls', '--json']);
      expect(JSON.parse(contexts.stdout)).toEqual([expect.objectContaining({ name: server.host, server: server.url, username: 'admin', current: true, credentials: 'helper' })]);
    });

    it('repo, tag, org, team, grant commands: --json agrees with the API', async () => {
      expect((await adminJson(['status'])).api.ready).toBe(true);
      expect((await adminJson(['whoami'])).username).toBe('admin');
      expect((await adminJson(['org', 'create', org])).name).toBe(org);
      expect((await adminJson(['org', 'view', org])).name).toBe(org);
      expect((await adminJson(['org', 'ls'])).map((o: { name: string }) => o.name)).toContain(org);
      await adminOk(['org', 'member', 'add', org, tina]);
      expect((await adminJson(['org', 'member', 'ls', org])).map((m: { username: string }) => m.username).sort()).toEqual(['admin', tina].sort());
      expect((await adminJson(['team', 'create', org, 'devs'])).name).toBe('devs');
      await adminOk(['team', 'member', 'add', org, 'devs', tina]);
      expect((await api('GET', `/api/orgs/${org}/teams/devs/members`)).json.items.map((m: { username: string }) => m.username)).toContain(tina);
      expect((await adminJson(['team', 'ls', org]))[0]).toMatchObject({ name: 'devs', memberCount: 1 });
      const repo = `${org}/api`;
      expect((await adminJson(['repo', 'create', repo, '--description', 'made by the CLI'])).visibility).toBe('private');
      expect((await adminJson(['repo', 'edit', repo, '--visibility', 'public'])).visibility).toBe('public');
      expect((await api('GET', `/api/repositories/${encodeURIComponent(repo)}`)).json.visibility).toBe('public');
      expect((await adminJson(['repo', 'view', repo])).description).toBe('made by the CLI');
      expect((await adminJson(['repo', 'ls', '--namespace', org])).map((r: { name: string }) => r.name)).toEqual([repo]);
      const grant = await adminJson(['grant', 'add', repo, '--team', 'devs', '--level', 'write']);
      const grants = await adminJson(['grant', 'ls', repo]);
      expect(grants.map((g: { id: string }) => g.id)).toContain(grant.id ?? grant.grant?.id);
      await adminOk(['grant', 'rm', repo, grants[0].id, '--yes']);
      expect((await api('GET', `/api/repositories/${encodeURIComponent(repo)}/grants`)).json.items).toHaveLength(grants.length - 1);
      await adminOk(['team', 'member', 'rm', org, 'devs', tina, '--yes']);
      await adminOk(['team', 'rm', org, 'devs', '--yes']);
      expect((await api('GET', `/api/orgs/${org}/teams/devs`)).status).toBe(404);

      const pushedRepo = `${tina}/cli-app`;
      const tags = await adminJson(['tag', 'ls', pushedRepo]);
      expect(tags.map((t: { tag: string }) => t.tag)).toEqual(['v1']);
      const view = await adminJson(['tag', 'view', `${pushedRepo}:v1`]);
      expect(view.digest).toBe(tags[0].digest);
      expect(view.layers).toHaveLength(image.diffIds.length);
      expect(view.config.rootfs.diff_ids).toEqual(image.diffIds);
      expect((await adminJson(['tag', 'history', `${pushedRepo}:v1`]))[0]).toMatchObject({ tag: 'v1', action: 'pushed', digest: view.digest });
      const jq = await cli('admin', ['tag', 'ls', pushedRepo, '--jq', '.[].tag'], { env: { DOCKSPHERE_TOKEN: adminBearer } });
      expect(jq.stdout.trim()).toBe('"v1"');
      const tsv = await cli('admin', ['tag', 'ls', pushedRepo], { env: { DOCKSPHERE_TOKEN: adminBearer } });
      expect(tsv.stdout.split('\n')[0]?.split('\t').slice(0, 2)).toEqual(['v1', view.digest]);
    });

    it('destructive commands without --yes off a terminal exit 2 and change nothing', async () => {
      const repo = `${tina}/cli-app`;
      for (const args of [['repo', 'rm', repo], ['tag', 'rm', `${repo}:v1`], ['org', 'rm', org], ['repo', 'transfer', repo, org], ['user', 'rm', tina], ['user', 'disable', tina]]) {
        const r = await cli('admin', args, { env: { DOCKSPHERE_TOKEN: adminBearer } });
        expect(r.code, args.join(' ')).toBe(2);
        expect(r.stderr).toMatch(/--yes/);
      }
      expect((await api('GET', `/api/repositories/${encodeURIComponent(repo)}/tags`)).json.items).toHaveLength(1);
      expect((await api('GET', `/api/orgs/${org}`)).status).toBe(200);
      expect((await api('GET', `/api/auth/admin/users`)).json.items.find((u: { username: string }) => u.username === tina).disabled).toBe(false);
    });

    it('token, robot, webhook, docs, audit and user commands: --json agrees with the API', async () => {
      const created = await adminJson(['token', 'create', 'cli-e2e', '--scopes', 'pull,push']);
      expect(created.token).toMatch(/\S{20,}/);
      const listed = await adminJson(['token', 'ls']);
      expect(listed.find((t: { id: string }) => t.id === created.accessToken.id)).toMatchObject({ name: 'cli-e2e', scopes: ['pull', 'push'] });
      await adminOk(['token', 'revoke', created.accessToken.id, '--yes']);
      expect((await api('GET', '/api/auth/tokens')).json.tokens.find((t: { id: string }) => t.id === created.accessToken.id).revokedAt).not.toBeNull();

      const robot = await adminJson(['robot', 'create', org, 'ci', '--repositories', `${org}/api`, '--actions', 'pull']);
      expect(robot.robot.login).toBe(`${org}+ci`);
      const rotated = await adminJson(['robot', 'rotate', org, 'ci', '--yes']);
      expect(rotated.token).not.toBe(robot.token);
      expect(rotated.robot.repositories).toEqual([`${org}/api`]);
      expect((await adminJson(['robot', 'ls', org])).map((r: { login: string }) => r.login)).toEqual([`${org}+ci`]);
      await adminOk(['robot', 'rm', org, 'ci', '--yes']);
      expect((await api('GET', `/api/auth/namespaces/${org}/robots`)).json.robots).toHaveLength(0);

      const port = await freePort();
      const hook = await adminJson(['webhook', 'create', '--url', `http://127.0.0.1:${port}/hook`, '--scope', 'namespace', '--target', org, '--events', 'pushed,deleted']);
      const hookId = hook.webhook?.id ?? hook.id;
      expect((await adminJson(['webhook', 'ls', '--scope', 'namespace', '--target', org])).map((h: { id: string }) => h.id)).toEqual([hookId]);
      await adminJson(['webhook', 'ping', hookId]);
      const deliveries = await adminJson(['webhook', 'deliveries', hookId]);
      expect(deliveries.length).toBeGreaterThanOrEqual(1);
      await adminJson(['webhook', 'redeliver', hookId, deliveries[0].id]);
      await adminOk(['webhook', 'rm', hookId, '--yes']);
      expect((await api('GET', `/api/webhooks/${hookId}`)).status).toBe(404);

      await adminOk(['docs', 'put', `${org}/api`], '# API\n\nMade by the CLI.\n');
      expect((await api('GET', `/api/repositories/${encodeURIComponent(`${org}/api`)}/docs`)).json.markdown).toBe('# API\n\nMade by the CLI.\n');
      expect((await adminOk(['docs', 'get', `${org}/api`])).stdout).toBe('# API\n\nMade by the CLI.\n');

      const entries = await adminJson(['audit', 'ls', '--namespace', org, '--limit', '50']);
      expect(entries.map((e: { action: string }) => e.action)).toContain('metadata.repository.created');
      const exported = (await adminOk(['audit', 'export', '--namespace', org])).stdout.trim().split('\n');
      expect(exported.length).toBeGreaterThanOrEqual(entries.length);
      expect((await adminJson(['audit', 'verify'])).ok).toBe(true);

      const bob = `bob${suffix}`;
      await adminOk(['user', 'create', bob, '--email', `${bob}@example.test`, '--password-stdin'], 'bob-e2e-password\n');
      expect((await adminJson(['user', 'ls'])).map((u: { username: string }) => u.username)).toContain(bob);
      await adminOk(['user', 'admin', bob]);
      await adminOk(['user', 'disable', bob, '--yes']);
      const bobRow = (await api('GET', '/api/auth/admin/users')).json.items.find((u: { username: string }) => u.username === bob);
      expect(bobRow).toMatchObject({ admin: true, disabled: true });
      await adminOk(['user', 'rm', bob, '--yes']);
      expect((await api('GET', '/api/auth/admin/users')).json.items.map((u: { username: string }) => u.username)).not.toContain(bob);

      await adminOk(['repo', 'transfer', `${org}/api`, tina, '--yes']);
      expect((await api('GET', `/api/repositories/${encodeURIComponent(`${tina}/api`)}`)).status).toBe(200);
      await adminOk(['tag', 'rm', `${tina}/cli-app:v1`, '--yes']);
      expect((await api('GET', `/api/repositories/${encodeURIComponent(`${tina}/cli-app`)}/tags`)).json.items).toHaveLength(0);
      await adminOk(['repo', 'rm', `${tina}/api`, '--yes']);
      await adminOk(['org', 'rm', org, '--yes']);
      expect((await api('GET', `/api/orgs/${org}`)).status).toBe(404);
    });

    it('wrong server, bad token, denied and not found exit with 5, 4, 4 and 3 and say why', async () => {
      const closed = `http://127.0.0.1:${await freePort()}`;
      const down = await cli('admin', ['repo', 'ls', '--server', closed], { env: { DOCKSPHERE_TOKEN: 'x' } });
      expect(down.code).toBe(5);
      expect(down.stderr).toMatch(/cannot reach/);
      const bad = await cli('admin', ['repo', 'ls', '--server', server.url], { env: { DOCKSPHERE_TOKEN: 'not-a-token' } });
      expect(bad.code).toBe(4);
      const denied = await cli('tina', ['user', 'ls'], { env: { DOCKSPHERE_TOKEN: await tinaBearer() } });
      expect(denied.code).toBe(4);
      const missing = await cli('admin', ['repo', 'view', 'nobody/nothing'], { env: { DOCKSPHERE_TOKEN: adminBearer } });
      expect(missing.code).toBe(3);
      expect(missing.stderr).toMatch(/not found/i);
      const usage = await cli('admin', ['repo', 'frobnicate']);
      expect(usage.code).toBe(2);
    });

    // Revoking on the server needs the stored token to be accepted on /api (Bearer personal access
    // tokens); until the server takes it, logout says it could not revoke and still forgets it.
    it('logout erases the token from the helper and forgets the context', async () => {
      const store = () => JSON.parse(readFileSync(path.join(dirs.helperBin, 'store.json'), 'utf8'));
      expect(store()[server.host]).toBeDefined();
      const r = await cli('admin', ['logout']);
      expect(r.code, r.stderr).toBe(0);
      expect(r.stderr).toMatch(/revoke/i);
      expect(store()[server.host]).toBeUndefined();
      expect(JSON.parse((await cli('admin', ['context', 'ls', '--json'])).stdout)).toEqual([]);
    });
  });
}

describe('docksphere CLI packaging', () => {
  it('npm pack of apps/cli gives a tarball that npm install -g takes and runs without the workspace', async () => {
    const temp = makeTempDir('e2e-cli-pack');
    try {
      cliBundle();
      const packed = await run('npm', ['pack', '--pack-destination', temp.dir, '--json'], { cwd: path.join(repoRoot, 'apps/cli') });
      expect(packed.code, packed.stderr).toBe(0);
      const [info] = JSON.parse(packed.stdout) as { filename: string; files: { path: string }[] }[];
      expect(info?.files.map((f) => f.path).sort()).toEqual(['dist/main.mjs', 'package.json']);
      const prefix = path.join(temp.dir, 'prefix');
      const installed = await run('npm', ['install', '-g', '--offline', '--prefix', prefix, path.join(temp.dir, info?.filename ?? '')], { cwd: temp.dir });
      expect(installed.code, installed.stderr).toBe(0);
      const version = await run(path.join(prefix, 'bin', 'docksphere'), ['--version'], { cwd: temp.dir });
      expect(version.stdout.trim()).toBe(JSON.parse(readFileSync(path.join(repoRoot, 'apps/cli/package.json'), 'utf8')).version);
      const jq = await run(path.join(prefix, 'bin', 'docksphere'), ['context', 'ls', '--jq', 'length'], { cwd: temp.dir, env: { ...process.env, DOCKSPHERE_CONFIG_DIR: path.join(temp.dir, 'cfg') } });
      expect(jq.stdout.trim()).toBe('0');
    } finally {
      temp.remove();
    }
  });
});
