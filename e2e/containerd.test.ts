// containerd's own client (ctr, from the containerd package docker.io depends on) against
// DockSphere: a different registry client from docker's and from the containers/image family
// (skopeo, podman, buildah). It imports the image the docker suite builds, pushes it with the
// token service's credentials, and pulls it back by tag and by digest with nothing cached, in a
// containerd namespace of its own on the containerd that dockerd runs.
import { existsSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureDockerd, hasCommand, makeTempDir, requireServer } from '@docksphere/infra';
import { pushUser, registryFetch } from './harness/registry-client.ts';
import type { RegistryUnderTest } from './harness/registry-under-test.ts';
import { run, runOk } from './harness/run.ts';
import { targets } from './harness/targets.ts';
import { printLogsOnFailure } from './harness/logs-on-failure.ts';
import { buildSavedTestImage, removeImages, type TestImage } from './harness/test-image.ts';

const haveCtr = requireServer('ctr (containerd)', hasCommand('ctr') && hasCommand('docker') && hasCommand('dockerd'));

/** A system containerd's socket if there is one (dockerd then uses it), else the one dockerd starts for itself. */
function containerdSocket(): string {
  const found = ['/run/containerd/containerd.sock', '/var/run/docker/containerd/containerd.sock'].find((s) => existsSync(s));
  if (!found) throw new Error('no containerd socket: dockerd runs no containerd at /run/containerd or /var/run/docker/containerd');
  return found;
}

interface ImageManifest {
  config: { digest: string };
  layers: { digest: string }[];
}

describe.skipIf(!haveCtr).each(targets())('containerd (ctr) against $name', (target) => {
  const temp = makeTempDir('ctr');
  const dockerConfig = path.join(temp.dir, 'docker-config');
  const namespace = `docksphere-e2e-${process.pid}-${target.name}`;
  let registry: RegistryUnderTest;
  let image: TestImage;
  let socket: string;
  let remote: string;
  let digest: string;
  let manifest: ImageManifest;

  const ctr = (args: string[]) => run('ctr', ['--address', socket, '--namespace', namespace, ...args], { timeoutMs: 180_000 });
  const ctrOk = (args: string[]) => runOk('ctr', ['--address', socket, '--namespace', namespace, ...args], { timeoutMs: 180_000 });
  const credentials = (): string[] => {
    const user = pushUser(registry);
    return user ? ['--user', `${user.username}:${user.password}`] : [];
  };
  const contentDigests = async () => (await ctrOk(['content', 'ls', '--quiet'])).stdout.split('\n').filter(Boolean);
  const forgetEverything = async () => {
    const refs = (await ctrOk(['images', 'ls', '--quiet'])).stdout.split('\n').filter(Boolean);
    if (refs.length > 0) await ctrOk(['images', 'rm', '--sync', ...refs]);
    const left = await contentDigests();
    if (left.length > 0) await ctrOk(['content', 'rm', ...left]);
  };

  printLogsOnFailure(() => registry);

  beforeAll(async () => {
    await ensureDockerd();
    socket = containerdSocket();
    registry = await target.start();
    const saved = await buildSavedTestImage(dockerConfig, temp.dir, `ctr-${target.name}`);
    image = saved.image;
    await ctrOk(['images', 'import', saved.archive]);
    remote = `${registry.host}/e2e/ctr:v1`;
    const local = (await ctrOk(['images', 'ls', '--quiet'])).stdout.split('\n').find((ref) => ref.endsWith(image.ref));
    if (!local) throw new Error(`ctr did not import ${image.ref}`);
    await ctrOk(['images', 'tag', local, remote]);
  });

  afterAll(async () => {
    if (socket) {
      await forgetEverything().catch(() => undefined);
      await ctr(['namespaces', 'rm', namespace]);
    }
    if (image) await removeImages(dockerConfig, [image.ref, image.baseRef]);
    await registry?.stop();
    temp.remove();
  });

  it.skipIf(target.name === 'reference')('is refused without credentials and with a wrong password', async () => {
    const anonymous = await ctr(['images', 'push', '--plain-http', remote]);
    expect(anonymous.code).not.toBe(0);
    const user = pushUser(registry)!;
    const wrong = await ctr(['images', 'push', '--plain-http', '--user', `${user.username}:wrong-password`, remote]);
    expect(wrong.code).not.toBe(0);
    expect(`${wrong.stdout}${wrong.stderr}`).toMatch(/unauthorized|401|authorization failed/i);
  });

  it('pushes the image: the registry holds the same manifest, config and layers', async () => {
    await ctrOk(['images', 'push', '--plain-http', ...credentials(), remote]);
    const res = await registryFetch(registry, '/v2/e2e/ctr/manifests/v1', { headers: { accept: 'application/vnd.docker.distribution.manifest.v2+json, application/vnd.oci.image.manifest.v1+json' } }, pushUser(registry));
    expect(res.status).toBe(200);
    digest = res.headers.get('docker-content-digest') ?? '';
    manifest = (await res.json()) as ImageManifest;
    expect(manifest.layers).toHaveLength(image.diffIds.length);
    // ctr pushes the manifest it imported, byte for byte: the digests agree.
    const listed = (await ctrOk(['images', 'ls'])).stdout.split('\n').find((line) => line.startsWith(`${remote} `));
    expect(listed).toContain(digest);
    for (const d of [manifest.config.digest, ...manifest.layers.map((l) => l.digest)]) {
      const head = await registryFetch(registry, `/v2/e2e/ctr/blobs/${d}`, { method: 'HEAD' }, pushUser(registry));
      expect(head.status, d).toBe(200);
    }
  });

  it('pulls by tag and by digest with nothing cached: every blob comes back', async () => {
    for (const ref of [remote, `${registry.host}/e2e/ctr@${digest}`]) {
      await forgetEverything();
      expect(await contentDigests()).toEqual([]);
      await ctrOk(['images', 'pull', '--plain-http', ...credentials(), ref]);
      const have = await contentDigests();
      for (const d of [digest, manifest.config.digest, ...manifest.layers.map((l) => l.digest)]) expect(have, `${ref}: ${d}`).toContain(d);
      const check = await ctrOk(['images', 'check']);
      expect(check.stdout).toMatch(/complete/);
    }
  });

  it('fails to pull a missing tag with not found', async () => {
    const r = await ctr(['images', 'pull', '--plain-http', ...credentials(), `${registry.host}/e2e/ctr:no-such-tag`]);
    expect(r.code).not.toBe(0);
    expect(`${r.stdout}${r.stderr}`).toMatch(/not found/i);
  });
});
