// Starts a registry server as a child process on a free loopback port, waits until /v2/ answers,
// and stops it (SIGTERM, then SIGKILL) — also when the benchmark itself fails or is interrupted.
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, openSync, readFileSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import { processTree } from '../proc-stats.ts';
import type { ServerProcesses } from '../server-side.ts';

export interface RunningServer {
  name: string;
  baseUrl: string;
  /** Every process of the server side (the registry's first), for /proc readings and freezing. */
  processes: ServerProcesses;
  logFile: string;
  /** Seconds from spawn until GET /v2/ answered. */
  readySeconds: number;
  stop(): Promise<void>;
}

const live = new Set<ChildProcess>();

/** On exit: SIGKILL every started server and its descendants (a frozen or killed parent cannot stop its own children). */
function killAllSync(): void {
  for (const child of live) {
    for (const pid of child.pid === undefined ? [] : processTree(child.pid)) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
  }
  live.clear();
}
process.on('exit', killAllSync);

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => (port ? resolve(port) : reject(new Error('no free port'))));
    });
  });
}

function probe(url: string): Promise<number> {
  return new Promise((resolve) => {
    const req = http.get(url, { timeout: 2000 }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(0));
  });
}

function tail(file: string, bytes = 2000): string {
  try {
    const text = readFileSync(file, 'utf8');
    return text.slice(-bytes);
  } catch {
    return '';
  }
}

export interface SpawnSpec {
  name: string;
  command: string;
  args: string[];
  env: NodeJS.ProcessEnv;
  cwd: string;
  port: number;
  logFile: string;
  readyTimeoutMs: number;
}

export async function startServer(spec: SpawnSpec): Promise<RunningServer> {
  const spawnedAt = performance.now();
  const logFd = openSync(spec.logFile, 'a');
  const child = spawn(spec.command, spec.args, { cwd: spec.cwd, env: spec.env, stdio: ['ignore', logFd, logFd] });
  closeSync(logFd);
  live.add(child);
  let exited: string | undefined;
  const exitedPromise = new Promise<void>((resolve) => {
    child.once('exit', (code, signal) => {
      exited = `exited with ${signal ?? code}`;
      live.delete(child);
      resolve();
    });
    child.once('error', (err) => {
      exited = `failed to start: ${err.message}`;
      live.delete(child);
      resolve();
    });
  });

  const baseUrl = `http://127.0.0.1:${spec.port}`;
  const stop = async (): Promise<void> => {
    if (exited === undefined) {
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
      await exitedPromise;
      clearTimeout(timer);
    }
  };

  const deadline = Date.now() + spec.readyTimeoutMs;
  for (;;) {
    if (exited !== undefined) throw new Error(`${spec.name} ${exited} before it was ready:\n${tail(spec.logFile)}`);
    const status = await probe(`${baseUrl}/v2/`);
    if (status === 200) break;
    if (status !== 0) {
      await stop();
      throw new Error(`${spec.name} answers GET /v2/ with ${status}; the benchmark needs a registry without auth`);
    }
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`${spec.name} not ready within ${spec.readyTimeoutMs} ms:\n${tail(spec.logFile)}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  if (child.pid === undefined) throw new Error(`${spec.name} has no pid`);
  const readySeconds = (performance.now() - spawnedAt) / 1000;
  console.log(`  [${spec.name}] ready in ${readySeconds.toFixed(1)} s (pid ${child.pid})`);
  return { name: spec.name, baseUrl, processes: [{ role: 'registry', pid: child.pid }], logFile: spec.logFile, readySeconds, stop };
}
