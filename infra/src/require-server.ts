// Decides what a test does when a real server or client it needs is missing: fail under CI, skip otherwise.
import { spawnSync } from 'node:child_process';

/** True when `command` is an executable on PATH (or an absolute path to one). */
export function hasCommand(command: string): boolean {
  return spawnSync('sh', ['-c', `command -v "$1" >/dev/null`, 'sh', command]).status === 0;
}

/**
 * Returns true when the server can be used. When it cannot: with CI=true it throws (a missing
 * server in CI is a failure, never a silent skip); elsewhere it warns with the reason and returns
 * false so the caller skips (`describe.skipIf(!requireServer(...))`).
 */
export function requireServer(name: string, available: boolean, hint = 'run infra/install-system-deps.sh'): boolean {
  if (available) return true;
  const reason = `${name} is not available on this machine (${hint})`;
  if (process.env.CI === 'true') throw new Error(`${reason}; CI=true requires it`);
  console.warn(`[infra] skipping: ${reason}`);
  return false;
}
