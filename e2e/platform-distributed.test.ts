// The whole distributed mode end to end with the real docker CLI: auth, metadata, hooks and two registry
// replicas behind NGINX on real Postgres, NATS JetStream and Redis. The admin logs in through the API,
// docker logs in, pushes and pulls through NGINX; the audit trail shows the login and the push; a
// repository webhook receives the push signed; a private repository does not exist for an outsider;
// anonymous pulls of a public one work; a push while NATS is down, or while hooks is down, is
// recorded and delivered exactly once after it is back; loopback and metadata targets are refused.
import { createHmac, timingSafeEqual } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ensureDockerd, hasCommand, makeTempDir, postgresBinDir, requireServer, waitUntil } from '@docksphere/infra';
import { PLATFORM_ADMIN, startPlatform, type RunningPlatform } from './harness/platform.ts';
import { run } from './harness/run.ts';
import { buildTestImage, docker, type TestImage } from './harness/test-image.ts';
import { consoleLogin as login, expectStatus, platformApi } from './harness/platform-api.ts';

const available =
  requireServer('docker', hasCommand('docker') && hasCommand('dockerd')) &&
  requireServer('PostgreSQL', postgresBinDir() !== undefined) &&
  requireServer('nats-server', hasCommand('nats-server')) &&
  requireServer('redis-server', hasCommand('redis-server')) &&
  requireServer('nginx', hasCommand('nginx'));

const OUTSIDER = { username: 'olive', password: 'olive-e2e-password' };

interface Delivery {
  headers: http.IncomingHttpHeaders;
  body: string;
  payload: { event: { id: string; type: string }; repository: string | null; data: { tag?: string } };
}

describe.skipIf(!available)('distributed platform behind NGINX (docker CLI)', () => {
  const temp = makeTempDir('platform-e2e');
  const configDir = path.join(temp.dir, 'docker-config');
  let platform: RunningPlatform | undefined;
  let image: TestImage;
  let adminBearer = '';
  let receiver: http.Server | undefined;
  let receiverPort = 0;
  let webhookSecret = '';
  const received: Delivery[] = [];
  const refs = new Set<string>();

  afterEach((ctx) => {
    if (platform && ctx.task.result?.state === 'fail') console.error(`--- platform logs for "${ctx.task.name}"\n${platform.logs()}`);
  });

  const api = (bearer?: string) => platformApi(platform!.url, bearer);
  const consoleLogin = (username: string, password: string) => login(platform!.url, username, password);
  const dockerRun = (args: string[], input?: string) => run('docker', args, { input, env: { ...process.env, DOCKER_CONFIG: configDir } });
  const remote = (repo: string) => {
    const ref = `${platform!.host}/${repo}`;
    refs.add(ref);
    return ref;
  };
  async function dockerLogin(username: string, password: string): Promise<void> {
    const login = await docker(configDir, ['login', platform!.host, '-u', username, '--password-stdin'], { input: password });
    expect(login.stdout).toContain('Login Succeeded');
  }
  async function push(repoTag: string): Promise<string> {
    const ref = remote(repoTag);
    await docker(configDir, ['tag', image.ref, ref]);
    const r = await dockerRun(['push', ref]);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    return /digest: (sha256:[0-9a-f]{64})/.exec(r.stdout)![1]!;
  }
  async function freshPull(repoTag: string): Promise<{ code: number; out: string }> {
    const ref = remote(repoTag);
    await dockerRun(['rmi', ref]);
    const r = await dockerRun(['pull', ref]);
    return { code: r.code, out: r.stdout + r.stderr };
  }
  async function auditEntries(filter: { repository?: string; action?: string }) {
    return (await expectStatus(api(adminBearer).GET('/api/audit/entries', { params: { query: { limit: 500, ...filter } } }), 200)).items;
  }
  const pushEntries = async (repo: string, tag: string) => (await auditEntries({ repository: repo, action: 'registry.manifest.pushed' })).filter((e) => e.target === `${repo}:${tag}`);
  const pushDeliveries = (repo: string, tag: string) => received.filter((d) => d.payload.event.type === 'registry.manifest.pushed' && d.payload.repository === repo && d.payload.data.tag === tag);

  /** The receiver's check: t=<seconds>,v1=HMAC-SHA256(secret, "<t>.<body>") and a fresh timestamp. */
  function validSignature(d: Delivery): boolean {
    const header = d.headers['x-docksphere-signature'];
    const m = typeof header === 'string' ? /^t=(\d+),v1=([0-9a-f]{64})$/.exec(header) : null;
    if (!m) return false;
    if (Math.abs(Date.now() / 1000 - Number(m[1])) > 300) return false;
    const expected = Buffer.from(createHmac('sha256', webhookSecret).update(`${m[1]}.${d.body}`).digest('hex'));
    return timingSafeEqual(expected, Buffer.from(m[2]!));
  }

  /** Waits for one audit entry and one delivery of the push of repo:tag, then checks that no duplicate follows. */
  async function expectRecordedOnce(repo: string, tag: string, digest: string): Promise<void> {
    await waitUntil(`the audit entry of ${repo}:${tag}`, async () => (await pushEntries(repo, tag)).length > 0, { timeoutMs: 60_000 });
    await waitUntil(`the webhook delivery of ${repo}:${tag}`, async () => pushDeliveries(repo, tag).length > 0, { timeoutMs: 60_000 });
    // Redelivered events would show up within the consumers' ack/redelivery cycle: give them a moment.
    await new Promise((r) => setTimeout(r, 2_000));
    const entries = await pushEntries(repo, tag);
    expect(entries).toHaveLength(1);
    expect(entries[0]!.details).toMatchObject({ digest });
    const deliveries = pushDeliveries(repo, tag);
    expect(deliveries).toHaveLength(1);
    expect(validSignature(deliveries[0]!)).toBe(true);
  }

  beforeAll(async () => {
    await ensureDockerd();
    receiver = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const body = Buffer.concat(chunks).toString('utf8');
        try {
          received.push({ headers: req.headers, body, payload: JSON.parse(body) as Delivery['payload'] });
        } catch {
          // Not a webhook body: counted by nothing, the assertions look for pushes only.
        }
        res.writeHead(204).end();
      });
    });
    await new Promise<void>((resolve) => receiver!.listen(0, '127.0.0.1', resolve));
    receiverPort = (receiver.address() as AddressInfo).port;
    [platform, image] = await Promise.all([
      startPlatform({ registryReplicas: 2, hooksEnv: { WEBHOOK_ALLOWLIST: '127.0.0.1/32', WEBHOOK_BACKOFF_BASE_MS: '200', WEBHOOK_BACKOFF_MAX_MS: '1000' } }),
      buildTestImage(configDir, path.join(temp.dir, 'build'), 'platform', 64 * 1024),
    ]);
    adminBearer = await consoleLogin(PLATFORM_ADMIN.username, PLATFORM_ADMIN.password);
    await expectStatus(api(adminBearer).POST('/api/auth/admin/users', { body: { username: OUTSIDER.username, email: 'olive@example.test', password: OUTSIDER.password } }), 201);
    // Metadata learns users from auth's events over NATS.
    await waitUntil('metadata knows the admin and the outsider', async () => (await api().GET('/api/users/{username}', { params: { path: { username: OUTSIDER.username } } })).response.ok && (await api().GET('/api/users/{username}', { params: { path: { username: PLATFORM_ADMIN.username } } })).response.ok, {
      timeoutMs: 30_000,
    });
    const admin = api(adminBearer);
    await expectStatus(admin.POST('/api/repositories', { body: { name: 'admin/app', visibility: 'public', description: 'public app' } }), 201);
    await expectStatus(admin.POST('/api/repositories', { body: { name: 'admin/secret', visibility: 'private', description: 'private app' } }), 201);
    const hook = await expectStatus(admin.POST('/api/webhooks', { body: { url: `http://127.0.0.1:${receiverPort}/hook`, scope: 'repository', target: 'admin/app', events: ['pushed'] } }), 201);
    webhookSecret = hook.secret;
    expect(webhookSecret.length).toBeGreaterThan(16);
  }, 240_000);

  afterAll(async () => {
    for (const ref of refs) await dockerRun(['rmi', ref]);
    if (image) await dockerRun(['rmi', image.ref, image.baseRef]);
    await platform?.stop();
    if (receiver) await new Promise((r) => receiver!.close(r));
    temp.remove();
  });

  it('docker login, push and pull through NGINX; the audit trail shows the login and the push; the webhook is signed', async () => {
    await dockerLogin(PLATFORM_ADMIN.username, PLATFORM_ADMIN.password);
    const digest = await push('admin/app:v1');
    const pulled = await freshPull('admin/app:v1');
    expect(pulled.code, pulled.out).toBe(0);
    expect(pulled.out).toContain(digest);
    const inspected = await docker(configDir, ['image', 'inspect', remote('admin/app:v1'), '--format', '{{json .RootFS.Layers}}']);
    expect(JSON.parse(inspected.stdout)).toEqual(image.diffIds);

    await waitUntil('the docker login in the audit trail', async () => (await auditEntries({ action: 'auth.user.login' })).some((e) => e.actor.name === PLATFORM_ADMIN.username && e.details.channel === 'docker'), {
      timeoutMs: 30_000,
    });
    await expectRecordedOnce('admin/app', 'v1', digest);
    const delivery = pushDeliveries('admin/app', 'v1')[0]!;
    expect(delivery.payload).toMatchObject({ version: 1, repository: 'admin/app', data: { digest, tag: 'v1' } });
  });

  it('a private repository does not exist for an outsider; anonymous pulls of a public one work', async () => {
    await dockerLogin(PLATFORM_ADMIN.username, PLATFORM_ADMIN.password);
    await push('admin/secret:v1');
    await docker(configDir, ['logout', platform!.host]);

    await dockerLogin(OUTSIDER.username, OUTSIDER.password);
    const hidden = await freshPull('admin/secret:v1');
    expect(hidden.code).not.toBe(0);
    expect(hidden.out).toMatch(/pull access denied for [^ ]*admin\/secret, repository does not exist/);
    await docker(configDir, ['logout', platform!.host]);

    const anonymousPrivate = await freshPull('admin/secret:v1');
    expect(anonymousPrivate.code).not.toBe(0);
    expect(anonymousPrivate.out).toMatch(/repository does not exist/);
    const anonymousPublic = await freshPull('admin/app:v1');
    expect(anonymousPublic.code, anonymousPublic.out).toBe(0);
  });

  it('a push while NATS is down is recorded and delivered exactly once after NATS is back', async () => {
    await dockerLogin(PLATFORM_ADMIN.username, PLATFORM_ADMIN.password);
    await platform!.nats.stop();
    const digest = await push('admin/app:nats-down');
    await platform!.nats.start();
    await expectRecordedOnce('admin/app', 'nats-down', digest);

    // NATS taken away while docker is pushing: wherever the stop lands, the outcome is the same.
    const pushing = push('admin/app:nats-mid-push');
    await platform!.nats.stop();
    const midDigest = await pushing;
    await platform!.nats.start();
    await expectRecordedOnce('admin/app', 'nats-mid-push', midDigest);
  });

  it('a push while hooks is down is caught up exactly once after hooks restarts', async () => {
    await dockerLogin(PLATFORM_ADMIN.username, PLATFORM_ADMIN.password);
    await platform!.hooks.stop();
    const digest = await push('admin/app:hooks-down');
    await platform!.hooks.start();
    await expectRecordedOnce('admin/app', 'hooks-down', digest);
  });

  it('refuses webhooks aimed at loopback or link-local addresses outside the allowlist', async () => {
    for (const url of ['http://169.254.169.254/latest/meta-data/', 'http://127.0.0.2:8080/hook', 'http://[::1]:8080/hook']) {
      const r = await api(adminBearer).POST('/api/webhooks', { body: { url, scope: 'repository', target: 'admin/app', events: ['pushed'] } });
      expect(r.response.status, `${url}: ${JSON.stringify(r.error ?? r.data)}`).toBe(400);
      expect(r.error?.error.code).toBe('VALIDATION_FAILED');
    }
    const list = await expectStatus(api(adminBearer).GET('/api/webhooks', { params: { query: { scope: 'repository', target: 'admin/app' } } }), 200);
    expect(list.items.map((w) => w.url)).toEqual([`http://127.0.0.1:${receiverPort}/hook`]);
  });
});
