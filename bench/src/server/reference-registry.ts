// The reference: Debian's docker-registry (CNCF Distribution 2.8), filesystem storage in a temp dir,
// deletes enabled, log level warn and no access log, no auth, on a free loopback port.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { freePort, startServer, type RunningServer } from './server-process.ts';

export const REFERENCE_BINARY = '/usr/bin/docker-registry';

export function referenceVersion(): string {
  try {
    return execFileSync(REFERENCE_BINARY, ['--version'], { encoding: 'utf8', timeout: 5000 }).trim();
  } catch {
    return 'unknown';
  }
}

export function referenceAvailable(): boolean {
  return existsSync(REFERENCE_BINARY);
}

export async function startReference(workDir: string): Promise<RunningServer> {
  const port = await freePort();
  const root = path.join(workDir, 'storage');
  mkdirSync(root, { recursive: true });
  const config = path.join(workDir, 'config.yml');
  writeFileSync(
    config,
    [
      'version: 0.1',
      'log:',
      '  level: warn',
      '  accesslog:',
      '    disabled: true',
      'storage:',
      '  filesystem:',
      `    rootdirectory: ${root}`,
      '  delete:',
      '    enabled: true',
      // The Debian package's default config keeps blob descriptors in memory; so do we.
      '  cache:',
      '    blobdescriptor: inmemory',
      'http:',
      `  addr: 127.0.0.1:${port}`,
      '',
    ].join('\n'),
  );
  return startServer({
    name: 'reference',
    command: REFERENCE_BINARY,
    args: ['serve', config],
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: workDir },
    cwd: workDir,
    port,
    logFile: path.join(workDir, 'server.log'),
    readyTimeoutMs: 30_000,
  });
}
