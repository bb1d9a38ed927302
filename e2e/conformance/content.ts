// Test content for the conformance suite, shaped like the official suite's setup: per-workflow
// image configs and manifests, a gzip layer, random blobs for streamed and chunked uploads,
// artifact manifests with a subject (artifactType via config.mediaType or via artifactType with
// the empty config), an artifact index, and a manifest whose subject is never pushed.
// Digests are computed here with node:crypto on purpose: the suite must not share digest code
// with the registry it judges.
import { createHash, randomBytes } from 'node:crypto';
import { gzipSync } from 'node:zlib';

export type HashAlgorithm = 'sha256' | 'sha512';

export const MediaType = {
  manifest: 'application/vnd.oci.image.manifest.v1+json',
  index: 'application/vnd.oci.image.index.v1+json',
  config: 'application/vnd.oci.image.config.v1+json',
  layerGzip: 'application/vnd.oci.image.layer.v1.tar+gzip',
  empty: 'application/vnd.oci.empty.v1+json',
} as const;

export interface Blob {
  bytes: Buffer;
  digest: string;
  size: number;
}

export interface Manifest extends Blob {
  mediaType: string;
  /** What the referrers API must report for it (manifest artifactType, else config mediaType). */
  artifactType?: string;
  annotations?: Record<string, string>;
}

export interface Descriptor {
  mediaType: string;
  digest: string;
  size: number;
  artifactType?: string;
  annotations?: Record<string, string>;
}

export const ANNOTATION_KEY = 'org.opencontainers.conformance.test';
export const ARTIFACT_TYPE_A = 'application/vnd.nhl.peanut.butter.bagel';
export const ARTIFACT_TYPE_B = 'application/vnd.nba.strawberry.jam.croissant';
export const ARTIFACT_TYPE_INDEX = 'application/vnd.food.stand';
/** The digest of `{}` under sha256, which the official suite pins. */
export const EMPTY_JSON_SHA256 = 'sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a';

export function digestOf(bytes: Uint8Array, algorithm: HashAlgorithm): string {
  return `${algorithm}:${createHash(algorithm).update(bytes).digest('hex')}`;
}

/** Checks that `digest` (any supported algorithm) names exactly `bytes`. */
export function digestMatches(digest: string, bytes: Uint8Array): boolean {
  const m = /^(sha256|sha512):([0-9a-f]+)$/.exec(digest);
  if (!m) return false;
  return digestOf(bytes, m[1] as HashAlgorithm) === digest;
}

function blob(bytes: Buffer, algorithm: HashAlgorithm): Blob {
  return { bytes, digest: digestOf(bytes, algorithm), size: bytes.length };
}

function json(value: unknown): Buffer {
  // Tab-indented like the official suite, so bytes differ from any canonical re-serialization.
  return Buffer.from(JSON.stringify(value, null, '\t'));
}

function descriptorOf(b: Blob, mediaType: string): Descriptor {
  return { mediaType, digest: b.digest, size: b.size };
}

/** A real single-file tar, gzipped: a layer any client could unpack. */
function tarGzLayer(): Buffer {
  const name = 'conformance.txt';
  const content = Buffer.from(`you found the conformance layer ${randomBytes(8).toString('hex')}\n`);
  const header = Buffer.alloc(512);
  header.write(name, 0);
  header.write('0000644\0', 100);
  header.write('0000000\0', 108);
  header.write('0000000\0', 116);
  header.write(content.length.toString(8).padStart(11, '0') + '\0', 124);
  header.write('00000000000\0', 136);
  header.write('        ', 148);
  header.write('0', 156);
  header.write('ustar\0', 257);
  header.write('00', 263);
  let sum = 0;
  for (const byte of header) sum += byte;
  header.write(sum.toString(8).padStart(6, '0') + '\0 ', 148);
  const padded = Buffer.alloc(Math.ceil(content.length / 512) * 512);
  content.copy(padded);
  return gzipSync(Buffer.concat([header, padded, Buffer.alloc(1024)]));
}

export interface ChunkedBlob extends Blob {
  chunk1: Buffer;
  chunk2: Buffer;
  /** Content-Range values, inclusive on both ends: "0-<n>" and "<n+1>-<end>". */
  range1: string;
  range2: string;
}

export function chunkedBlob(size: number, algorithm: HashAlgorithm): ChunkedBlob {
  const bytes = randomBytes(size);
  const split = Math.floor(size / 2) + 1;
  return {
    ...blob(bytes, algorithm),
    chunk1: bytes.subarray(0, split),
    chunk2: bytes.subarray(split),
    range1: `0-${split - 1}`,
    range2: `${split}-${size - 1}`,
  };
}

export interface TestContent {
  algorithm: HashAlgorithm;
  /** One image config per workflow slot (0 pull, 1 push, 2 discovery, 3 management, 4 referrers subject). */
  configs: Blob[];
  layer: Blob;
  /** One image manifest per config, each with the same single layer. */
  manifests: Manifest[];
  /** manifests[1]'s config with no layers. */
  emptyLayerManifest: Manifest;
  /** Streamed upload payload (PATCH without Content-Range). */
  blobA: Blob;
  /** Chunked upload payload. */
  blobB: ChunkedBlob;
  /** A well-formed digest of content that is never pushed. */
  dummyDigest: string;
  emptyJson: Blob;
  refBlobA: Blob;
  refBlobB: Blob;
  /** Subject manifests[4]; artifactType from config.mediaType. */
  refsAConfig: Manifest;
  refsBConfig: Manifest;
  /** Subject manifests[4]; artifactType field with the empty config. */
  refsALayer: Manifest;
  refsBLayer: Manifest;
  /** Subject manifests[3], which the discovery workflow never pushes. */
  refsCLayer: Manifest;
  /** Image index with artifactType and subject manifests[4]. */
  refsIndex: Manifest;
  /** 2048 random bytes for Range requests. */
  rangeBlob: Blob;
  /** A manifest whose layer was never uploaded. */
  manifestWithUnknownBlob: Manifest;
  /** Artifact without subject: artifactType set, empty config, one layer (refBlobA). */
  artifact: Manifest;
  /** Image index listing manifests[1] for linux/amd64. */
  imageIndex: Manifest;
}

export function generateContent(algorithm: HashAlgorithm): TestContent {
  const configs: Blob[] = [];
  for (let i = 0; i < 5; i++) {
    // A random author makes each config (and so each manifest) unique to this run.
    const config = { architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: [] }, author: randomBytes(12).toString('base64url') };
    configs.push(blob(json(config), algorithm));
  }
  const layer = blob(tarGzLayer(), algorithm);

  const imageManifest = (config: Blob, layers: Blob[]): Manifest => {
    const bytes = json({
      schemaVersion: 2,
      mediaType: MediaType.manifest,
      // `data` must equal the config bytes; the unknown field checks that registries keep fields they do not know.
      config: { ...descriptorOf(config, MediaType.config), data: config.bytes.toString('base64'), newUnspecifiedField: Buffer.from('hello world').toString('base64') },
      layers: layers.map((l) => descriptorOf(l, MediaType.layerGzip)),
    });
    return { ...blob(bytes, algorithm), mediaType: MediaType.manifest, artifactType: MediaType.config };
  };
  const manifests = configs.map((c) => imageManifest(c, [layer]));
  const emptyLayerManifest = imageManifest(configs[1]!, []);

  const emptyJson = blob(Buffer.from('{}'), algorithm);
  const refBlobA = blob(Buffer.from(`NHL Peanut Butter on my NHL bagel ${randomBytes(4).toString('hex')}`), algorithm);
  const refBlobB = blob(Buffer.from(`NBA Strawberry Jam on my NBA croissant ${randomBytes(4).toString('hex')}`), algorithm);
  const subjectOf = (m: Manifest): Descriptor => descriptorOf(m, MediaType.manifest);

  const artifact = (fields: { artifactType?: string; config: Descriptor; layers: Descriptor[]; subject: Descriptor; annotation?: string }): Manifest => {
    const doc: Record<string, unknown> = { schemaVersion: 2, mediaType: MediaType.manifest };
    if (fields.artifactType) doc['artifactType'] = fields.artifactType;
    doc['config'] = fields.config;
    doc['layers'] = fields.layers;
    doc['subject'] = fields.subject;
    const annotations = fields.annotation === undefined ? undefined : { [ANNOTATION_KEY]: fields.annotation };
    if (annotations) doc['annotations'] = annotations;
    return {
      ...blob(json(doc), algorithm),
      mediaType: MediaType.manifest,
      artifactType: fields.artifactType ?? fields.config.mediaType,
      ...(annotations ? { annotations } : {}),
    };
  };
  const subject4 = subjectOf(manifests[4]!);
  const refsAConfig = artifact({ config: descriptorOf(refBlobA, ARTIFACT_TYPE_A), layers: [descriptorOf(emptyJson, MediaType.empty)], subject: subject4, annotation: 'test config a' });
  const refsBConfig = artifact({ config: descriptorOf(refBlobB, ARTIFACT_TYPE_B), layers: [descriptorOf(emptyJson, MediaType.empty)], subject: subject4, annotation: 'test config b' });
  const refsALayer = artifact({ artifactType: ARTIFACT_TYPE_A, config: descriptorOf(emptyJson, MediaType.empty), layers: [descriptorOf(refBlobA, ARTIFACT_TYPE_A)], subject: subject4, annotation: 'test layer a' });
  const refsBLayer = artifact({ artifactType: ARTIFACT_TYPE_B, config: descriptorOf(emptyJson, MediaType.empty), layers: [descriptorOf(refBlobB, ARTIFACT_TYPE_B)], subject: subject4, annotation: 'test layer b' });
  const refsCLayer = artifact({ artifactType: ARTIFACT_TYPE_B, config: descriptorOf(emptyJson, MediaType.empty), layers: [descriptorOf(refBlobB, ARTIFACT_TYPE_B)], subject: subjectOf(manifests[3]!) });

  const indexAnnotations = { [ANNOTATION_KEY]: 'test index' };
  const refsIndexBytes = json({
    schemaVersion: 2,
    mediaType: MediaType.index,
    artifactType: ARTIFACT_TYPE_INDEX,
    manifests: [descriptorOf(refsAConfig, MediaType.manifest), descriptorOf(refsALayer, MediaType.manifest)],
    subject: subject4,
    annotations: indexAnnotations,
  });
  const refsIndex: Manifest = { ...blob(refsIndexBytes, algorithm), mediaType: MediaType.index, artifactType: ARTIFACT_TYPE_INDEX, annotations: indexAnnotations };

  const neverPushed = blob(randomBytes(64), algorithm);
  const manifestWithUnknownBlob: Manifest = {
    ...blob(
      json({ schemaVersion: 2, mediaType: MediaType.manifest, config: descriptorOf(configs[1]!, MediaType.config), layers: [descriptorOf(neverPushed, MediaType.layerGzip)] }),
      algorithm,
    ),
    mediaType: MediaType.manifest,
  };

  const artifactBytes = json({
    schemaVersion: 2,
    mediaType: MediaType.manifest,
    artifactType: ARTIFACT_TYPE_A,
    config: descriptorOf(emptyJson, MediaType.empty),
    layers: [descriptorOf(refBlobA, ARTIFACT_TYPE_A)],
  });
  const imageIndexBytes = json({
    schemaVersion: 2,
    mediaType: MediaType.index,
    manifests: [{ ...descriptorOf(manifests[1]!, MediaType.manifest), platform: { architecture: 'amd64', os: 'linux' } }],
  });

  return {
    algorithm,
    artifact: { ...blob(artifactBytes, algorithm), mediaType: MediaType.manifest, artifactType: ARTIFACT_TYPE_A },
    imageIndex: { ...blob(imageIndexBytes, algorithm), mediaType: MediaType.index },
    configs,
    layer,
    manifests,
    emptyLayerManifest,
    blobA: blob(randomBytes(42), algorithm),
    blobB: chunkedBlob(42, algorithm),
    dummyDigest: digestOf(Buffer.from(`hello world ${randomBytes(8).toString('hex')}`), algorithm),
    emptyJson,
    refBlobA,
    refBlobB,
    refsAConfig,
    refsBConfig,
    refsALayer,
    refsBLayer,
    refsCLayer,
    refsIndex,
    rangeBlob: blob(randomBytes(2048), algorithm),
    manifestWithUnknownBlob,
  };
}
