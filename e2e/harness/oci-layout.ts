// Writes OCI image layout directories (oci-layout, index.json, blobs/sha256/*) for skopeo to push:
// real gzip'd tar layers, image configs, manifests, image indexes and artifacts, bytes kept so
// tests can compare what a registry serves with what was written.
import { createHash } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { gzipSync } from 'node:zlib';

export interface Descriptor {
  mediaType: string;
  digest: string;
  size: number;
  platform?: { architecture: string; os: string };
  artifactType?: string;
  annotations?: Record<string, string>;
}

export const MEDIA = {
  index: 'application/vnd.oci.image.index.v1+json',
  manifest: 'application/vnd.oci.image.manifest.v1+json',
  config: 'application/vnd.oci.image.config.v1+json',
  layer: 'application/vnd.oci.image.layer.v1.tar+gzip',
  empty: 'application/vnd.oci.empty.v1+json',
} as const;

export function sha256(bytes: Buffer): string {
  return `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
}

/** A one-file ustar archive: enough for a real, extractable layer. */
export function tarOneFile(name: string, content: Buffer): Buffer {
  const header = Buffer.alloc(512);
  header.write(name, 0, 100, 'utf8');
  header.write('0000644\0', 100);
  header.write('0000000\0', 108);
  header.write('0000000\0', 116);
  header.write(`${content.length.toString(8).padStart(11, '0')}\0`, 124);
  header.write(`${(0).toString(8).padStart(11, '0')}\0`, 136);
  header.write('        ', 148); // checksum field counts as spaces while summing
  header.write('0', 156);
  header.write('ustar\0', 257);
  header.write('00', 263);
  let sum = 0;
  for (const b of header) sum += b;
  header.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148);
  const padding = Buffer.alloc((512 - (content.length % 512)) % 512);
  return Buffer.concat([header, content, padding, Buffer.alloc(1024)]);
}

/** An OCI layout being assembled in `dir`; call write() to put index.json down. */
export class OciLayout {
  private readonly refs: Descriptor[] = [];

  constructor(readonly dir: string) {
    mkdirSync(path.join(dir, 'blobs', 'sha256'), { recursive: true });
    writeFileSync(path.join(dir, 'oci-layout'), JSON.stringify({ imageLayoutVersion: '1.0.0' }));
  }

  /** Stores bytes as a blob and returns its descriptor. */
  blob(mediaType: string, bytes: Buffer, extra: Partial<Descriptor> = {}): Descriptor & { bytes: Buffer } {
    const digest = sha256(bytes);
    writeFileSync(path.join(this.dir, 'blobs', 'sha256', digest.slice('sha256:'.length)), bytes);
    return { mediaType, digest, size: bytes.length, ...extra, bytes };
  }

  /** A single-platform image: one gzip'd layer holding `file`, its config, its manifest. */
  image(opts: { architecture: string; os?: string; file: string; content: string }): { manifest: Descriptor & { bytes: Buffer }; layer: Descriptor; config: Descriptor } {
    const os = opts.os ?? 'linux';
    const tar = tarOneFile(opts.file, Buffer.from(opts.content));
    const layer = this.blob(MEDIA.layer, gzipSync(tar));
    const configJson = { architecture: opts.architecture, os, config: { Cmd: [`/${opts.file}`] }, rootfs: { type: 'layers', diff_ids: [sha256(tar)] } };
    const config = this.blob(MEDIA.config, Buffer.from(JSON.stringify(configJson)));
    const manifestJson = { schemaVersion: 2, mediaType: MEDIA.manifest, config: strip(config), layers: [strip(layer)] };
    const manifest = this.blob(MEDIA.manifest, Buffer.from(JSON.stringify(manifestJson, null, 2)), { platform: { architecture: opts.architecture, os } });
    return { manifest, layer: strip(layer), config: strip(config) };
  }

  /** An image index over manifests (each descriptor keeps its platform). */
  index(manifests: Descriptor[]): Descriptor & { bytes: Buffer } {
    const json = { schemaVersion: 2, mediaType: MEDIA.index, manifests: manifests.map(strip) };
    return this.blob(MEDIA.index, Buffer.from(JSON.stringify(json, null, 2)));
  }

  /** An artifact: an image manifest with artifactType, the empty config, one blob, and a subject. */
  artifact(opts: { artifactType: string; subject: Descriptor; blobMediaType: string; content: string; annotations?: Record<string, string> }): Descriptor & { bytes: Buffer } {
    const empty = this.blob(MEDIA.empty, Buffer.from('{}'));
    const payload = this.blob(opts.blobMediaType, Buffer.from(opts.content));
    const json = {
      schemaVersion: 2,
      mediaType: MEDIA.manifest,
      artifactType: opts.artifactType,
      config: strip(empty),
      layers: [strip(payload)],
      subject: { mediaType: opts.subject.mediaType, digest: opts.subject.digest, size: opts.subject.size },
      ...(opts.annotations ? { annotations: opts.annotations } : {}),
    };
    return this.blob(MEDIA.manifest, Buffer.from(JSON.stringify(json, null, 2)), { artifactType: opts.artifactType, ...(opts.annotations ? { annotations: opts.annotations } : {}) });
  }

  /** Names a manifest in index.json, for `oci:<dir>:<ref>`. */
  ref(name: string, manifest: Descriptor): void {
    this.refs.push({ ...strip(manifest), annotations: { 'org.opencontainers.image.ref.name': name } });
  }

  write(): void {
    writeFileSync(path.join(this.dir, 'index.json'), JSON.stringify({ schemaVersion: 2, mediaType: MEDIA.index, manifests: this.refs }));
  }
}

/** The descriptor fields that go into a manifest (no bytes). */
export function strip(d: Descriptor & { bytes?: Buffer }): Descriptor {
  const { bytes: _bytes, ...rest } = d;
  return rest;
}
