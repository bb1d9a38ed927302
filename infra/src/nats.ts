// Starts a throwaway NATS server with JetStream (store in a temp dir) on a free loopback port.
import { freePort } from './free-port.ts';
import { makeTempDir, ServerProcess } from './server-process.ts';
import { waitForHttp } from './wait.ts';

export interface RunningNats {
  port: number;
  /** nats://127.0.0.1:PORT */
  url: string;
  /** The HTTP monitoring endpoint (http://127.0.0.1:PORT), e.g. for /jsz. */
  monitorUrl: string;
  logs(): string;
  stop(): Promise<void>;
}

export async function startNats(): Promise<RunningNats> {
  const temp = makeTempDir('nats');
  const port = await freePort();
  const monitorPort = await freePort();
  const server = new ServerProcess(
    'nats-server',
    'nats-server',
    ['-js', '-a', '127.0.0.1', '-p', String(port), '-m', String(monitorPort), '-sd', temp.dir, '-n', `docksphere-test-${port}`],
    { cwd: temp.dir },
  );
  const monitorUrl = `http://127.0.0.1:${monitorPort}`;
  try {
    // healthz with js-enabled-only answers 200 once JetStream is up, not merely the listener.
    await waitForHttp(`${monitorUrl}/healthz?js-enabled-only=true`, { statuses: [200], abort: () => server.exitedReason() });
  } catch (err) {
    await server.stop();
    temp.remove();
    throw err;
  }
  return {
    port,
    url: `nats://127.0.0.1:${port}`,
    monitorUrl,
    logs: () => server.logs(),
    async stop() {
      await server.stop();
      temp.remove();
    },
  };
}
