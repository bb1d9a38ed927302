// The hooks service as it runs in the distributed mode: its bundled main against real Postgres,
// NATS JetStream and Redis, console tokens checked against a JWKS URL. Events published to the
// stream become audit entries and signed webhook deliveries; events published while the process
// is stopped are caught up after it restarts, exactly once.
import http from 'node:http';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import { connectNatsBus, newEvent, type NatsJetStreamBus } from '@docksphere/events';
import { freePort, hasCommand, makeTempDir, postgresBinDir, requireServer, startNats, startPostgres, startRedis, type RunningNats, type RunningPostgres, type RunningRedis } from '@docksphere/infra';
import { startNodeService, type RunningNodeService } from './harness/node-service.ts';
import { repoRoot } from './harness/paths.ts';
import { expectStatus, platformApi } from './harness/platform-api.ts';

const available = requireServer('PostgreSQL', postgresBinDir() !== undefined) && requireServer('nats-server', hasCommand('nats-server')) && requireServer('redis-server', hasCommand('redis-server'));
const ISSUER = 'docksphere-auth';

describe.skipIf(!available)('hooks service (distributed main)', () => {
  let postgres: RunningPostgres;
  let nats: RunningNats;
  let redis: RunningRedis;
  let bus: NatsJetStreamBus;
  let hooks: RunningNodeService | undefined;
  let port: number;
  const temp = makeTempDir('e2e-hooks');
  const servers: http.Server[] = [];
  const received: { headers: http.IncomingHttpHeaders; body: string }[] = [];
  let receiverPort = 0;
  let jwksUrl = '';
  let adminToken = '';

  async function listen(handler: http.RequestListener): Promise<number> {
    const server = http.createServer(handler);
    servers.push(server);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return (server.address() as AddressInfo).port;
  }

  async function startHooks(): Promise<void> {
    hooks = await startNodeService({
      name: 'hooks',
      bundle: path.join(repoRoot, 'services/hooks/dist/main.mjs'),
      port,
      readyPath: '/healthz',
      logFile: path.join(temp.dir, 'hooks.log'),
      env: {
        HOST: '127.0.0.1',
        PORT: String(port),
        DATABASE_URL: postgres.url,
        NATS_URL: nats.url,
        REDIS_URL: redis.url,
        AUTH_JWKS_URL: jwksUrl,
        AUTH_ISSUER: ISSUER,
        WEBHOOK_ALLOWLIST: '127.0.0.1/32',
        WEBHOOK_BACKOFF_BASE_MS: '100',
        WEBHOOK_BACKOFF_MAX_MS: '500',
        LOG_LEVEL: 'warn',
      },
    });
  }

  const api = () => platformApi(`http://127.0.0.1:${port}`, adminToken);
  const teamAppEntries = async (limit?: number) => (await expectStatus(api().GET('/api/audit/entries', { params: { query: { repository: 'team/app', limit } } }), 200)).items;

  async function until<T>(what: string, check: () => Promise<T | false>): Promise<T> {
    const deadline = Date.now() + 60_000;
    for (;;) {
      const v = await check();
      if (v !== false) return v;
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}\n${hooks?.logs() ?? ''}`);
      await new Promise((r) => setTimeout(r, 200));
    }
  }

  beforeAll(async () => {
    const buildError = inject('buildError');
    if (buildError) throw new Error(buildError);
    [postgres, nats, redis] = await Promise.all([startPostgres(), startNats(), startRedis()]);
    bus = await connectNatsBus({ servers: nats.url, name: 'e2e-publisher' });
    const { privateKey, publicKey } = await generateKeyPair('ES256');
    const jwks = JSON.stringify({ keys: [{ ...(await exportJWK(publicKey)), kid: 'e2e', alg: 'ES256', use: 'sig' }] });
    jwksUrl = `http://127.0.0.1:${await listen((_req, res) => res.writeHead(200, { 'content-type': 'application/json' }).end(jwks))}/auth/jwks`;
    adminToken = await new SignJWT({ sid: crypto.randomUUID(), username: 'admin', admin: true })
      .setProtectedHeader({ alg: 'ES256', kid: 'e2e' })
      .setIssuer(ISSUER)
      .setAudience('docksphere-console')
      .setSubject('u-admin')
      .setIssuedAt()
      .setExpirationTime('30m')
      .sign(privateKey);
    receiverPort = await listen((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        received.push({ headers: req.headers, body: Buffer.concat(chunks).toString('utf8') });
        res.writeHead(204).end();
      });
    });
    port = await freePort();
    await startHooks();
  });

  afterAll(async () => {
    await hooks?.stop();
    await bus?.close();
    for (const s of servers) await new Promise((r) => s.close(r));
    await Promise.all([postgres?.stop(), nats?.stop(), redis?.stop()]);
    temp.remove();
  });

  const push = (repository: string, tag: string) =>
    newEvent('registry.manifest.pushed', { subject: 'user:u-1', name: 'alice', ip: '203.0.113.5', userAgent: 'docker/27' }, { repository, digest: `sha256:${'e'.repeat(64)}`, mediaType: 'application/vnd.oci.image.manifest.v1+json', size: 100, tag });

  it('turns a pushed event into an audit entry and a signed webhook delivery', async () => {
    expect((await fetch(`http://127.0.0.1:${port}/api/audit/entries`)).status).toBe(401);
    await expectStatus(api().POST('/api/webhooks', { body: { url: `http://127.0.0.1:${receiverPort}/hook`, scope: 'namespace', target: 'team', events: ['pushed'] } }), 201);
    const e = push('team/app', 'v1');
    await bus.publish(e);
    const entry = await until('the audit entry', async () => (await teamAppEntries()).find((x) => x.id === e.id) ?? false);
    expect(entry).toMatchObject({ action: 'registry.manifest.pushed', target: 'team/app:v1', actor: { ip: '203.0.113.5', userAgent: 'docker/27' } });
    const delivery = await until('the delivery', async () => received.find((r) => JSON.parse(r.body).event.id === e.id) ?? false);
    expect(delivery.headers['x-docksphere-signature']).toMatch(/^t=\d+,v1=[0-9a-f]{64}$/);
    expect(await expectStatus(api().GET('/api/audit/verify'), 200)).toMatchObject({ ok: true });
  });

  it('catches up on events published while it was stopped, recording and delivering each once', async () => {
    await hooks!.stop();
    const events = [push('team/app', 'while-down-1'), push('team/app', 'while-down-2')];
    for (const e of events) await bus.publish(e);
    await startHooks();
    for (const e of events) await until(`delivery of ${e.payload.tag}`, async () => received.some((r) => JSON.parse(r.body).event.id === e.id));
    await new Promise((r) => setTimeout(r, 1_000));
    for (const e of events) {
      expect(received.filter((r) => JSON.parse(r.body).event.id === e.id)).toHaveLength(1);
      expect((await teamAppEntries(500)).filter((x) => x.id === e.id)).toHaveLength(1);
    }
  });
});
