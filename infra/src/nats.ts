// Starts a NATS server with JetStream on loopback: throwaway by default (free ports, store in a
// temp dir removed on stop), or on fixed ports with a store that survives a restart.
import { freePort } from './free-port.ts';
import { awaitReady, makeTempDir, ServerProcess } from './server-process.ts';
import { waitForHttp } from './wait.ts';

export interface RunningNats {
  port: number;
  /** The nats-server process's pid. */
  pid: number;
  /** nats://127.0.0.1:PORT */
  url: string;
  /** The HTTP monitoring endpoint (http://127.0.0.1:PORT), e.g. for /jsz. */
  monitorUrl: string;
  logs(): string;
  stop(): Promise<void>;
}

export interface StartNatsOptions {
  port?: number;
  monitorPort?: number;
  /** A JetStream store the caller owns: kept on stop, so a restart on the same ports resumes it. */
  storeDir?: string;
}

export async function startNats(options: StartNatsOptions = {}): Promise<RunningNats> {
  const temp = options.storeDir ? { dir: options.storeDir, remove: () => {} } : makeTempDir('nats');
  const port = options.port ?? (await freePort());
  const monitorPort = options.monitorPort ?? (await freePort());
  const server = new ServerProcess(
    'nats-server',
    'nats-server',
    ['-js', '-a', '127.0.0.1', '-p', String(port), '-m', String(monitorPort), '-sd', temp.dir, '-n', `docksphere-test-${port}`],
    { cwd: temp.dir },
  );
  const monitorUrl = `http://127.0.0.1:${monitorPort}`;
  // healthz with js-enabled-only answers 200 once JetStream is up, not merely the listener.
  await awaitReady(server, () => waitForHttp(`${monitorUrl}/healthz?js-enabled-only=true`, { statuses: [200], abort: () => server.exitedReason() }), temp.remove);
  return {
    port,
    pid: server.child.pid!,
    url: `nats://127.0.0.1:${port}`,
    monitorUrl,
    logs: () => server.logs(),
    async stop() {
      await server.stop();
      temp.remove();
    },
  };
}
