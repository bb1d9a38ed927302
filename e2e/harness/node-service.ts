// Spawns one bundled DockSphere process (all-in-one or a service main) with an env, on a free port,
// and waits until its HTTP endpoint answers.
import path from 'node:path';
import { ServerProcess, waitForHttp } from '@docksphere/infra';
import { repoRoot } from './paths.ts';

export interface RunningNodeService {
  name: string;
  port: number;
  url: string;
  logs(): string;
  stop(): Promise<void>;
}

export async function startNodeService(opts: {
  name: string;
  bundle: string;
  port: number;
  env: Record<string, string>;
  logFile: string;
  /** Path that answers once the service is ready (any status counts). */
  readyPath: string;
}): Promise<RunningNodeService> {
  const env: NodeJS.ProcessEnv = { PATH: process.env.PATH, HOME: process.env.HOME, NODE_ENV: 'production', ...opts.env };
  const server = new ServerProcess(opts.name, process.execPath, ['--enable-source-maps', opts.bundle], {
    // The bundle resolves its npm dependencies from its own folder up to the workspace root.
    cwd: path.dirname(opts.bundle) || repoRoot,
    env,
    logFile: opts.logFile,
  });
  const url = `http://127.0.0.1:${opts.port}`;
  try {
    // A shared CI machine under load can take over a minute to open the embedded database and migrate.
    await waitForHttp(`${url}${opts.readyPath}`, { timeoutMs: 180_000, abort: () => server.exitedReason() });
  } catch (err) {
    await server.stop();
    throw err;
  }
  // A process that died mid-test says so (and how) at the end of its logs.
  const logs = () => server.logs() + (server.exitedReason() ? `\n[harness] ${server.exitedReason()!.split('\n')[0]}` : '');
  return { name: opts.name, port: opts.port, url, logs, stop: () => server.stop() };
}
