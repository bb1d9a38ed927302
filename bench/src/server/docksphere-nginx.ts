// DockSphere as its production deployment runs it: the registry service's bundle
// (services/registry/dist/main.mjs) on a real Postgres and NATS, filesystem storage in the bench's
// temp dir, and NGINX in front rendered from nginx/nginx.conf, sending blob bytes itself (sendfile)
// when the registry answers a GET with X-Accel-Redirect. REGISTRY_AUTH=none, like the other targets.
import { existsSync, mkdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import { ACCEL_PREFIX, freePort, hasCommand, postgresBinDir, renderFront, startNats, startNginx, startPostgres, waitForHttp } from '@docksphere/infra';
import { thaw, type ServerProcesses } from '../server-side.ts';
import { startBundle, type DocksphereStartOptions } from './docksphere.ts';
import type { RunningServer } from './server-process.ts';

export function registryBundle(repoRoot: string): string {
  return path.join(repoRoot, 'services/registry/dist/main.mjs');
}

/** Why this target cannot run here, or undefined when everything it needs is installed and built. */
export function docksphereNginxMissing(repoRoot: string): string | undefined {
  const missing: string[] = [];
  if (!existsSync(registryBundle(repoRoot))) missing.push('services/registry/dist/main.mjs does not exist (node scripts/build.mjs builds it)');
  if (!hasCommand('nginx')) missing.push('nginx is not installed');
  if (!postgresBinDir()) missing.push('PostgreSQL is not installed (/usr/lib/postgresql/*/bin)');
  if (!hasCommand('nats-server')) missing.push('nats-server is not installed');
  if (missing.length === 0) return undefined;
  return `${missing.join('; ')}${missing.some((m) => m.includes('installed')) ? ' (infra/install-system-deps.sh installs the servers)' : ''}`;
}

export async function startDocksphereNginx(repoRoot: string, workDir: string, opts: DocksphereStartOptions = {}): Promise<RunningServer> {
  const reason = docksphereNginxMissing(repoRoot);
  if (reason) throw new Error(reason);
  const stops: (() => Promise<void>)[] = [];
  const stopAll = async (): Promise<void> => {
    for (const stop of stops.splice(0).reverse()) await stop().catch((err: unknown) => console.error(`  [docksphere-nginx] stop: ${err instanceof Error ? err.message : String(err)}`));
  };
  let processes: ServerProcesses = [];
  let pgStop: (() => Promise<void>) | undefined;
  let nginxPrefix: string | undefined;
  // A benchmark that dies mid-run (Ctrl-C, an exception) must not leave Postgres, NATS or NGINX
  // behind, frozen or not: Postgres is a daemon, and the others outlive the node process too.
  // Only synchronous work happens in an exit handler: pg_ctl stop runs synchronously inside pg.stop().
  const onExit = (): void => {
    thaw(processes);
    for (const g of processes) {
      if (g.role === 'postgres') continue;
      try {
        process.kill(g.pid, 'SIGTERM');
      } catch {
        // already gone
      }
    }
    void pgStop?.().catch(() => undefined);
    if (nginxPrefix) rmSync(nginxPrefix, { recursive: true, force: true });
  };
  process.on('exit', onExit);
  stops.push(async () => {
    process.off('exit', onExit);
  });
  try {
    const pg = await startPostgres();
    pgStop = () => pg.stop();
    stops.push(() => pg.stop());
    // The JetStream store lives in the work dir, which the benchmark removes however it ends.
    const natsDir = path.join(workDir, 'nats');
    mkdirSync(natsDir, { recursive: true });
    const nats = await startNats({ storeDir: natsDir });
    stops.push(() => nats.stop());
    const backing: ServerProcesses = [
      { role: 'nats', pid: nats.pid },
      { role: 'postgres', pid: pg.pid },
    ];
    processes = backing;

    const nginxPort = await freePort();
    const port = await freePort();
    const storageDir = path.join(workDir, 'storage');
    mkdirSync(storageDir, { recursive: true });
    const bundle = registryBundle(repoRoot);
    const registry = await startBundle('docksphere-nginx', bundle, workDir, port, {
      nodeFlags: opts.nodeFlags,
      env: {
        PUBLIC_URL: `http://127.0.0.1:${nginxPort}`,
        DATABASE_URL: pg.url,
        NATS_URL: nats.url,
        STORAGE_DRIVER: 'filesystem',
        STORAGE_DIR: storageDir,
        STORAGE_ACCEL_PREFIX: ACCEL_PREFIX,
        ...opts.env,
      },
    });
    stops.push(() => registry.stop());
    processes = [...registry.processes, ...backing];

    // Only the registry is started: NGINX answers 502 on the other services' routes.
    const nowhere = `127.0.0.1:${await freePort()}`;
    const nginx = await startNginx(
      (prefix) => renderFront(prefix, { port: nginxPort, registryPorts: [port], auth: nowhere, metadata: nowhere, hooks: nowhere, web: nowhere, storageDir }),
      { port: nginxPort },
    );
    nginxPrefix = nginx.prefix;
    stops.push(() => nginx.stop());
    // Frozen in this order (the registry first, so it sends nothing to a frozen database), thawed in reverse.
    processes = [...registry.processes, { role: 'nginx', pid: nginx.pid }, ...backing];
    await waitForHttp(`${nginx.url}/v2/`, { statuses: [200], timeoutMs: 30_000 });
    console.log(`  [docksphere-nginx] NGINX on ${nginx.url} (master pid ${nginx.pid}), Postgres pid ${pg.pid}, NATS pid ${nats.pid}`);
    return { name: 'docksphere-nginx', baseUrl: nginx.url, processes, logFile: registry.logFile, readySeconds: registry.readySeconds, stop: stopAll };
  } catch (err) {
    await stopAll();
    throw err;
  }
}
