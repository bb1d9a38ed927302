// Starts the whole distributed platform for e2e: real Postgres, NATS JetStream and Redis, the bundled
// auth, metadata, hooks and registry mains (one process each, registry replicas optional), and NGINX
// in front with every public route. Each process can be stopped and started again on the same port
// with the same data, so tests can take one away in the middle of a flow and bring it back.
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import {
  ACCEL_PREFIX,
  freePort,
  makeTempDir,
  renderFront,
  startNginx,
  startPostgres,
  startNats,
  startRedis,
  type RunningNginx,
} from '@docksphere/infra';
import { startNodeService } from './node-service.ts';
import { repoRoot, requireBundle } from './paths.ts';

export const PLATFORM_ADMIN = { username: 'admin', password: 'e2e-admin-password' } as const;
const INTERNAL_SECRET = 'e2e-platform-internal-secret';

/** One process of the platform, on a fixed port, that can be stopped and started again. */
export interface PlatformProcess {
  name: string;
  port: number;
  /** http://127.0.0.1:PORT (nats://… for NATS). */
  url: string;
  running(): boolean;
  start(): Promise<void>;
  stop(): Promise<void>;
  logs(): string;
}

export interface PlatformOptions {
  /** Registry processes behind NGINX (default 1). */
  registryReplicas?: number;
  /** Extra environment for every service process. */
  env?: Record<string, string>;
  /** Extra environment for the hooks process only (e.g. WEBHOOK_ALLOWLIST). */
  hooksEnv?: Record<string, string>;
}

export interface RunningPlatform {
  /** http://127.0.0.1:PORT of NGINX: the only address clients use. */
  url: string;
  /** host:port of NGINX, for docker login/push/pull. */
  host: string;
  nats: PlatformProcess;
  auth: PlatformProcess;
  metadata: PlatformProcess;
  hooks: PlatformProcess;
  registries: PlatformProcess[];
  nginx: RunningNginx;
  databaseUrl: string;
  redisUrl: string;
  logs(): string;
  stop(): Promise<void>;
}

const bundle = (service: string) => requireBundle(path.join(repoRoot, `services/${service}/dist/main.mjs`));

/**
 * A server the suites stop and start again (an outage): start() launches a fresh instance through
 * launch, stop() ends it, and logs() keeps what every earlier instance wrote.
 */
function restartable(name: string, port: number, url: string, launch: () => Promise<{ stop(): Promise<void>; logs(): string }>): PlatformProcess {
  let current: { stop(): Promise<void>; logs(): string } | undefined;
  let lastLogs = '';
  return {
    name,
    port,
    url,
    running: () => current !== undefined,
    async start() {
      if (current) return;
      current = await launch();
    },
    async stop() {
      if (!current) return;
      lastLogs += current.logs();
      const c = current;
      current = undefined;
      await c.stop();
    },
    logs: () => lastLogs + (current?.logs() ?? ''),
  };
}

/** A bundled service main as a PlatformProcess (started by the caller). */
function nodeProcess(name: string, file: string, port: number, env: Record<string, string>, logDir: string, readyPath: string): PlatformProcess {
  let starts = 0;
  return restartable(name, port, `http://127.0.0.1:${port}`, () =>
    startNodeService({ name, bundle: file, port, env, logFile: path.join(logDir, `${name}-${starts++}.log`), readyPath }),
  );
}

/** nats-server with JetStream on fixed ports whose store survives a restart, so a stop is an outage, not a reset. */
function natsProcess(port: number, monitorPort: number, storeDir: string): PlatformProcess {
  return restartable('nats', port, `nats://127.0.0.1:${port}`, () => startNats({ port, monitorPort, storeDir }));
}

export async function startPlatform(opts: PlatformOptions = {}): Promise<RunningPlatform> {
  const files = { auth: bundle('auth'), metadata: bundle('metadata'), hooks: bundle('hooks'), registry: bundle('registry') };
  const temp = makeTempDir('platform');
  const stops: (() => Promise<void>)[] = [async () => temp.remove()];
  const stopAll = async () => {
    for (const stop of stops.reverse()) await stop().catch(() => undefined);
  };
  try {
    const [pg, redis] = await Promise.all([startPostgres(), startRedis()]);
    stops.push(() => pg.stop(), () => redis.stop());
    const natsStore = path.join(temp.dir, 'nats');
    mkdirSync(natsStore, { recursive: true });
    const nats = natsProcess(await freePort(), await freePort(), natsStore);
    await nats.start();
    stops.push(() => nats.stop());

    const nginxPort = await freePort();
    const publicUrl = `http://127.0.0.1:${nginxPort}`;
    const [authPort, metadataPort, hooksPort] = [await freePort(), await freePort(), await freePort()];
    const jwksUrl = `http://127.0.0.1:${authPort}/auth/jwks.json`;
    const metadataUrl = `http://127.0.0.1:${metadataPort}`;
    const storageDir = path.join(temp.dir, 'storage');
    mkdirSync(storageDir, { recursive: true });
    const common = (name: string, port: number): Record<string, string> => ({
      HOST: '127.0.0.1',
      PORT: String(port),
      PUBLIC_URL: publicUrl,
      DATA_DIR: path.join(temp.dir, `data-${name}`),
      DATABASE_URL: pg.url,
      NATS_URL: nats.url,
      INTERNAL_SECRET,
      AUTH_JWKS_URL: jwksUrl,
      // NGINX, the only hop whose X-Forwarded-For is believed.
      TRUSTED_PROXIES: '127.0.0.1',
      LOG_LEVEL: 'info',
    });

    const auth = nodeProcess(
      'auth',
      files.auth,
      authPort,
      {
        ...common('auth', authPort),
        AUTH_KEYS_DIR: path.join(temp.dir, 'auth-keys'),
        ADMIN_USERNAME: PLATFORM_ADMIN.username,
        ADMIN_PASSWORD: PLATFORM_ADMIN.password,
        AUTH_ACCESS_POLICY: 'metadata',
        METADATA_URL: metadataUrl,
        REDIS_URL: redis.url,
        ...opts.env,
      },
      temp.dir,
      '/auth/jwks.json',
    );
    await auth.start();
    stops.push(() => auth.stop());

    const metadata = nodeProcess('metadata', files.metadata, metadataPort, { ...common('metadata', metadataPort), ...opts.env }, temp.dir, '/healthz');
    await metadata.start();
    stops.push(() => metadata.stop());

    const hooks = nodeProcess(
      'hooks',
      files.hooks,
      hooksPort,
      { ...common('hooks', hooksPort), REDIS_URL: redis.url, METADATA_URL: metadataUrl, ...opts.env, ...opts.hooksEnv },
      temp.dir,
      '/healthz',
    );
    await hooks.start();
    stops.push(() => hooks.stop());

    const registries: PlatformProcess[] = [];
    for (let i = 0; i < (opts.registryReplicas ?? 1); i++) {
      const port = await freePort();
      const registry = nodeProcess(
        `registry-${i}`,
        files.registry,
        port,
        {
          ...common('registry', port),
          STORAGE_DRIVER: 'filesystem',
          STORAGE_DIR: storageDir,
          STORAGE_ACCEL_PREFIX: ACCEL_PREFIX,
          REGISTRY_AUTH: 'token',
          AUTH_REALM: `${publicUrl}/auth/token`,
          ...opts.env,
        },
        temp.dir,
        '/v2/',
      );
      await registry.start();
      stops.push(() => registry.stop());
      registries.push(registry);
    }

    const nowhere = `127.0.0.1:${await freePort()}`;
    const nginx = await startNginx(
      (prefix) => renderFront(prefix, { port: nginxPort, registryPorts: registries.map((r) => r.port), auth: `127.0.0.1:${authPort}`, metadata: `127.0.0.1:${metadataPort}`, hooks: `127.0.0.1:${hooksPort}`, web: nowhere /* no console in this harness: 502 */, storageDir }),
      { port: nginxPort },
    );
    stops.push(() => nginx.stop());

    const all = [nats, auth, metadata, hooks, ...registries];
    return {
      url: publicUrl,
      host: `127.0.0.1:${nginxPort}`,
      nats,
      auth,
      metadata,
      hooks,
      registries,
      nginx,
      databaseUrl: pg.url,
      redisUrl: redis.url,
      logs: () => [...all.map((p) => `--- ${p.name}\n${p.logs().slice(-6000)}`), `--- nginx error.log\n${nginx.errorLog()}`].join('\n'),
      stop: stopAll,
    };
  } catch (err) {
    await stopAll();
    throw err;
  }
}
