// Starts DockSphere's distributed mode for e2e: a real Postgres and NATS (infra), the registry's
// own bundle (services/registry/dist/main.mjs) with filesystem storage and X-Accel blob serving,
// the token issuer, and NGINX in front rendered from nginx/nginx.conf. Clients talk to NGINX only.
import { mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { ACCEL_PREFIX, freePort, makeTempDir, renderFront, startNats, startNginx, startPostgres, type RunningNginx } from '@docksphere/infra';
import { authEnv } from './all-in-one.ts';
import type { RegistryAuthFixture } from './auth-fixture.ts';
import { startNodeService, type RunningNodeService } from './node-service.ts';
import { bundles, requireBundle } from './paths.ts';
import type { RegistryUnderTest } from './registry-under-test.ts';
import { startTestTokenServer } from './test-token-server.ts';

export { ACCEL_PREFIX } from '@docksphere/infra';

export interface DistributedOptions {
  auth?: RegistryAuthFixture;
  /** Registry processes behind NGINX sharing one database and storage dir (default 1). */
  registryReplicas?: number;
  env?: Record<string, string>;
}

export interface RunningDistributed extends RegistryUnderTest {
  nginx: RunningNginx;
  registries: RunningNodeService[];
  databaseUrl: string;
}

export async function startDistributed(opts: DistributedOptions = {}): Promise<RunningDistributed> {
  const bundle = requireBundle(bundles.registry);
  const temp = makeTempDir('dist');
  const stops: (() => Promise<void>)[] = [async () => temp.remove()];
  const stopAll = async () => {
    for (const stop of stops.reverse()) await stop().catch(() => undefined);
  };
  try {
    const auth = opts.auth ?? (await startTestTokenServer({ keyDir: temp.dir }));
    if (!opts.auth) stops.push(() => auth.stop());
    const pg = await startPostgres();
    stops.push(() => pg.stop());
    const nats = await startNats();
    stops.push(() => nats.stop());

    const nginxPort = await freePort();
    const publicUrl = `http://127.0.0.1:${nginxPort}`;
    const dataDir = path.join(temp.dir, 'data');
    const storageDir = path.join(temp.dir, 'storage');
    mkdirSync(storageDir, { recursive: true });

    const registries: RunningNodeService[] = [];
    for (let i = 0; i < (opts.registryReplicas ?? 1); i++) {
      const port = await freePort();
      const env: Record<string, string> = {
        HOST: '127.0.0.1',
        PORT: String(port),
        PUBLIC_URL: publicUrl,
        DATA_DIR: dataDir,
        DATABASE_URL: pg.url,
        NATS_URL: nats.url,
        STORAGE_DRIVER: 'filesystem',
        STORAGE_DIR: storageDir,
        STORAGE_ACCEL_PREFIX: ACCEL_PREFIX,
        INTERNAL_SECRET: 'e2e-internal-secret',
        // NGINX, the only hop whose X-Forwarded-For is believed.
        TRUSTED_PROXIES: '127.0.0.1',
        LOG_LEVEL: 'info',
        ...authEnv(auth, publicUrl),
        ...opts.env,
      };
      const registry = await startNodeService({ name: `registry-${i}`, bundle, port, env, logFile: path.join(temp.dir, `registry-${i}.log`), readyPath: '/v2/' });
      stops.push(() => registry.stop());
      registries.push(registry);
    }

    // Services not started here get a port nothing listens on: NGINX answers 502 there.
    const nowhere = `127.0.0.1:${await freePort()}`;
    const nginx = await startNginx(
      (prefix) => renderFront(prefix, { port: nginxPort, registryPorts: registries.map((r) => r.port), auth: auth.upstream, metadata: nowhere, hooks: nowhere, web: nowhere, storageDir }),
      { port: nginxPort },
    );
    stops.push(() => nginx.stop());

    return {
      url: publicUrl,
      host: `127.0.0.1:${nginxPort}`,
      auth,
      dataDir,
      storageDir,
      nginx,
      registries,
      databaseUrl: pg.url,
      replicaUrls: registries.map((r) => r.url),
      frontAccessLog: () => readFileSync(path.join(nginx.prefix, 'logs', 'access.log'), 'utf8'),
      logs: () => [...registries.map((r) => `--- ${r.name}\n${r.logs()}`), `--- nginx error.log\n${nginx.errorLog()}`].join('\n'),
      stop: stopAll,
    };
  } catch (err) {
    await stopAll();
    throw err;
  }
}
