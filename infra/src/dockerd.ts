// Makes sure a Docker engine answers on this machine: starts one dockerd (no iptables, no default
// bridge, which is what works on these hosts) when `docker info` fails, and leaves it running for
// every later test and teammate on the machine.
import { spawn, spawnSync } from 'node:child_process';
import { closeSync, mkdirSync, openSync, rmdirSync, statSync } from 'node:fs';
import { waitUntil } from './wait.ts';

const LOCK_DIR = '/tmp/docksphere-dockerd.lock';
const LOG_FILE = '/tmp/docksphere-dockerd.log';

function dockerAnswers(): boolean {
  return spawnSync('docker', ['info', '--format', '{{.ServerVersion}}'], { stdio: 'ignore', timeout: 20_000 }).status === 0;
}

async function withLock<T>(fn: () => Promise<T>): Promise<T> {
  // mkdir is atomic: exactly one process starts dockerd; a lock older than 2 minutes is stale.
  await waitUntil(
    'the dockerd start lock',
    async () => {
      try {
        mkdirSync(LOCK_DIR);
        return true;
      } catch {
        try {
          if (Date.now() - statSync(LOCK_DIR).mtimeMs > 120_000) rmdirSync(LOCK_DIR);
        } catch {
          /* removed meanwhile */
        }
        return false;
      }
    },
    { timeoutMs: 150_000, intervalMs: 250 },
  );
  try {
    return await fn();
  } finally {
    rmdirSync(LOCK_DIR);
  }
}

/** Resolves once `docker info` answers, starting dockerd first if nothing does. Never stops it. */
export async function ensureDockerd(): Promise<void> {
  if (dockerAnswers()) return;
  await withLock(async () => {
    if (dockerAnswers()) return;
    const log = openSync(LOG_FILE, 'a');
    const child = spawn('dockerd', ['--iptables=false', '--ip6tables=false', '--bridge=none'], {
      detached: true,
      stdio: ['ignore', log, log],
    });
    let failed: string | undefined;
    child.once('error', (err) => (failed = `could not start dockerd: ${err.message}`));
    child.once('exit', (code) => (failed = `dockerd exited with code ${code}; see ${LOG_FILE}`));
    child.unref();
    closeSync(log);
    await waitUntil('docker info', async () => dockerAnswers(), { timeoutMs: 90_000, intervalMs: 500, abort: () => failed });
  });
}
