// Runs one server as a child process: output captured (bounded tail in memory, full copy on disk),
// early exit detected, and a stop() that terminates it and waits for it to be gone.
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const TAIL_BYTES = 256 * 1024;

export interface ServerProcessOptions {
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  /** Where stdout and stderr are copied (default: none on disk, the tail is still kept). */
  logFile?: string;
}

export class ServerProcess {
  readonly child: ChildProcess;
  private tail = '';
  private exitReason: string | undefined;
  private readonly exited: Promise<void>;

  constructor(
    readonly name: string,
    command: string,
    args: readonly string[],
    opts: ServerProcessOptions = {},
  ) {
    this.child = spawn(command, args, { cwd: opts.cwd, env: opts.env ?? process.env, stdio: ['ignore', 'pipe', 'pipe'] });
    const file = opts.logFile ? createWriteStream(opts.logFile) : undefined;
    const capture = (chunk: Buffer) => {
      file?.write(chunk);
      this.tail = (this.tail + chunk.toString('utf8')).slice(-TAIL_BYTES);
    };
    this.child.stdout?.on('data', capture);
    this.child.stderr?.on('data', capture);
    this.exited = new Promise((resolve) => {
      this.child.once('error', (err) => {
        this.exitReason = `could not start ${command}: ${err.message}`;
        file?.end();
        resolve();
      });
      this.child.once('exit', (code, signal) => {
        this.exitReason = `${name} exited (${signal ?? `code ${code}`})\n${this.tail.slice(-4000)}`;
        file?.end();
        resolve();
      });
    });
  }

  /** Everything the process printed (the last 256 KiB). */
  logs(): string {
    return this.tail;
  }

  /** Why the process is gone, or undefined while it runs. For WaitOptions.abort. */
  exitedReason(): string | undefined {
    return this.exitReason;
  }

  /** SIGTERM, then SIGKILL after `graceMs`; resolves once the process has exited. */
  async stop(graceMs = 10_000): Promise<void> {
    if (this.exitReason === undefined && this.child.exitCode === null && this.child.signalCode === null) {
      this.child.kill('SIGTERM');
      const timer = setTimeout(() => this.child.kill('SIGKILL'), graceMs);
      await this.exited;
      clearTimeout(timer);
    }
    await this.exited;
  }
}

/** A fresh private directory under the system temp dir, and a function that removes it. */
export function makeTempDir(prefix: string): { dir: string; remove(): void } {
  const dir = mkdtempSync(path.join(os.tmpdir(), `docksphere-${prefix}-`));
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/**
 * Waits for a just-started server to be ready; if it never is, stops it and runs `cleanup`
 * (its temp dir) before rethrowing, so a failed start leaves nothing behind.
 */
export async function awaitReady(server: ServerProcess, ready: () => Promise<unknown>, cleanup: () => void = () => {}): Promise<void> {
  try {
    await ready();
  } catch (err) {
    await server.stop();
    cleanup();
    throw err;
  }
}
