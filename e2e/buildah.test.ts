// buildah (as root, vfs storage in a temp dir, plain http) against DockSphere: what it does that
// the podman and skopeo suites do not. It pushes in OCI format with zstd-compressed layers
// (re-compressed on the way, so the registry sees blobs no other suite sends) and pushes a
// manifest list it assembled itself with `buildah manifest push --all`, then pulls both back
// with nothing cached.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureDockerd, hasCommand, makeTempDir, requireServer } from '@docksphere/infra';
import { pushUser, registryFetch, writeAuthFile } from './harness/registry-client.ts';
import type { RegistryUnderTest } from './harness/registry-under-test.ts';
import { runOk } from './harness/run.ts';
import { targets } from './harness/targets.ts';
import { printLogsOnFailure } from './harness/logs-on-failure.ts';
import { buildSavedTestImage, removeImages, type TestImage } from './harness/test-image.ts';

// The image is built with docker and handed over with docker save, as in the podman suite.
const haveBuildah = requireServer('buildah', hasCommand('buildah') && hasCommand('docker') && hasCommand('dockerd'));

const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';
const OCI_INDEX = 'application/vnd.oci.image.index.v1+json';

interface Manifest {
  mediaType: string;
  layers: { mediaType: string; digest: string }[];
}
interface Index {
  mediaType: string;
  manifests: { mediaType: string; digest: string; platform?: { os: string; architecture: string } }[];
}

describe.skipIf(!haveBuildah).each(targets())('buildah against $name', (target) => {
  const temp = makeTempDir('buildah');
  const dockerConfig = path.join(temp.dir, 'docker-config');
  const storage = ['--root', path.join(temp.dir, 'root'), '--runroot', path.join(temp.dir, 'runroot'), '--storage-driver', 'vfs'];
  let registry: RegistryUnderTest;
  let image: TestImage;
  let authfile: string;
  let local: string;
  let digest: string;

  const buildah = (args: string[]) => runOk('buildah', [...storage, ...args], { timeoutMs: 180_000, env: { ...process.env, TMPDIR: temp.dir } });
  const remote = (ref: string) => `${registry.host}/e2e/buildah${ref}`;
  // This buildah's --format templates have no json function: read the whole inspect document.
  const diffIds = async (ref: string) => (JSON.parse((await buildah(['inspect', '--type', 'image', ref])).stdout) as { OCIv1: { rootfs: { diff_ids: string[] } } }).OCIv1.rootfs.diff_ids;
  const fetchJson = async <T>(pathname: string, accept: string): Promise<{ status: number; digest: string | null; body: T }> => {
    const res = await registryFetch(registry, pathname, { headers: { accept } }, pushUser(registry));
    return { status: res.status, digest: res.headers.get('docker-content-digest'), body: (await res.json()) as T };
  };

  printLogsOnFailure(() => registry);

  beforeAll(async () => {
    await ensureDockerd();
    registry = await target.start();
    const saved = await buildSavedTestImage(dockerConfig, temp.dir, `buildah-${target.name}`);
    image = saved.image;
    const archive = saved.archive;
    local = (await buildah(['pull', `docker-archive:${archive}`])).stdout.trim().split('\n').pop()!;
    authfile = writeAuthFile(path.join(temp.dir, 'auth'), registry, pushUser(registry));
  });

  afterAll(async () => {
    if (image) await removeImages(dockerConfig, [image.ref, image.baseRef]);
    await registry?.stop();
    temp.remove();
  });

  it('pushes in OCI format with zstd layers; the registry serves that manifest and every layer', async () => {
    const digestFile = path.join(temp.dir, 'digest');
    await buildah(['push', '--tls-verify=false', '--authfile', authfile, '--format', 'oci', '--compression-format', 'zstd', '--digestfile', digestFile, local, `docker://${remote(':zstd')}`]);
    digest = readFileSync(digestFile, 'utf8').trim();
    const got = await fetchJson<Manifest>('/v2/e2e/buildah/manifests/zstd', OCI_MANIFEST);
    expect(got.status).toBe(200);
    expect(got.digest).toBe(digest);
    expect(got.body.mediaType).toBe(OCI_MANIFEST);
    expect(got.body.layers).toHaveLength(image.diffIds.length);
    for (const layer of got.body.layers) {
      expect(layer.mediaType).toBe('application/vnd.oci.image.layer.v1.tar+zstd');
      const head = await registryFetch(registry, `/v2/e2e/buildah/blobs/${layer.digest}`, { method: 'HEAD' }, pushUser(registry));
      expect(head.status, layer.digest).toBe(200);
    }
  });

  it('pulls the zstd image by tag and by digest with nothing cached: the same layers', async () => {
    for (const ref of [remote(':zstd'), remote(`@${digest}`)]) {
      await buildah(['rmi', '--all', '--force']);
      expect((await buildah(['images', '--quiet'])).stdout.trim()).toBe('');
      await buildah(['pull', '--tls-verify=false', '--authfile', authfile, ref]);
      expect(await diffIds(ref)).toEqual(image.diffIds);
    }
  });

  it('pushes a manifest list it assembled (manifest push --all) and pulls the platform image back through it', async () => {
    await buildah(['manifest', 'create', 'e2e-list']);
    await buildah(['manifest', 'add', '--tls-verify=false', '--authfile', authfile, 'e2e-list', `docker://${remote(':zstd')}`]);
    await buildah(['manifest', 'push', '--tls-verify=false', '--authfile', authfile, '--all', '--format', 'oci', 'e2e-list', `docker://${remote(':list')}`]);

    const index = await fetchJson<Index>('/v2/e2e/buildah/manifests/list', OCI_INDEX);
    expect(index.status).toBe(200);
    expect(index.body.mediaType).toBe(OCI_INDEX);
    expect(index.body.manifests).toHaveLength(1);
    const [entry] = index.body.manifests;
    expect(entry).toMatchObject({ mediaType: OCI_MANIFEST, digest, platform: { os: 'linux' } });
    const child = await fetchJson<Manifest>(`/v2/e2e/buildah/manifests/${digest}`, OCI_MANIFEST);
    expect(child.status).toBe(200);

    await buildah(['rmi', '--all', '--force']);
    await buildah(['pull', '--tls-verify=false', '--authfile', authfile, remote(':list')]);
    expect(await diffIds(remote(':list'))).toEqual(image.diffIds);
  });
});
