// Starts a throwaway Redis on a free loopback port, without persistence, in a temp dir.
import net from 'node:net';
import { freePort } from './free-port.ts';
import { awaitReady, makeTempDir, ServerProcess } from './server-process.ts';
import { waitUntil } from './wait.ts';

export interface RunningRedis {
  port: number;
  /** redis://127.0.0.1:PORT */
  url: string;
  logs(): string;
  stop(): Promise<void>;
}

function ping(port: number): Promise<boolean> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: '127.0.0.1', port });
    socket.setTimeout(2_000, () => socket.destroy(new Error('PING timed out')));
    socket.once('connect', () => socket.write('PING\r\n'));
    socket.once('data', (data) => {
      socket.destroy();
      resolve(data.toString().startsWith('+PONG'));
    });
    socket.once('error', reject);
  });
}

export async function startRedis(): Promise<RunningRedis> {
  const temp = makeTempDir('redis');
  const port = await freePort();
  const server = new ServerProcess(
    'redis-server',
    'redis-server',
    ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', temp.dir, '--daemonize', 'no'],
    { cwd: temp.dir },
  );
  await awaitReady(server, () => waitUntil(`redis on ${port}`, () => ping(port), { abort: () => server.exitedReason() }), temp.remove);
  return {
    port,
    url: `redis://127.0.0.1:${port}`,
    logs: () => server.logs(),
    async stop() {
      await server.stop();
      temp.remove();
    },
  };
}
