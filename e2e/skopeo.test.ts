// skopeo against DockSphere: an OCI layout written here (a two-platform image index and an
// artifact whose subject is one of the images) is pushed, read back byte for byte, found through
// the referrers API, listed and deleted.
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hasCommand, makeTempDir, requireServer } from '@docksphere/infra';
import { MEDIA, OciLayout, type Descriptor } from './harness/oci-layout.ts';
import { pushUser, registryFetch, writeAuthFile } from './harness/registry-client.ts';
import type { RegistryUnderTest } from './harness/registry-under-test.ts';
import { run, runOk } from './harness/run.ts';
import { targets } from './harness/targets.ts';
import { printLogsOnFailure } from './harness/logs-on-failure.ts';

const haveSkopeo = requireServer('skopeo', hasCommand('skopeo'));
const SBOM_TYPE = 'application/vnd.example.sbom.v1+json';

describe.skipIf(!haveSkopeo).each(targets())('skopeo against $name', (target) => {
  const temp = makeTempDir('skopeo');
  const repo = 'e2e/multi';
  let registry: RegistryUnderTest;
  let authfile: string;
  let layout: OciLayout;
  let amd64: Descriptor & { bytes: Buffer };
  let arm64: Descriptor & { bytes: Buffer };
  let arm64Layer: Descriptor;
  let index: Descriptor & { bytes: Buffer };
  let sbom: Descriptor & { bytes: Buffer };

  const skopeo = (args: string[]) => runOk('skopeo', ['--insecure-policy', ...args], { timeoutMs: 120_000 });
  const remote = (ref: string) => `docker://${registry.host}/${ref}`;
  const api = (p: string, init?: RequestInit) => registryFetch(registry, p, init, pushUser(registry));

  printLogsOnFailure(() => registry);

  beforeAll(async () => {
    registry = await target.start();
    authfile = writeAuthFile(path.join(temp.dir, 'auth'), registry, pushUser(registry));
    layout = new OciLayout(path.join(temp.dir, 'layout'));
    amd64 = layout.image({ architecture: 'amd64', file: 'hello-amd64.txt', content: 'hello from amd64\n'.repeat(200) }).manifest;
    const arm64Image = layout.image({ architecture: 'arm64', file: 'hello-arm64.txt', content: 'hello from arm64\n'.repeat(300) });
    arm64 = arm64Image.manifest;
    arm64Layer = arm64Image.layer;
    index = layout.index([amd64, arm64]);
    sbom = layout.artifact({ artifactType: SBOM_TYPE, subject: amd64, blobMediaType: 'application/spdx+json', content: '{"spdxVersion":"SPDX-2.3"}', annotations: { 'org.example.kind': 'sbom' } });
    layout.ref('multi', index);
    layout.ref('sbom', sbom);
    layout.write();
  });

  afterAll(async () => {
    await registry?.stop();
    temp.remove();
  });

  it('pushes a two-platform image index with copy --all and reads every manifest back byte for byte', async () => {
    await skopeo(['copy', '--all', '--preserve-digests', '--dest-tls-verify=false', '--authfile', authfile, `oci:${layout.dir}:multi`, remote(`${repo}:v1`)]);

    const raw = await skopeo(['inspect', '--raw', '--tls-verify=false', '--authfile', authfile, remote(`${repo}:v1`)]);
    expect(Buffer.from(raw.stdout).equals(index.bytes)).toBe(true);
    for (const m of [amd64, arm64]) {
      const child = await skopeo(['inspect', '--raw', '--tls-verify=false', '--authfile', authfile, remote(`${repo}@${m.digest}`)]);
      expect(Buffer.from(child.stdout).equals(m.bytes)).toBe(true);
    }

    const res = await api(`/v2/${repo}/manifests/v1`, { headers: { accept: MEDIA.index } });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe(MEDIA.index);
    expect(res.headers.get('docker-content-digest')).toBe(index.digest);
    expect(Buffer.from(await res.arrayBuffer()).equals(index.bytes)).toBe(true);
  });

  it('resolves the platform image a client asks for', async () => {
    const inspected = await skopeo(['inspect', '--override-arch', 'arm64', '--override-os', 'linux', '--tls-verify=false', '--authfile', authfile, remote(`${repo}:v1`)]);
    // skopeo reports the digest of the reference (the index) and the chosen image's contents.
    const info = JSON.parse(inspected.stdout) as { Digest: string; Architecture: string; Layers: string[] };
    expect(info.Digest).toBe(index.digest);
    expect(info.Architecture).toBe('arm64');
    expect(info.Layers).toEqual([arm64Layer.digest]);
  });

  it('pushes an artifact whose subject is the amd64 image', async () => {
    await skopeo(['copy', '--preserve-digests', '--dest-tls-verify=false', '--authfile', authfile, `oci:${layout.dir}:sbom`, remote(`${repo}:sbom`)]);
    const raw = await skopeo(['inspect', '--raw', '--tls-verify=false', '--authfile', authfile, remote(`${repo}@${sbom.digest}`)]);
    expect(Buffer.from(raw.stdout).equals(sbom.bytes)).toBe(true);
  });

  it.skipIf(!target.supportsReferrers)('lists the artifact as a referrer of its subject, with and without an artifactType filter', async () => {
    const all = await api(`/v2/${repo}/referrers/${amd64.digest}`);
    expect(all.status).toBe(200);
    expect.soft(all.headers.get('content-type')).toBe(MEDIA.index);
    const body = (await all.json()) as { schemaVersion: number; mediaType: string; manifests: Descriptor[] };
    expect(body.schemaVersion).toBe(2);
    expect(body.mediaType).toBe(MEDIA.index);
    expect(body.manifests).toEqual([
      { mediaType: MEDIA.manifest, digest: sbom.digest, size: sbom.size, artifactType: SBOM_TYPE, annotations: { 'org.example.kind': 'sbom' } },
    ]);

    const filtered = await api(`/v2/${repo}/referrers/${amd64.digest}?artifactType=${encodeURIComponent(SBOM_TYPE)}`);
    expect(filtered.status).toBe(200);
    expect(filtered.headers.get('oci-filters-applied')).toBe('artifactType');
    expect(((await filtered.json()) as { manifests: Descriptor[] }).manifests.map((m) => m.digest)).toEqual([sbom.digest]);

    const other = await api(`/v2/${repo}/referrers/${amd64.digest}?artifactType=${encodeURIComponent('application/vnd.example.signature')}`);
    expect(other.status).toBe(200);
    expect(((await other.json()) as { manifests: Descriptor[] }).manifests).toEqual([]);

    // The other platform has no referrers: an empty index, not a 404.
    const none = await api(`/v2/${repo}/referrers/${arm64.digest}`);
    expect(none.status).toBe(200);
    expect(((await none.json()) as { manifests: Descriptor[] }).manifests).toEqual([]);
  });

  it('lists the tags', async () => {
    const listed = await skopeo(['list-tags', '--tls-verify=false', '--authfile', authfile, remote(repo)]);
    const { Repository, Tags } = JSON.parse(listed.stdout) as { Repository: string; Tags: string[] };
    expect(Repository).toBe(`${registry.host}/${repo}`);
    expect([...Tags].sort()).toEqual(['sbom', 'v1']);
  });

  it('deletes by tag: the index is gone by tag and by digest, the other manifests stay', async () => {
    await skopeo(['delete', '--tls-verify=false', '--authfile', authfile, remote(`${repo}:v1`)]);
    const byTag = await api(`/v2/${repo}/manifests/v1`, { headers: { accept: MEDIA.index } });
    expect(byTag.status).toBe(404);
    expect(((await byTag.json()) as { errors: { code: string }[] }).errors[0]?.code).toBe('MANIFEST_UNKNOWN');
    const byDigest = await api(`/v2/${repo}/manifests/${index.digest}`, { method: 'HEAD', headers: { accept: MEDIA.index } });
    expect(byDigest.status).toBe(404);
    const inspect = await run('skopeo', ['inspect', '--raw', '--tls-verify=false', '--authfile', authfile, remote(`${repo}:v1`)]);
    expect(inspect.code).not.toBe(0);
    expect(inspect.stderr).toMatch(/manifest unknown/i);
    const stillThere = await api(`/v2/${repo}/manifests/${amd64.digest}`, { method: 'HEAD', headers: { accept: MEDIA.manifest } });
    expect(stillThere.status).toBe(200);
  });

  it.skipIf(target.name !== 'distributed')('after the delete, every registry replica answers 404 at once, not only the one that deleted', async () => {
    for (const replicaUrl of registry.replicaUrls!) {
      const replica = { ...registry, url: replicaUrl };
      for (const ref of ['v1', index.digest]) {
        const res = await registryFetch(replica, `/v2/${repo}/manifests/${ref}`, { headers: { accept: MEDIA.index } }, pushUser(registry));
        await res.body?.cancel();
        expect.soft(res.status, `${replicaUrl} GET manifests/${ref}`).toBe(404);
      }
    }
  });
});
