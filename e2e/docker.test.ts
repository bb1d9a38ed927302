// The real docker CLI and engine against DockSphere: login through the token service, push a
// locally built multi-layer image, pull it back by tag and by digest with nothing cached, assemble
// a manifest list in another repository with `docker manifest` (its blobs arrive by cross-repository
// mount) and pull through it, and the failures a user meets (wrong password, a missing tag, pushing
// without push rights).
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureDockerd, hasCommand, makeTempDir, requireServer } from '@docksphere/infra';
import { pushUser, registryFetch } from './harness/registry-client.ts';
import type { RegistryUnderTest } from './harness/registry-under-test.ts';
import { run } from './harness/run.ts';
import { targets } from './harness/targets.ts';
import { printLogsOnFailure } from './harness/logs-on-failure.ts';
import { buildTestImage, docker, imageLayers, removeImages, type TestImage } from './harness/test-image.ts';

const haveDocker = requireServer('docker', hasCommand('docker') && hasCommand('dockerd'));

/** "v1: digest: sha256:… size: 1234" from `docker push`. */
function pushedDigest(output: string): string {
  const m = /digest: (sha256:[0-9a-f]{64}) size: \d+/.exec(output);
  if (!m) throw new Error(`no digest in docker push output:\n${output}`);
  return m[1]!;
}

describe.skipIf(!haveDocker).each(targets())('docker against $name', (target) => {
  const temp = makeTempDir('docker');
  const configDir = path.join(temp.dir, 'docker-config');
  let registry: RegistryUnderTest;
  let image: TestImage;
  let remote: string;
  let digest: string;

  /** Upload sessions opened so far (POST …/blobs/uploads/), per NGINX's access log; -1 without one. */
  function uploadStarts(): number {
    return registry.frontAccessLog ? registry.frontAccessLog().split('\n').filter((l) => /"POST \/v2\/e2e\/app\/blobs\/uploads\/ /.test(l)).length : -1;
  }

  /** Removes every local name of the test image and its base, so a pull must fetch every layer. */
  async function forgetLocally(...extra: string[]): Promise<void> {
    await removeImages(configDir, [image.ref, image.baseRef, remote, ...extra]);
    const gone = await run('docker', ['image', 'inspect', image.imageId], { env: { ...process.env, DOCKER_CONFIG: configDir } });
    expect(gone.code, 'the image should be gone from the engine before pulling').not.toBe(0);
  }

  printLogsOnFailure(() => registry);

  beforeAll(async () => {
    await ensureDockerd();
    registry = await target.start();
    image = await buildTestImage(configDir, path.join(temp.dir, 'build'), target.name);
    remote = `${registry.host}/e2e/app:v1`;
  });

  afterAll(async () => {
    const byDigest = digest ? [`${registry.host}/e2e/app@${digest}`] : [];
    if (image) await removeImages(configDir, [image.ref, image.baseRef, remote, ...byDigest]);
    await registry?.stop();
    temp.remove();
  });

  it.skipIf(target.name === 'reference')('rejects docker login with a wrong password', async () => {
    const user = registry.auth!.users[0]!;
    const r = await run('docker', ['login', registry.host, '-u', user.username, '--password-stdin'], { input: 'not-the-password', env: { ...process.env, DOCKER_CONFIG: configDir } });
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/unauthorized|incorrect username or password/i);
  });

  it.skipIf(target.name === 'reference')('logs in through the token service', async () => {
    const user = registry.auth!.users[0]!;
    const r = await docker(configDir, ['login', registry.host, '-u', user.username, '--password-stdin'], { input: user.password });
    expect(r.stdout).toContain('Login Succeeded');
  });

  it('pushes a multi-layer image', async () => {
    expect(image.diffIds.length).toBe(4);
    await docker(configDir, ['tag', image.ref, remote]);
    const pushed = await docker(configDir, ['push', remote]);
    digest = pushedDigest(pushed.stdout);
    expect(pushed.stdout.match(/: Pushed$/gm)?.length).toBe(4);
  });

  it('pushing the same image again uploads nothing and keeps the digest', async () => {
    const uploadsBefore = uploadStarts();
    const again = await docker(configDir, ['push', remote]);
    expect(pushedDigest(again.stdout)).toBe(digest);
    expect(again.stdout).not.toMatch(/: Pushed$/m);
    expect(again.stdout.match(/: Layer already exists$/gm)?.length).toBe(4);
    // Behind NGINX the access log shows it from the server side too: no upload session was opened.
    if (registry.frontAccessLog) expect(uploadStarts()).toBe(uploadsBefore);
  });

  it('pulls by tag with nothing cached: same layers, same digest', async () => {
    await forgetLocally();
    const pulled = await docker(configDir, ['pull', remote]);
    expect(pulled.stdout).toContain(`Digest: ${digest}`);
    expect(pulled.stdout.match(/: Pull complete$/gm)?.length).toBe(4);
    const local = await imageLayers(configDir, remote);
    expect(local.diffIds).toEqual(image.diffIds);
    expect(local.id).toBe(image.imageId);
    expect(local.repoDigests).toContain(`${registry.host}/e2e/app@${digest}`);
  });

  it('pulls by digest with nothing cached', async () => {
    const byDigest = `${registry.host}/e2e/app@${digest}`;
    await forgetLocally(byDigest);
    await docker(configDir, ['pull', byDigest]);
    const local = await imageLayers(configDir, byDigest);
    expect(local.diffIds).toEqual(image.diffIds);
    expect(local.id).toBe(image.imageId);
  });

  it.skipIf(target.name !== 'distributed')('behind NGINX, layer bytes are sent by NGINX from the storage dir (X-Accel-Redirect)', () => {
    const blobGets = registry
      .frontAccessLog!()
      .split('\n')
      .filter((line) => /"GET \/v2\/e2e\/app\/blobs\/sha256:[0-9a-f]{64} HTTP\/1\.1" 200 /.test(line));
    // Two uncached pulls: each fetched the config and the four layers.
    expect(blobGets.length).toBeGreaterThanOrEqual(10);
    expect(blobGets.filter((line) => !line.endsWith('accel=1'))).toEqual([]);
  });

  it.skipIf(target.name !== 'distributed')('behind NGINX, the push and pulls were spread over both registry replicas', () => {
    const replicas = new Set(
      registry
        .frontAccessLog!()
        .split('\n')
        .filter((line) => line.includes(' /v2/e2e/app/'))
        .map((line) => /upstream=(\S+)/.exec(line)?.[1]),
    );
    replicas.delete(undefined);
    expect(replicas.size).toBe(2);
  });

  it('docker manifest create/push assembles a manifest list in another repository, mounting the blobs, and docker pulls through it', async () => {
    const list = `${registry.host}/e2e/multi:list`;
    await docker(configDir, ['manifest', 'create', '--insecure', list, `${registry.host}/e2e/app@${digest}`]);
    const pushed = await docker(configDir, ['manifest', 'push', '--insecure', '--purge', list]);
    // It prints each child it pushed, then the list's own digest last.
    const listDigest = pushed.stdout.match(/sha256:[0-9a-f]{64}/g)?.pop();
    expect(listDigest).toBeDefined();
    const got = await registryFetch(registry, `/v2/e2e/multi/manifests/${listDigest}`, { headers: { accept: 'application/vnd.docker.distribution.manifest.list.v2+json' } }, pushUser(registry));
    expect(got.status).toBe(200);
    expect(got.headers.get('content-type')).toBe('application/vnd.docker.distribution.manifest.list.v2+json');
    expect(((await got.json()) as { manifests: { digest: string }[] }).manifests.map((m) => m.digest)).toEqual([digest]);
    if (registry.frontAccessLog) {
      // docker's manifest push brings the image's blobs over by cross-repository mount (201), not by upload.
      const mounts = registry
        .frontAccessLog()
        .split('\n')
        .filter((l) => l.includes('"POST /v2/e2e/multi/blobs/uploads/?') && /[?&]mount=sha256(:|%3A)[0-9a-f]{64}/.test(l) && /[?&]from=e2e(%2F|\/)app[& ]/.test(l) && / 201 /.test(l));
      expect(mounts.length).toBe(image.diffIds.length + 1);
    }
    await forgetLocally(list, `${registry.host}/e2e/app@${digest}`);
    await docker(configDir, ['pull', list]);
    const local = await imageLayers(configDir, list);
    expect(local.id).toBe(image.imageId);
    expect(local.repoDigests).toContain(`${registry.host}/e2e/multi@${listDigest}`);
    await removeImages(configDir, [list]);
  });

  it('runs the pulled image', async () => {
    const out = await docker(configDir, ['run', '--rm', '--network', 'none', `${registry.host}/e2e/app@${digest}`]);
    expect(out.stdout).toMatch(new RegExp(`^hello from ${target.name} [0-9a-f]{8}$`, 'm'));
  });

  it('fails to pull a tag that does not exist, saying the manifest is unknown', async () => {
    const r = await run('docker', ['pull', `${registry.host}/e2e/app:no-such-tag`], { env: { ...process.env, DOCKER_CONFIG: configDir } });
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/manifest unknown|not found/i);
  });

  it.skipIf(target.name === 'reference')('a pull-only user can pull but not push', async () => {
    const reader = registry.auth!.users[1]!;
    const readerConfig = path.join(temp.dir, 'reader-config');
    await docker(readerConfig, ['login', registry.host, '-u', reader.username, '--password-stdin'], { input: reader.password });
    await docker(readerConfig, ['pull', remote]);
    const otherTag = `${registry.host}/e2e/app:from-reader`;
    await docker(readerConfig, ['tag', remote, otherTag]);
    const r = await run('docker', ['push', otherTag], { env: { ...process.env, DOCKER_CONFIG: readerConfig } });
    await run('docker', ['rmi', otherTag], { env: { ...process.env, DOCKER_CONFIG: readerConfig } });
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/denied|unauthorized|insufficient_scope/i);
  });
});
