// The deployment as a user runs it: the root Dockerfile built on a Node base made here (no image can
// be pulled), run as the one-container deployment (docker push/pull against it, data surviving a
// restart, HTTPS with a test CA and a renewed certificate served without a restart), then
// docker-compose.yml with an override that swaps the third-party images for local stand-ins,
// pushed to and pulled from through the NGINX front, with the push reaching the audit trail.
import { randomBytes, X509Certificate } from 'node:crypto';
import { chmodSync, copyFileSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { networkInterfaces } from 'node:os';
import path from 'node:path';
import tls from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestCa, ensureDockerd, freePort, hasCommand, makeTempDir, waitUntil } from '@docksphere/infra';
import { buildDockSphereImage, ensureNodeBase, ensureStandIn, sizeAboveBase } from './harness/deploy-images.ts';
import { consoleLogin } from './harness/platform-api.ts';
import { repoRoot } from './harness/paths.ts';
import { run, runOk } from './harness/run.ts';
import { buildTestImage, docker, imageLayers, removeImages, type TestImage } from './harness/test-image.ts';

// Opt-in (E2E_DEPLOY=1) for now: a cold run (debootstrap, stand-ins, the image with the console's
// next build) takes 15+ minutes of the CI budget on a loaded machine; see e2e/README.md.
const enabled = process.env.E2E_DEPLOY === '1';
const available = hasCommand('docker') && hasCommand('debootstrap') && hasCommand('docker-compose');
if (enabled && !available && process.env.CI === 'true') throw new Error('the deployment suite needs docker, debootstrap and docker-compose (infra/install-system-deps.sh)');

const id = randomBytes(4).toString('hex');
const IMAGE = `docksphere-e2e/docksphere:${id}`;
const ADMIN_PASSWORD = `admin-${randomBytes(6).toString('hex')}`;
const temp = makeTempDir('ds-deploy-');
const dockerConfig = path.join(temp.dir, 'docker-config');
mkdirSync(dockerConfig, { recursive: true });
const cli = (args: string[], opts: { input?: string; timeoutMs?: number } = {}) => docker(dockerConfig, args, opts);
const cleanups: (() => Promise<unknown>)[] = [];

async function login(host: string): Promise<void> {
  await cli(['login', host, '-u', 'admin', '--password-stdin'], { input: ADMIN_PASSWORD });
}

/** Pushes the test image as host/admin/name:tag, removes it locally, pulls it back: the same image. */
async function pushAndPull(host: string, image: TestImage, name: string): Promise<string> {
  const ref = `${host}/admin/${name}:v1`;
  await cli(['tag', image.ref, ref]);
  await cli(['push', ref]);
  await removeImages(dockerConfig, [ref]);
  await cli(['pull', ref]);
  expect((await imageLayers(dockerConfig, ref)).diffIds).toEqual(image.diffIds);
  return ref;
}

async function waitHealthy(container: string): Promise<void> {
  await waitUntil(
    `${container} to be healthy`,
    async () => {
      const r = await run('docker', ['inspect', container, '--format', '{{.State.Status}} {{.State.Health.Status}}']);
      if (r.stdout.startsWith('exited')) throw new Error(`${container} exited:\n${(await run('docker', ['logs', '--tail', '50', container])).stderr}`);
      return r.stdout.trim() === 'running healthy';
    },
    { timeoutMs: 180_000, intervalMs: 1_000 },
  );
}

function servedCertificateSerial(host: string, port: number, ca: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = tls.connect({ host, port, ca, servername: undefined }, () => {
      const serial = socket.getPeerCertificate().serialNumber;
      socket.end();
      resolve(serial.toUpperCase());
    });
    socket.once('error', reject);
  });
}

/** This machine's first non-loopback IPv4 address: docker verifies TLS there (127.0.0.0/8 is "insecure"). */
function hostAddress(): string {
  for (const list of Object.values(networkInterfaces())) for (const a of list ?? []) if (a.family === 'IPv4' && !a.internal) return a.address;
  throw new Error('no non-loopback IPv4 address on this machine for the TLS test');
}

describe.skipIf(!enabled || !available)('deployment: the image, one container, Compose', () => {
  let testImage: TestImage;

  beforeAll(async () => {
    await ensureDockerd();
    const built = await buildDockSphereImage(IMAGE);
    cleanups.push(() => run('docker', ['rmi', '--force', IMAGE]));
    const base = await ensureNodeBase();
    // Reported, not asserted: what the Dockerfile adds above the Node base (production deps + bundles).
    console.log(`[deploy] ${IMAGE}: ${(built.sizeBytes / 1e6).toFixed(0)} MB, ${((await sizeAboveBase(IMAGE, base)) / 1e6).toFixed(0)} MB above the Node base`);
    testImage = await buildTestImage(dockerConfig, path.join(temp.dir, 'test-image'), `deploy-${id}`);
    cleanups.push(() => removeImages(dockerConfig, [testImage.ref, testImage.baseRef]));
  });

  afterAll(async () => {
    for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
    temp.remove();
  });

  it('builds a non-root image whose entry point runs all-in-one by default, with a HEALTHCHECK and no sources', async () => {
    const config = JSON.parse((await runOk('docker', ['image', 'inspect', IMAGE, '--format', '{{json .Config}}'])).stdout) as {
      User: string;
      Entrypoint: string[];
      Cmd: string[];
      Healthcheck?: { Test: string[] };
      ExposedPorts: Record<string, unknown>;
      Volumes: Record<string, unknown>;
    };
    expect(config.User).toBe('10001:10001');
    expect(config.Entrypoint).toEqual(['docksphere']);
    expect(config.Cmd).toEqual(['all-in-one']);
    expect(config.Healthcheck?.Test).toEqual(['CMD', 'docksphere', 'healthcheck']);
    expect(Object.keys(config.ExposedPorts)).toEqual(['5000/tcp']);
    expect(Object.keys(config.Volumes)).toEqual(['/data']);
    const listing = await runOk('docker', ['run', '--rm', '--network', 'none', '--entrypoint', 'sh', IMAGE, '-c', 'ls /app; ls /app/node_modules | wc -l; find /app -name "*.ts" -not -path "*/node_modules/*" | wc -l; test -e /app/node_modules/vitest && echo dev-deps || echo no-dev-deps']);
    const [appDirs, ...rest] = listing.stdout.trim().split('\n');
    expect(appDirs).toBeDefined();
    expect(rest.at(-1)).toBe('no-dev-deps');
    expect(Number(rest.at(-2))).toBe(0);
    const unknown = await run('docker', ['run', '--rm', '--network', 'none', IMAGE, 'serve', 'nothing']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('name a service: registry, auth, metadata or hooks');
  });

  it('runs as one container: docker push and pull against it, and the data survives a restart', async () => {
    const port = await freePort();
    const host = `127.0.0.1:${port}`;
    const container = `ds-e2e-aio-${id}`;
    const volume = `ds-e2e-data-${id}`;
    cleanups.push(() => run('docker', ['volume', 'rm', '--force', volume]));
    cleanups.push(() => run('docker', ['rm', '--force', container]));
    // This dockerd runs without a bridge: the container shares the host's network, bound to loopback.
    await runOk('docker', ['run', '-d', '--name', container, '--network', 'host', '-v', `${volume}:/data`, '-e', 'HOST=127.0.0.1', '-e', `PORT=${port}`, '-e', `ADMIN_PASSWORD=${ADMIN_PASSWORD}`, IMAGE]);
    await waitHealthy(container);
    expect((await fetch(`http://${host}/readyz`)).status).toBe(200);

    await login(host);
    const ref = await pushAndPull(host, testImage, 'one-container');

    await runOk('docker', ['restart', container]);
    await waitHealthy(container);
    await removeImages(dockerConfig, [ref]);
    // Same admin, same blobs and tags: all of it lives on the volume.
    await login(host);
    await cli(['pull', ref]);
    expect((await imageLayers(dockerConfig, ref)).diffIds).toEqual(testImage.diffIds);
    await removeImages(dockerConfig, [ref]);
    await run('docker', ['rm', '--force', container]);
  });

  it('serves HTTPS itself (TLS_CERT_FILE, TLS_KEY_FILE): docker trusting the test CA logs in, pushes and pulls; a renewed certificate is served without a restart', async () => {
    const address = hostAddress();
    const port = await freePort();
    const host = `${address}:${port}`;
    const certs = path.join(temp.dir, 'tls');
    mkdirSync(certs, { recursive: true });
    const ca = createTestCa(certs);
    const caPem = readFileSync(ca.caFile, 'utf8');
    const install = (issued: { certFile: string; keyFile: string }) => {
      // The image's user (uid 10001) reads the mounted files.
      copyFileSync(issued.keyFile, path.join(certs, 'tls.key'));
      copyFileSync(issued.certFile, path.join(certs, 'tls.crt'));
      chmodSync(path.join(certs, 'tls.key'), 0o644);
      chmodSync(path.join(certs, 'tls.crt'), 0o644);
    };
    install(ca.issue('first', [address]));
    // dockerd reads a registry's CA from certs.d at each connection.
    const certsD = path.join('/etc/docker/certs.d', host);
    mkdirSync(certsD, { recursive: true });
    copyFileSync(ca.caFile, path.join(certsD, 'ca.crt'));
    cleanups.push(async () => rmSync(certsD, { recursive: true, force: true }));

    const container = `ds-e2e-tls-${id}`;
    cleanups.push(() => run('docker', ['rm', '--force', container]));
    await runOk('docker', [
      'run', '-d', '--name', container, '--network', 'host', '-v', `${certs}:/certs:ro`,
      '-e', `HOST=${address}`, '-e', `PORT=${port}`, '-e', `ADMIN_PASSWORD=${ADMIN_PASSWORD}`,
      '-e', 'TLS_CERT_FILE=/certs/tls.crt', '-e', 'TLS_KEY_FILE=/certs/tls.key', '-e', `PUBLIC_URL=https://${host}`,
      IMAGE,
    ]);
    await waitHealthy(container);
    // The token realm follows PUBLIC_URL.
    const challenge = await fetchWithCa(`https://${host}/v2/`, caPem);
    expect(challenge.status).toBe(401);
    expect(challenge.authenticate).toContain(`realm="https://${host}/auth/token"`);

    await login(host);
    const ref = await pushAndPull(host, testImage, 'over-tls');
    await removeImages(dockerConfig, [ref]);

    const before = await servedCertificateSerial(address, port, caPem);
    const started = (await runOk('docker', ['inspect', container, '--format', '{{.State.StartedAt}}'])).stdout;
    const renewed = ca.issue('renewed', [address]);
    install(renewed);
    const expected = new X509Certificate(readFileSync(renewed.certFile)).serialNumber.toUpperCase();
    expect(expected).not.toBe(before);
    await waitUntil('the renewed certificate to be served', async () => (await servedCertificateSerial(address, port, caPem)) === expected, { timeoutMs: 60_000, intervalMs: 500 });
    expect((await runOk('docker', ['inspect', container, '--format', '{{.State.StartedAt}}'])).stdout).toBe(started);
    await cli(['pull', ref]);
    await removeImages(dockerConfig, [ref]);
    await run('docker', ['rm', '--force', container]);
  });

  it('runs docker-compose.yml: through the NGINX front docker pushes and pulls, the registry has two replicas, and the push reaches the audit trail', async () => {
    const images = {
      postgres: await ensureStandIn('postgres'),
      redis: await ensureStandIn('redis'),
      nats: await ensureStandIn('nats'),
      nginx: await ensureStandIn('nginx'),
      s3: await ensureStandIn('s3'),
      mc: await ensureStandIn('mc'),
    };
    const port = await freePort();
    const host = `127.0.0.1:${port}`;
    // A deployment directory as a user would have it: .env, secrets/, nginx/.
    const project = path.join(temp.dir, 'compose');
    mkdirSync(path.join(project, 'secrets'), { recursive: true });
    mkdirSync(path.join(project, 'nginx'), { recursive: true });
    copyFileSync(path.join(repoRoot, 'nginx/nginx.conf'), path.join(project, 'nginx/nginx.conf'));
    const signingKey = path.join(project, 'secrets/signing-key.pem');
    await runOk('openssl', ['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', signingKey]);
    chmodSync(signingKey, 0o644);
    writeFileSync(path.join(project, 'secrets/secrets.key'), `${randomBytes(32).toString('base64')}\n`, { mode: 0o644 });
    const env = readFileSync(path.join(repoRoot, '.env.example'), 'utf8')
      .replace(/^PUBLIC_URL=.*$/m, `PUBLIC_URL=http://${host}`)
      .replace(/^DOCKSPHERE_HTTP_ADDRESS=.*$/m, 'DOCKSPHERE_HTTP_ADDRESS=127.0.0.1')
      .replace(/^DOCKSPHERE_HTTP_PORT=.*$/m, `DOCKSPHERE_HTTP_PORT=${port}`)
      .replace(/^DOCKSPHERE_IMAGE=.*$/m, `DOCKSPHERE_IMAGE=${IMAGE}`)
      .replace(/^ADMIN_PASSWORD=.*$/m, `ADMIN_PASSWORD=${ADMIN_PASSWORD}`)
      .replace(/^INTERNAL_SECRET=.*$/m, `INTERNAL_SECRET=${randomBytes(16).toString('hex')}`)
      .replace(/^POSTGRES_PASSWORD=.*$/m, `POSTGRES_PASSWORD=${randomBytes(8).toString('hex')}`)
      // s3rver, standing in for MinIO, knows one access key.
      .replace(/^MINIO_ROOT_USER=.*$/m, 'MINIO_ROOT_USER=S3RVER')
      .replace(/^MINIO_ROOT_PASSWORD=.*$/m, 'MINIO_ROOT_PASSWORD=S3RVER');
    expect(env).not.toContain('set-me');
    writeFileSync(path.join(project, '.env'), env);
    const override = path.join(project, 'docker-compose.test.yml');
    writeFileSync(
      override,
      [
        '# The deployment suite: local stand-ins for the images nothing here can pull.',
        'services:',
        `  front: { image: "${images.nginx}" }`,
        `  postgres: { image: "${images.postgres}" }`,
        `  redis: { image: "${images.redis}" }`,
        `  nats: { image: "${images.nats}" }`,
        `  createbucket: { image: "${images.mc}" }`,
        '  minio:',
        `    image: "${images.s3}"`,
        '    healthcheck:',
        '      test: ["CMD", "node", "-e", "require(\'net\').connect(9000, \'127.0.0.1\').on(\'connect\', () => process.exit(0)).on(\'error\', () => process.exit(1))"]',
        '',
      ].join('\n'),
    );
    const projectName = `dse2e${id}`;
    const compose = (args: string[], timeoutMs = 600_000) =>
      runOk('docker-compose', ['--project-name', projectName, '--project-directory', project, '-f', path.join(repoRoot, 'docker-compose.yml'), '-f', override, ...args], { timeoutMs, cwd: project });
    cleanups.push(() => compose(['down', '--volumes', '--remove-orphans', '--timeout', '5']));

    const up = await compose(['up', '-d', '--no-build']).catch(async (err: Error) => {
      // The services that did not come up: their health log and their own last lines.
      const report: string[] = [err.message];
      for (const service of ['front', 'registry', 'auth', 'metadata', 'hooks', 'migrate', 'createbucket', 'postgres', 'nats', 'redis', 'minio']) {
        const containers = (await run('docker-compose', ['--project-name', projectName, '--project-directory', project, '-f', path.join(repoRoot, 'docker-compose.yml'), '-f', override, 'ps', '-q', service], { cwd: project })).stdout.trim().split('\n').filter(Boolean);
        for (const container of containers) {
          const state = (await run('docker', ['inspect', container, '--format', '{{.State.Status}} {{.State.ExitCode}} {{json .State.Health}}'])).stdout.trim();
          if (/^running 0 (null|\{"Status":"healthy")/.test(state) || /^exited 0/.test(state)) continue;
          const logs = await run('docker', ['logs', '--tail', '30', container]);
          report.push(`--- ${service} ${container.slice(0, 12)}: ${state.slice(0, 1500)}\n${(logs.stdout + logs.stderr).slice(-3000)}`);
        }
      }
      throw new Error(report.join('\n'));
    });
    expect(up.code).toBe(0);
    const ids = async (service: string) => (await compose(['ps', '-q', service])).stdout.trim().split('\n').filter(Boolean);
    expect(await ids('registry')).toHaveLength(2);
    const migrate = (await runOk('docker', ['inspect', (await ids('migrate'))[0]!, '--format', '{{.State.Status}} {{.State.ExitCode}}'])).stdout.trim();
    expect(migrate).toBe('exited 0');
    await waitUntil('the front', async () => (await fetch(`http://${host}/v2/`)).status === 401, { timeoutMs: 120_000, intervalMs: 1_000 });

    await login(host);
    const ref = await pushAndPull(host, testImage, 'through-compose');
    await removeImages(dockerConfig, [ref]);

    const token = await consoleLogin(`http://${host}`, 'admin', ADMIN_PASSWORD);
    const entry = await waitUntil('the push in the audit trail', async () => {
      const r = await fetch(`http://${host}/api/audit/entries?repository=admin/through-compose`, { headers: { authorization: `Bearer ${token}` } });
      const body = r.status === 200 ? ((await r.json()) as { items: { action: string; target: string }[] }) : { items: [] };
      return body.items.some((e) => e.action === 'registry.manifest.pushed' && e.target === 'admin/through-compose:v1');
    }, { timeoutMs: 60_000, intervalMs: 1_000 }).then(() => true);
    expect(entry).toBe(true);
  });
});

async function fetchWithCa(url: string, ca: string): Promise<{ status: number; authenticate: string }> {
  const https = await import('node:https');
  return new Promise((resolve, reject) => {
    https.get(url, { ca, agent: false }, (res) => {
      res.resume();
      resolve({ status: res.statusCode ?? 0, authenticate: String(res.headers['www-authenticate'] ?? '') });
    }).on('error', reject);
  });
}
