// Processes the conformance tests run against: Debian's docker-registry (CNCF Distribution 2.8,
// the reference that validates the suite itself) and, until the e2e harness provides it, the
// built DockSphere all-in-one bundle. Both on a free 127.0.0.1 port with data in a temp dir.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

export interface RunningServer {
  url: string;
  /** Last lines the process wrote, for failure messages. */
  output(): string;
  stop(): Promise<void>;
}

export const REFERENCE_REGISTRY_BINARY = '/usr/bin/docker-registry';

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** Keeps the tail of a child's stdout+stderr, bounded. */
function captureOutput(child: ChildProcess): () => string {
  let tail = '';
  const keep = (chunk: Buffer) => {
    tail = (tail + chunk.toString('utf8')).slice(-8000);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  return () => tail;
}

async function waitForV2(url: string, child: ChildProcess, output: () => string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`server exited with ${child.exitCode} before answering:\n${output()}`);
    try {
      const res = await fetch(`${url}/v2/`);
      // 200 without auth, 401 with token auth: either way the API is up.
      if (res.status === 200 || res.status === 401) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`server at ${url} did not answer /v2/ within ${timeoutMs} ms:\n${output()}`);
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
  await exited;
  clearTimeout(timer);
}

/** Starts `docker-registry serve` with filesystem storage in a temp dir, delete enabled, no auth. */
export async function startReferenceRegistry(): Promise<RunningServer> {
  if (!existsSync(REFERENCE_REGISTRY_BINARY)) {
    throw new Error(`${REFERENCE_REGISTRY_BINARY} is missing: install it with infra/install-system-deps.sh (apt-get install docker-registry)`);
  }
  const dir = await mkdtemp(path.join(os.tmpdir(), 'docksphere-reference-registry-'));
  const port = await freePort();
  const config = [
    'version: 0.1',
    'log:',
    '  level: warn',
    '  accesslog:',
    '    disabled: true',
    'storage:',
    '  filesystem:',
    `    rootdirectory: ${path.join(dir, 'data')}`,
    '  delete:',
    '    enabled: true',
    '  maintenance:',
    '    uploadpurging:',
    '      enabled: false',
    'http:',
    `  addr: 127.0.0.1:${port}`,
    '  secret: conformance-reference-only',
    '',
  ].join('\n');
  const configPath = path.join(dir, 'config.yml');
  await writeFile(configPath, config);
  const child = spawn(REFERENCE_REGISTRY_BINARY, ['serve', configPath], { stdio: ['ignore', 'pipe', 'pipe'] });
  const output = captureOutput(child);
  const url = `http://127.0.0.1:${port}`;
  try {
    await waitForV2(url, child, output, 20_000);
  } catch (err) {
    await stopChild(child);
    await rm(dir, { recursive: true, force: true });
    throw err;
  }
  return {
    url,
    output,
    stop: async () => {
      await stopChild(child);
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/**
 * Starts the built all-in-one bundle (`node scripts/build.mjs` must have run) with REGISTRY_AUTH=none.
 * Used until e2e/harness provides startAllInOne.
 */
export async function startAllInOneBundle(repoRoot: string, env: Record<string, string> = {}): Promise<RunningServer> {
  const main = path.join(repoRoot, 'apps/all-in-one/dist/main.mjs');
  if (!existsSync(main)) throw new Error(`${main} is missing: run node scripts/build.mjs first`);
  const dir = await mkdtemp(path.join(os.tmpdir(), 'docksphere-conformance-'));
  const port = await freePort();
  const child = spawn(process.execPath, [main], {
    cwd: repoRoot,
    env: { ...process.env, PORT: String(port), HOST: '127.0.0.1', DATA_DIR: dir, REGISTRY_AUTH: 'none', LOG_LEVEL: 'warn', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const output = captureOutput(child);
  const url = `http://127.0.0.1:${port}`;
  try {
    await waitForV2(url, child, output, 60_000);
  } catch (err) {
    await stopChild(child);
    await rm(dir, { recursive: true, force: true });
    throw err;
  }
  return {
    url,
    output,
    stop: async () => {
      await stopChild(child);
      await rm(dir, { recursive: true, force: true });
    },
  };
}
