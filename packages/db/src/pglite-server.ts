// The embedded database process: PGlite serving the Postgres wire protocol on a private Unix
// socket, so the parent talks to it through the same `pg` driver as to a real PostgreSQL and
// PGlite's synchronous WASM work never blocks the parent's event loop. Started by pglite-process.ts.
import { closeSync, openSync, readFileSync, rmSync, unlinkSync, writeSync } from 'node:fs';
import path from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { PGLiteSocketServer } from '@electric-sql/pglite-socket';

/** What the parent passes as argv[2] (JSON). */
export interface PGliteServerArgs {
  dataDir: string;
  /** Private directory of the socket; removed on exit. */
  socketDir: string;
  socketPath: string;
  relaxedDurability: boolean;
}

/** Messages to the parent over the IPC channel. */
export type PGliteServerMessage = { type: 'ready' } | { type: 'failed'; message: string };

// The parent is the only client (a pool of one); a few spare slots let a replacement connection in
// while the server still tears down a dropped one.
const MAX_CONNECTIONS = 4;

// PGlite's file system errors are Emscripten ErrnoError objects: a WASI errno, no message.
const WASI_ERRNO: Record<number, string> = {
  2: 'EACCES: permission denied',
  20: 'EEXIST: file exists',
  31: 'EISDIR: is a directory',
  44: 'ENOENT: no such file or directory',
  51: 'ENOSPC: no space left on device',
  54: 'ENOTDIR: not a directory',
  63: 'EPERM: operation not permitted',
  69: 'EROFS: read-only file system',
};

function describe(err: unknown): string {
  const { name, message, errno, status } = (err ?? {}) as { name?: unknown; message?: unknown; errno?: unknown; status?: unknown };
  // Postgres inside PGlite gave up (initdb or start-up failed): its own log is not kept.
  if (name === 'ExitStatus') return `PGlite stopped with exit status ${String(status)} while opening the data directory (not a database PGlite 0.3 can open?)`;
  if (typeof message === 'string' && message) return message;
  if (typeof errno === 'number') return WASI_ERRNO[errno] ?? `file system error ${errno}`;
  return String(err).slice(0, 500);
}

function send(message: PGliteServerMessage): void {
  if (process.connected) process.send?.(message);
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * PGlite has no lock of its own: two processes on one data directory would corrupt it. A lock
 * file beside the directory names the holder; one left by a dead process is taken over.
 */
function lockDataDir(dataDir: string): () => void {
  const lockPath = `${dataDir.replace(/\/+$/, '')}.lock`;
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(lockPath, 'wx', 0o600);
      writeSync(fd, String(process.pid));
      closeSync(fd);
      return () => rmSync(lockPath, { force: true });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const holder = Number.parseInt(readFileSync(lockPath, 'utf8').slice(0, 20), 10);
      if (Number.isInteger(holder) && holder > 0 && holder !== process.pid && alive(holder)) {
        throw new Error(`database directory ${dataDir} is in use by process ${holder} (lock file ${lockPath})`);
      }
      unlinkSync(lockPath);
    }
  }
  throw new Error(`could not lock database directory ${dataDir} (${lockPath})`);
}

async function main(args: PGliteServerArgs): Promise<void> {
  let unlock = (): void => {};
  let pglite: PGlite | undefined;
  let server: PGLiteSocketServer | undefined;
  let stopping: Promise<void> | undefined;

  // One way out, whatever asks for it (close by the parent, the parent's death, a signal):
  // stop accepting, close PGlite (its final flush), release the lock and the socket directory.
  const stop = (code: number): Promise<void> => {
    stopping ??= (async () => {
      try {
        await server?.stop();
        if (pglite && !pglite.closed) await pglite.close();
      } catch (err) {
        process.stderr.write(`[pglite-server] close failed: ${(err as Error).message}\n`);
        code = code || 1;
      } finally {
        unlock();
        rmSync(args.socketDir, { recursive: true, force: true });
        process.exit(code);
      }
    })();
    return stopping;
  };
  // The IPC channel closes when the parent disconnects on close() and when it dies (even SIGKILL).
  process.on('disconnect', () => void stop(0));
  // Ctrl-C in a terminal and a service manager's stop signal the whole group: the parent's graceful
  // shutdown still needs its database, so while the parent is there, the parent decides.
  for (const signal of ['SIGTERM', 'SIGINT'] as const) process.on(signal, () => process.connected || void stop(0));

  try {
    if (!args.dataDir.startsWith('memory://')) unlock = lockDataDir(path.resolve(args.dataDir));
    pglite = await PGlite.create(args.dataDir, { relaxedDurability: args.relaxedDurability });
    server = new PGLiteSocketServer({ db: pglite, path: args.socketPath, maxConnections: MAX_CONNECTIONS });
    await server.start();
  } catch (err) {
    send({ type: 'failed', message: describe(err) });
    await stop(1);
    return;
  }
  if (!process.connected) return void stop(0);
  send({ type: 'ready' });
}

const raw = process.argv[2];
if (!raw || !process.send) {
  process.stderr.write('pglite-server is started by @docksphere/db (openDatabase), with an IPC channel\n');
  process.exit(2);
}
void main(JSON.parse(raw) as PGliteServerArgs);
