// Debian's docker-registry (CNCF Distribution 2.8) on a free port, no auth: the reference the e2e
// suites are checked against, so a failure against DockSphere is DockSphere's, not the test's.
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { freePort, makeTempDir, ServerProcess, waitForHttp } from '@docksphere/infra';
import type { RegistryUnderTest } from './registry-under-test.ts';

export async function startReferenceRegistry(): Promise<RegistryUnderTest> {
  const temp = makeTempDir('refreg');
  const port = await freePort();
  const storageDir = path.join(temp.dir, 'storage');
  const config = path.join(temp.dir, 'config.yml');
  writeFileSync(
    config,
    [
      'version: 0.1',
      'log: { level: info }',
      `storage: { filesystem: { rootdirectory: ${storageDir} }, delete: { enabled: true } }`,
      `http: { addr: "127.0.0.1:${port}" }`,
      '',
    ].join('\n'),
  );
  const server = new ServerProcess('docker-registry', 'docker-registry', ['serve', config], { cwd: temp.dir, env: { PATH: process.env.PATH } });
  const url = `http://127.0.0.1:${port}`;
  try {
    await waitForHttp(`${url}/v2/`, { abort: () => server.exitedReason() });
  } catch (err) {
    await server.stop();
    temp.remove();
    throw err;
  }
  return {
    url,
    host: `127.0.0.1:${port}`,
    auth: undefined,
    dataDir: temp.dir,
    storageDir,
    logs: () => server.logs(),
    async stop() {
      await server.stop();
      temp.remove();
    },
  };
}
