// Test fixtures: a NATS server that can be stopped and started again on the same port and store
// (the infra helper removes its store on stop), a recording logger, and event builders.
import { freePort, hasCommand, makeTempDir, requireServer, ServerProcess, waitForHttp } from '@docksphere/infra';
import { newEvent, type BusLogger, type DomainEvent } from '../src/index.ts';

export const natsInstalled = requireServer('nats-server', hasCommand('nats-server'));

export interface RestartableNats {
  url: string;
  start(): Promise<void>;
  /** Stops the server but keeps its JetStream store for the next start(). */
  stop(): Promise<void>;
  /** Freezes the server (SIGSTOP): connections stay open and nothing answers. */
  pause(): void;
  resume(): void;
  /** Stops the server and removes its store. */
  destroy(): Promise<void>;
}

export async function restartableNats(): Promise<RestartableNats> {
  const temp = makeTempDir('events-nats');
  const port = await freePort();
  const monitorPort = await freePort();
  let server: ServerProcess | undefined;
  const start = async () => {
    const s = new ServerProcess('nats-server', 'nats-server', ['-js', '-a', '127.0.0.1', '-p', String(port), '-m', String(monitorPort), '-sd', temp.dir], { cwd: temp.dir });
    server = s;
    await waitForHttp(`http://127.0.0.1:${monitorPort}/healthz?js-enabled-only=true`, { statuses: [200], abort: () => s.exitedReason() });
  };
  const stop = async () => {
    await server?.stop();
    server = undefined;
  };
  await start();
  return {
    url: `nats://127.0.0.1:${port}`,
    start,
    stop,
    pause: () => void server?.child.kill('SIGSTOP'),
    resume: () => void server?.child.kill('SIGCONT'),
    async destroy() {
      server?.child.kill('SIGCONT');
      await stop();
      temp.remove();
    },
  };
}

export interface LogLine {
  level: 'info' | 'warn' | 'error';
  msg: string;
  obj: object;
}

export function recordingLogger(): BusLogger & { lines: LogLine[] } {
  const lines: LogLine[] = [];
  return {
    lines,
    info: (obj, msg) => void lines.push({ level: 'info', msg, obj }),
    warn: (obj, msg) => void lines.push({ level: 'warn', msg, obj }),
    error: (obj, msg) => void lines.push({ level: 'error', msg, obj }),
  };
}

export function pushed(tag: string): DomainEvent<'registry.manifest.pushed'> {
  return newEvent(
    'registry.manifest.pushed',
    { subject: 'user:1', name: 'alice' },
    { repository: 'team/app', digest: `sha256:${'a'.repeat(64)}`, mediaType: 'application/vnd.oci.image.manifest.v1+json', size: 512, tag },
  );
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
