// Runs a client command (docker, skopeo, podman) with a timeout and returns what it printed; a
// non-zero exit is an error carrying the command line and output, unless the caller expects it.
import { spawn } from 'node:child_process';

export interface CommandResult {
  code: number;
  stdout: string;
  stderr: string;
}

const MAX_OUTPUT = 4 * 1024 * 1024;

/** Runs without a shell; passwords go through `input` (stdin), never argv or logs. */
export function run(command: string, args: readonly string[], opts: { env?: NodeJS.ProcessEnv; input?: string; timeoutMs?: number; cwd?: string } = {}): Promise<CommandResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { env: opts.env ?? process.env, cwd: opts.cwd, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout = (stdout + c.toString()).slice(-MAX_OUTPUT)));
    child.stderr.on('data', (c: Buffer) => (stderr = (stderr + c.toString()).slice(-MAX_OUTPUT)));
    const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 240_000);
    child.once('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code: code ?? (signal ? 128 : 1), stdout, stderr });
    });
    // A client that exits without reading its stdin (most commands) must not crash the test run.
    child.stdin.on('error', () => undefined);
    child.stdin.end(opts.input ?? '');
  });
}

/** Like run(), but a non-zero exit throws with the command and its output. */
export async function runOk(command: string, args: readonly string[], opts: Parameters<typeof run>[2] = {}): Promise<CommandResult> {
  const r = await run(command, args, opts);
  if (r.code !== 0) throw new Error(`${command} ${args.join(' ')} exited ${r.code}\n${r.stderr}\n${r.stdout}`.slice(0, 8000));
  return r;
}
