// Starts the embedded database process (pglite-server) and owns its life: the socket to reach it,
// a start-up that fails with the child's own message, a clean stop, and a clear error on a crash.
import { fork, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { PGliteServerArgs, PGliteServerMessage } from './pglite-server.ts';

export interface PGliteProcessOptions {
  dataDir: string;
  relaxedDurability: boolean;
  /** Told once when the process dies on its own (not after stop()). */
  onUnexpectedExit(error: Error): void;
  startTimeoutMs?: number;
}

export interface PGliteProcess {
  pid: number;
  /** Directory of the socket: `pg`'s host; the socket is `${socketDir}/.s.PGSQL.${SOCKET_PORT}`. */
  socketDir: string;
  /** Set once the process has died on its own; queries fail with it. */
  readonly failure: Error | undefined;
  /** Resolves when the process has exited, however. */
  exited: Promise<void>;
  /** Asks the process to close PGlite (its final flush) and waits until it has exited. */
  stop(): Promise<void>;
}

/** `pg` names a Unix socket `.s.PGSQL.<port>` in the host directory. */
export const SOCKET_PORT = 5432;
// sun_path holds 108 bytes including the terminating NUL.
const MAX_SOCKET_PATH = 107;
// A fresh data directory on a busy machine took up to 44 s to initialise (docs/performance-notes.md F6).
const DEFAULT_START_TIMEOUT_MS = 180_000;
// After the parent disconnects, PGlite's close (its final flush) gets this long before a kill.
const STOP_TIMEOUT_MS = 30_000;

/**
 * From TypeScript sources (vitest, tsx) the server is pglite-server.ts beside this file, run with
 * tsx's loader; in an esbuild bundle it is pglite-server.mjs beside the bundle (scripts/build.mjs).
 */
function serverEntry(): { script: string; execArgv: string[] } {
  const here = fileURLToPath(import.meta.url);
  if (here.endsWith('.ts')) {
    // tsx's package entry is its ESM loader (dist/loader.mjs), what `node --import tsx` loads.
    const loader = createRequire(import.meta.url).resolve('tsx');
    return { script: path.join(path.dirname(here), 'pglite-server.ts'), execArgv: ['--import', pathToFileURL(loader).href] };
  }
  return { script: path.join(path.dirname(here), 'pglite-server.mjs'), execArgv: [] };
}

const SOCKET_DIR_PREFIX = 'dspg-';
/** In each socket directory: the pid of the process that opened the database. */
const OWNER_FILE = 'owner.pid';
// Looked at per start, so a temp dir full of strangers' files costs little.
const MAX_SWEPT_ENTRIES = 1000;

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Removes our socket directories whose owner is gone: when the owner and its database process
 * are both SIGKILLed (a process-tree kill), neither can remove it. A dead owner means the child
 * has exited or is exiting (it follows its parent), so the socket serves no one.
 */
function sweepStaleSocketDirs(base: string): void {
  let names: string[];
  try {
    names = readdirSync(base).slice(0, MAX_SWEPT_ENTRIES);
  } catch {
    return;
  }
  for (const name of names) {
    if (!name.startsWith(SOCKET_DIR_PREFIX)) continue;
    const dir = path.join(base, name);
    try {
      if (statSync(dir).uid !== process.getuid?.()) continue;
      const owner = Number.parseInt(readFileSync(path.join(dir, OWNER_FILE), 'utf8').slice(0, 20), 10);
      if (Number.isInteger(owner) && owner > 0 && !isAlive(owner)) rmSync(dir, { recursive: true, force: true });
    } catch {
      // not ours, not one of these, or gone meanwhile
    }
  }
}

/** A private (0700) directory for the socket whose path fits sun_path, marked with our pid. */
function makeSocketDir(): string {
  const socketName = `.s.PGSQL.${SOCKET_PORT}`;
  for (const base of [os.tmpdir(), '/tmp']) {
    // mkdtemp appends 6 characters to the prefix.
    if (Buffer.byteLength(path.join(base, `${SOCKET_DIR_PREFIX}XXXXXX`, socketName)) > MAX_SOCKET_PATH) continue;
    sweepStaleSocketDirs(base);
    const dir = mkdtempSync(path.join(base, SOCKET_DIR_PREFIX));
    writeFileSync(path.join(dir, OWNER_FILE), String(process.pid), { mode: 0o600 });
    return dir;
  }
  throw new Error(`no temporary directory short enough for a Unix socket (TMPDIR=${os.tmpdir()})`);
}

export async function startPGliteProcess(options: PGliteProcessOptions): Promise<PGliteProcess> {
  const { dataDir } = options;
  // Only the parent: PGlite initialises a new cluster when its own directory does not exist yet.
  if (!dataDir.startsWith('memory://')) {
    try {
      mkdirSync(path.dirname(path.resolve(dataDir)), { recursive: true });
    } catch (err) {
      throw new Error(`embedded database failed to start (${dataDir}): ${(err as Error).message}`);
    }
  }
  const socketDir = makeSocketDir();
  const args: PGliteServerArgs = {
    dataDir: dataDir.startsWith('memory://') ? dataDir : path.resolve(dataDir),
    socketDir,
    socketPath: path.join(socketDir, `.s.PGSQL.${SOCKET_PORT}`),
    relaxedDurability: options.relaxedDurability,
  };
  const entry = serverEntry();
  let child: ChildProcess;
  try {
    child = fork(entry.script, [JSON.stringify(args)], {
      execArgv: entry.execArgv,
      // Its output (PGlite is quiet unless it fails) joins ours on stderr, never our stdout.
      stdio: ['ignore', 2, 2, 'ipc'],
      serialization: 'json',
    });
  } catch (err) {
    rmSync(socketDir, { recursive: true, force: true });
    throw err;
  }

  let stopping = false;
  let failure: Error | undefined;
  let exitedCode: number | null = null;
  let exitedSignal: NodeJS.Signals | null = null;
  const exited = new Promise<void>((resolve) => {
    child.once('exit', (code, signal) => {
      exitedCode = code;
      exitedSignal = signal;
      // The child removes it itself unless it was killed.
      rmSync(socketDir, { recursive: true, force: true });
      resolve();
    });
  });
  const describeExit = (): string => (exitedSignal ? `signal ${exitedSignal}` : `code ${exitedCode}`);

  // Start-up: the first message says ready or why not; an exit or silence first is a failure too.
  try {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        child.kill('SIGKILL');
        reject(new Error(`embedded database did not start within ${options.startTimeoutMs ?? DEFAULT_START_TIMEOUT_MS} ms (${dataDir})`));
      }, options.startTimeoutMs ?? DEFAULT_START_TIMEOUT_MS);
      const settle = (err?: Error) => {
        clearTimeout(timer);
        child.off('message', onMessage);
        child.off('error', onError);
        if (err) reject(err);
        else resolve();
      };
      const onMessage = (message: PGliteServerMessage) => {
        if (message.type === 'ready') settle();
        else settle(new Error(`embedded database failed to start (${dataDir}): ${message.message}`));
      };
      const onError = (err: Error) => settle(new Error(`embedded database process could not start: ${err.message}`));
      child.on('message', onMessage);
      child.on('error', onError);
      void exited.then(() => settle(new Error(`embedded database process exited during start-up (${describeExit()}, ${dataDir})`)));
    });
  } catch (err) {
    if (child.connected) child.disconnect();
    // A process that never spawned (no pid) emits no 'exit'.
    if (child.pid === undefined) rmSync(socketDir, { recursive: true, force: true });
    else await exited;
    throw err;
  }
  // Later 'error' events (a failed kill or send) change nothing here; unheard they would crash us.
  child.on('error', () => {});

  void exited.then(() => {
    if (stopping) return;
    failure = new Error(`embedded database process ${child.pid} exited unexpectedly (${describeExit()}); restart DockSphere`);
    options.onUnexpectedExit(failure);
  });
  // An open database must not keep a finished program alive (like an idle pg pool); stop() refs it again.
  child.unref();
  child.channel?.unref();

  return {
    pid: child.pid as number,
    socketDir,
    get failure() {
      return failure;
    },
    exited,
    async stop() {
      if (!stopping) {
        stopping = true;
        child.ref();
        child.channel?.ref();
        if (child.connected) child.disconnect();
        const timer = setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT_MS);
        await exited;
        clearTimeout(timer);
      }
      await exited;
    },
  };
}
