// A small image (config + one layer + OCI manifest) pushed for the manifest, HEAD and tags scenarios.
import { createHash, randomBytes } from 'node:crypto';
import { MediaTypes } from '@docksphere/oci';
import type { BenchContext } from '../context.ts';
import { expectStatus, pushSmallBlob } from '../registry-client.ts';

export interface SeededImage {
  repo: string;
  manifest: Buffer;
  manifestDigest: string;
  layerDigest: string;
}

function sha256(bytes: Buffer): string {
  return `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
}

export async function seedImage(ctx: BenchContext, repo: string, tag: string): Promise<SeededImage> {
  const layer = randomBytes(32 * 1024);
  const layerDigest = sha256(layer);
  const config = Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: [layerDigest] }, config: {} }));
  const configDigest = sha256(config);
  await pushSmallBlob(ctx.client, repo, layer, layerDigest);
  await pushSmallBlob(ctx.client, repo, config, configDigest);
  const manifest = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: MediaTypes.OciManifest,
      config: { mediaType: MediaTypes.OciConfig, digest: configDigest, size: config.length },
      layers: [{ mediaType: MediaTypes.OciLayerGzip, digest: layerDigest, size: layer.length }],
    }),
  );
  await putManifest(ctx, repo, tag, manifest);
  return { repo, manifest, manifestDigest: sha256(manifest), layerDigest };
}

export async function putManifest(ctx: BenchContext, repo: string, tag: string, manifest: Buffer): Promise<void> {
  const res = await ctx.client.request('PUT', `/v2/${repo}/manifests/${tag}`, {
    headers: { 'content-type': MediaTypes.OciManifest, 'content-length': manifest.length },
    body: manifest,
  });
  expectStatus(`PUT manifest ${repo}:${tag}`, res, 201);
}

/** The Accept header docker and containerd send for manifests. */
export const manifestAccept = [MediaTypes.OciManifest, MediaTypes.OciIndex, MediaTypes.DockerManifest, MediaTypes.DockerManifestList].join(', ');
