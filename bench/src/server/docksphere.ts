// DockSphere as users run it all-in-one: the bundled apps/all-in-one/dist/main.mjs in its own node
// process, data in a temp dir, REGISTRY_AUTH=none to match the reference, which runs without auth.
import { existsSync } from 'node:fs';
import path from 'node:path';
import { freePort, startServer, type RunningServer } from './server-process.ts';

export function docksphereBundle(repoRoot: string): string {
  return path.join(repoRoot, 'apps/all-in-one/dist/main.mjs');
}

export function docksphereAvailable(repoRoot: string): boolean {
  return existsSync(docksphereBundle(repoRoot));
}

export interface DocksphereStartOptions {
  /** Extra node flags, e.g. --cpu-prof for profiling runs. */
  nodeFlags?: string[];
  /** Extra environment, applied over the benchmark's own settings. */
  env?: Record<string, string>;
}

export async function startDocksphere(repoRoot: string, workDir: string, opts: DocksphereStartOptions = {}): Promise<RunningServer> {
  return startBundle('docksphere', docksphereBundle(repoRoot), workDir, await freePort(), opts);
}

/**
 * Starts a bundled DockSphere main (all-in-one or one service) the way the benchmark runs them:
 * production mode, no auth, log level warn, data under workDir, plus opts.env.
 */
export async function startBundle(name: string, bundle: string, workDir: string, port: number, opts: DocksphereStartOptions = {}): Promise<RunningServer> {
  return startServer({
    name,
    command: process.execPath,
    args: [...(opts.nodeFlags ?? []), bundle],
    env: {
      PATH: process.env.PATH ?? '/usr/bin:/bin',
      HOME: workDir,
      NODE_ENV: 'production',
      HOST: '127.0.0.1',
      PORT: String(port),
      DATA_DIR: path.join(workDir, 'data'),
      REGISTRY_AUTH: 'none',
      LOG_LEVEL: 'warn',
      ...opts.env,
    },
    // The bundle resolves its npm dependencies from its package's folder.
    cwd: path.dirname(path.dirname(bundle)),
    port,
    logFile: path.join(workDir, 'server.log'),
    readyTimeoutMs: 60_000,
  });
}
