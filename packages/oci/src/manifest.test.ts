import { describe, expect, it } from 'vitest';
import { digestOf } from './digest.ts';
import { MAX_MANIFEST_BYTES, MAX_MANIFEST_DESCRIPTORS, parseManifest, type ManifestCheck } from './manifest.ts';
import { MediaTypes } from './media-types.ts';

const enc = (v: unknown) => new TextEncoder().encode(typeof v === 'string' ? v : JSON.stringify(v));
const sha = (c: string) => `sha256:${c.repeat(64)}`;
const desc = (mediaType: string, c = 'a', size = 10) => ({ mediaType, digest: sha(c), size });

const ociImage = (extra: Record<string, unknown> = {}) => ({
  schemaVersion: 2,
  mediaType: MediaTypes.OciManifest,
  config: desc(MediaTypes.OciConfig, 'c'),
  layers: [desc(MediaTypes.OciLayerGzip, '1'), desc(MediaTypes.OciLayerGzip, '2')],
  ...extra,
});
const ociIndex = (extra: Record<string, unknown> = {}) => ({
  schemaVersion: 2,
  mediaType: MediaTypes.OciIndex,
  manifests: [{ ...desc(MediaTypes.OciManifest, 'd'), platform: { architecture: 'amd64', os: 'linux' } }],
  ...extra,
});
const dockerImage = (extra: Record<string, unknown> = {}) => ({
  schemaVersion: 2,
  mediaType: MediaTypes.DockerManifest,
  config: desc(MediaTypes.DockerContainerConfig, 'c'),
  layers: [desc(MediaTypes.DockerLayerGzip, '1')],
  ...extra,
});
const dockerList = (extra: Record<string, unknown> = {}) => ({
  schemaVersion: 2,
  mediaType: MediaTypes.DockerManifestList,
  manifests: [
    { ...desc(MediaTypes.DockerManifest, 'd'), platform: { architecture: 'arm64', os: 'linux', variant: 'v8' } },
    { ...desc(MediaTypes.DockerManifest, 'e'), platform: { architecture: 'amd64', os: 'windows', 'os.version': '10.0.17763.1', 'os.features': ['win32k'] } },
  ],
  ...extra,
});

function accepted(check: ManifestCheck) {
  if (!check.ok) throw new Error(`expected the manifest to be accepted, got ${check.error.code}: ${check.error.message}`);
  return check.manifest;
}
function refused(check: ManifestCheck) {
  if (check.ok) throw new Error('expected the manifest to be refused');
  return check.error;
}
function refusedAsInvalid(check: ManifestCheck, message: RegExp) {
  const error = refused(check);
  expect(error.code).toBe('MANIFEST_INVALID');
  expect(error.status).toBe(400);
  expect(error.message).toMatch(message);
  return error;
}
const without = (o: Record<string, unknown>, key: string) => Object.fromEntries(Object.entries(o).filter(([k]) => k !== key));

describe('parseManifest: accepted manifests', () => {
  it('reads an OCI image manifest: config, layers, no children', () => {
    const m = accepted(parseManifest(enc(ociImage()), MediaTypes.OciManifest));
    expect(m).toMatchObject({ mediaType: MediaTypes.OciManifest, kind: 'image', manifests: [] });
    expect(m.config).toEqual(desc(MediaTypes.OciConfig, 'c'));
    expect(m.layers.map((l) => l.digest)).toEqual([sha('1'), sha('2')]);
  });

  it('reads an OCI index with platforms', () => {
    const m = accepted(parseManifest(enc(ociIndex()), MediaTypes.OciIndex));
    expect(m).toMatchObject({ kind: 'index', layers: [], mediaType: MediaTypes.OciIndex });
    expect(m.config).toBeUndefined();
    expect(m.manifests[0]?.platform).toEqual({ architecture: 'amd64', os: 'linux' });
  });

  it('reads a Docker schema 2 manifest', () => {
    const m = accepted(parseManifest(enc(dockerImage()), MediaTypes.DockerManifest));
    expect(m).toMatchObject({ kind: 'image', mediaType: MediaTypes.DockerManifest });
    expect(m.layers).toHaveLength(1);
  });

  it('reads a Docker manifest list with Windows platform fields', () => {
    const m = accepted(parseManifest(enc(dockerList()), MediaTypes.DockerManifestList));
    expect(m.kind).toBe('index');
    expect(m.manifests[1]?.platform).toEqual({ architecture: 'amd64', os: 'windows', 'os.version': '10.0.17763.1', 'os.features': ['win32k'] });
  });

  it('reads an OCI manifest without a mediaType field, taking the type from Content-Type', () => {
    const m = accepted(parseManifest(enc(without(ociImage(), 'mediaType')), MediaTypes.OciManifest));
    expect(m.mediaType).toBe(MediaTypes.OciManifest);
  });

  it('ignores Content-Type parameters and case', () => {
    const m = accepted(parseManifest(enc(ociImage()), 'Application/vnd.oci.image.manifest.v1+json; charset=utf-8'));
    expect(m.mediaType).toBe(MediaTypes.OciManifest);
  });

  it('takes the type from the body when Content-Type is missing or generic JSON', () => {
    expect(accepted(parseManifest(enc(dockerList()), undefined)).mediaType).toBe(MediaTypes.DockerManifestList);
    expect(accepted(parseManifest(enc(ociIndex()), '')).mediaType).toBe(MediaTypes.OciIndex);
    expect(accepted(parseManifest(enc(ociImage()), 'application/json')).mediaType).toBe(MediaTypes.OciManifest);
  });

  it('accepts an OCI artifact with an empty layers array and the empty config', () => {
    const artifact = ociImage({ artifactType: 'application/vnd.example.sbom+json', config: { ...desc(MediaTypes.OciEmpty, '4'), size: 2 }, layers: [] });
    const m = accepted(parseManifest(enc(artifact), MediaTypes.OciManifest));
    expect(m.layers).toEqual([]);
  });

  it('accepts a Docker image with no layers (FROM scratch with only metadata)', () => {
    expect(accepted(parseManifest(enc(dockerImage({ layers: [] })), MediaTypes.DockerManifest)).layers).toEqual([]);
  });

  it('keeps subject, annotations and descriptor extras, and drops unknown properties', () => {
    const body = ociImage({
      subject: desc(MediaTypes.OciManifest, 'f', 500),
      annotations: { 'org.opencontainers.image.created': '2024-01-01T00:00:00Z', polluter: { isAdmin: 'yes' } },
      layers: [{ ...desc(MediaTypes.DockerForeignLayerGzip), urls: ['https://example.com/layer'], annotations: { a: 'b' }, unknownField: 1 }],
      unknownTopLevel: { x: 1 },
    });
    // A "__proto__" key must stay plain data: written into the JSON text, since an object literal would swallow it.
    const text = JSON.stringify(body).replace('"polluter":{"isAdmin":"yes"}', '"__proto__":"kept as data"');
    const m = accepted(parseManifest(enc(text), MediaTypes.OciManifest));
    expect(Object.getOwnPropertyDescriptor(m.annotations, '__proto__')?.value).toBe('kept as data');
    expect(m.subject).toEqual(desc(MediaTypes.OciManifest, 'f', 500));
    expect(m.annotations?.['org.opencontainers.image.created']).toBe('2024-01-01T00:00:00Z');
    expect(Object.getPrototypeOf(m.annotations)).toBe(Object.prototype);
    expect(m.layers[0]).toEqual({ ...desc(MediaTypes.DockerForeignLayerGzip), urls: ['https://example.com/layer'], annotations: { a: 'b' } });
  });

  it('accepts sha512 descriptors', () => {
    const digest = `sha512:${'b'.repeat(128)}`;
    const m = accepted(parseManifest(enc(ociImage({ layers: [{ mediaType: MediaTypes.OciLayer, digest, size: 0 }] })), MediaTypes.OciManifest));
    expect(m.layers[0]?.digest).toBe(digest);
  });

  it('accepts embedded data that matches size and digest', () => {
    const bytes = new TextEncoder().encode('{}');
    const config = { mediaType: MediaTypes.OciEmpty, digest: digestOf(bytes), size: 2, data: 'e30=' };
    expect(accepted(parseManifest(enc(ociImage({ config })), MediaTypes.OciManifest)).config?.data).toBe('e30=');
  });
});

describe('parseManifest: artifactType for the referrers API', () => {
  it('uses the manifest artifactType when set', () => {
    const m = accepted(parseManifest(enc(ociImage({ artifactType: 'application/vnd.example.signature' })), MediaTypes.OciManifest));
    expect(m.artifactType).toBe('application/vnd.example.signature');
  });

  it('falls back to config.mediaType for an image manifest', () => {
    expect(accepted(parseManifest(enc(ociImage()), MediaTypes.OciManifest)).artifactType).toBe(MediaTypes.OciConfig);
    expect(accepted(parseManifest(enc(dockerImage()), MediaTypes.DockerManifest)).artifactType).toBe(MediaTypes.DockerContainerConfig);
  });

  it('uses only the index artifactType for an index, else none', () => {
    expect(accepted(parseManifest(enc(ociIndex()), MediaTypes.OciIndex)).artifactType).toBeUndefined();
    const m = accepted(parseManifest(enc(ociIndex({ artifactType: 'application/vnd.example.bundle' })), MediaTypes.OciIndex));
    expect(m.artifactType).toBe('application/vnd.example.bundle');
  });

  it('reads subject on an OCI index', () => {
    const m = accepted(parseManifest(enc(ociIndex({ subject: desc(MediaTypes.OciIndex, 'f') })), MediaTypes.OciIndex));
    expect(m.subject?.digest).toBe(sha('f'));
  });

  it('refuses an artifactType that is not a media type', () => {
    refusedAsInvalid(parseManifest(enc(ociImage({ artifactType: 'not a type' })), MediaTypes.OciManifest), /artifactType/);
  });
});

describe('parseManifest: Docker schema 1 refusal', () => {
  const schema1 = { schemaVersion: 1, name: 'team/app', tag: 'latest', architecture: 'amd64', fsLayers: [], history: [] };

  it.each([
    ['the signed schema 1 Content-Type', MediaTypes.DockerSchema1Signed],
    ['the unsigned schema 1 Content-Type', MediaTypes.DockerSchema1],
    ['no Content-Type and schemaVersion 1', undefined],
    ['generic JSON and schemaVersion 1', 'application/json'],
  ])('refuses %s, telling the user to push with a current client', (_label, contentType) => {
    const error = refusedAsInvalid(parseManifest(enc(schema1), contentType), /Docker schema 1 is not supported/);
    expect(error.message).toMatch(/push with a current client/);
  });

  it('refuses schemaVersion 1 even under a schema 2 Content-Type', () => {
    refusedAsInvalid(parseManifest(enc(schema1), MediaTypes.DockerManifest), /Docker schema 1 is not supported/);
  });

  it('refuses a body whose mediaType field is schema 1', () => {
    refusedAsInvalid(parseManifest(enc({ ...schema1, schemaVersion: 2, mediaType: MediaTypes.DockerSchema1 }), undefined), /Docker schema 1/);
  });

  it('refuses the schema 1 Content-Type even when the body is not JSON', () => {
    refusedAsInvalid(parseManifest(enc('eyJhbGciOiJFUzI1NiJ9.not-json'), MediaTypes.DockerSchema1Signed), /Docker schema 1/);
  });
});

describe('parseManifest: media type decisions', () => {
  it('refuses a mediaType field that contradicts Content-Type', () => {
    const error = refusedAsInvalid(parseManifest(enc(ociImage()), MediaTypes.DockerManifest), /does not match Content-Type/);
    expect(error.detail).toEqual({ mediaType: MediaTypes.OciManifest, contentType: MediaTypes.DockerManifest });
  });

  it('refuses an index body sent as an image manifest', () => {
    refusedAsInvalid(parseManifest(enc(ociIndex()), MediaTypes.OciManifest), /does not match Content-Type/);
  });

  it('refuses a body with neither Content-Type nor mediaType', () => {
    refusedAsInvalid(parseManifest(enc(without(ociImage(), 'mediaType')), undefined), /no Content-Type header and no mediaType field/);
  });

  it('refuses an unknown manifest type, listing the accepted ones', () => {
    const error = refusedAsInvalid(parseManifest(enc(ociImage()), 'application/vnd.oci.artifact.manifest.v1+json'), /unsupported manifest media type/);
    for (const t of [MediaTypes.OciManifest, MediaTypes.OciIndex, MediaTypes.DockerManifest, MediaTypes.DockerManifestList]) expect(error.message).toContain(t);
    refusedAsInvalid(parseManifest(enc({ ...ociImage(), mediaType: 'application/vnd.example+json' }), undefined), /unsupported manifest media type/);
    refusedAsInvalid(parseManifest(enc(ociImage()), 'text/plain'), /unsupported manifest media type/);
  });

  it('refuses a Docker manifest without its mediaType field', () => {
    refusedAsInvalid(parseManifest(enc(without(dockerImage(), 'mediaType')), MediaTypes.DockerManifest), /must carry its mediaType field/);
    refusedAsInvalid(parseManifest(enc(without(dockerList(), 'mediaType')), MediaTypes.DockerManifestList), /must carry its mediaType field/);
  });

  it('refuses a non-string mediaType field', () => {
    refusedAsInvalid(parseManifest(enc({ ...ociImage(), mediaType: 7 }), MediaTypes.OciManifest), /mediaType must be a string/);
  });
});

describe('parseManifest: schema violations', () => {
  it.each([
    ['schemaVersion missing', without(ociImage(), 'schemaVersion'), /schemaVersion must be 2/],
    ['schemaVersion 3', ociImage({ schemaVersion: 3 }), /schemaVersion must be 2/],
    ['schemaVersion "2"', ociImage({ schemaVersion: '2' }), /schemaVersion must be 2/],
    ['config missing', without(ociImage(), 'config'), /config: is required/],
    ['config not an object', ociImage({ config: 'sha256:x' }), /config: must be a JSON object/],
    ['layers missing', without(ociImage(), 'layers'), /layers: is required/],
    ['layers not an array', ociImage({ layers: {} }), /layers: must be an array/],
    ['manifests inside an image manifest', ociImage({ manifests: [] }), /manifests: must not be present/],
    ['layer digest with sha384', ociImage({ layers: [{ ...desc(MediaTypes.OciLayer), digest: `sha384:${'a'.repeat(96)}` }] }), /layers\[0\]\.digest/],
    ['layer digest in uppercase', ociImage({ layers: [{ ...desc(MediaTypes.OciLayer), digest: `sha256:${'A'.repeat(64)}` }] }), /layers\[0\]\.digest/],
    ['layer digest missing', ociImage({ layers: [without(desc(MediaTypes.OciLayer), 'digest')] }), /layers\[0\]\.digest: must be a string/],
    ['negative size', ociImage({ layers: [{ ...desc(MediaTypes.OciLayer), size: -1 }] }), /layers\[0\]\.size/],
    ['fractional size', ociImage({ layers: [{ ...desc(MediaTypes.OciLayer), size: 1.5 }] }), /layers\[0\]\.size/],
    ['size past the safe integer range', ociImage({ layers: [{ ...desc(MediaTypes.OciLayer), size: 2 ** 53 }] }), /layers\[0\]\.size/],
    ['size as a string', ociImage({ layers: [{ ...desc(MediaTypes.OciLayer), size: '10' }] }), /layers\[0\]\.size/],
    ['layer mediaType with bad grammar', ociImage({ layers: [desc('tar.gz')] }), /layers\[0\]\.mediaType/],
    ['config mediaType missing', ociImage({ config: without(desc(MediaTypes.OciConfig), 'mediaType') }), /config\.mediaType/],
    ['annotation value not a string', ociImage({ annotations: { a: 1 } }), /annotations/],
    ['subject that is not a descriptor', ociImage({ subject: { digest: sha('f') } }), /subject\.mediaType/],
    ['a url that is not a URL', ociImage({ layers: [{ ...desc(MediaTypes.OciLayer), urls: ['not a url'] }] }), /layers\[0\]\.urls\[0\]/],
    ['embedded data of the wrong length', ociImage({ config: { ...desc(MediaTypes.OciEmpty), size: 3, data: 'e30=' } }), /config\.data: decodes to 2 bytes/],
    ['embedded data with another digest', ociImage({ config: { ...desc(MediaTypes.OciEmpty), size: 2, data: 'e30=' } }), /config\.data: does not match/],
    ['embedded data not base64', ociImage({ config: { ...desc(MediaTypes.OciEmpty), size: 2, data: 'e30' } }), /config\.data: must be standard base64/],
  ])('OCI image: refuses %s', (_label, body, message) => {
    refusedAsInvalid(parseManifest(enc(body), MediaTypes.OciManifest), message);
  });

  it.each([
    ['manifests missing', without(ociIndex(), 'manifests'), /manifests: is required/],
    ['manifests null', ociIndex({ manifests: null }), /manifests: must be an array/],
    ['layers inside an index', ociIndex({ layers: [] }), /layers: must not be present/],
    ['config inside an index', ociIndex({ config: desc(MediaTypes.OciConfig) }), /config: must not be present/],
    ['platform without os', ociIndex({ manifests: [{ ...desc(MediaTypes.OciManifest), platform: { architecture: 'amd64' } }] }), /manifests\[0\]\.platform\.os/],
    ['platform with empty architecture', ociIndex({ manifests: [{ ...desc(MediaTypes.OciManifest), platform: { architecture: '', os: 'linux' } }] }), /platform\.architecture: must not be empty/],
    ['child with a short digest', ociIndex({ manifests: [{ ...desc(MediaTypes.OciManifest), digest: 'sha256:abc' }] }), /manifests\[0\]\.digest/],
  ])('OCI index: refuses %s', (_label, body, message) => {
    refusedAsInvalid(parseManifest(enc(body), MediaTypes.OciIndex), message);
  });

  it('Docker manifest and list: refuse missing config and missing manifests', () => {
    refusedAsInvalid(parseManifest(enc(without(dockerImage(), 'config')), MediaTypes.DockerManifest), /config: is required/);
    refusedAsInvalid(parseManifest(enc(without(dockerList(), 'manifests')), MediaTypes.DockerManifestList), /manifests: is required/);
  });

  it('names the failing field in the error detail', () => {
    const error = refused(parseManifest(enc(ociImage({ layers: [desc(MediaTypes.OciLayer), { ...desc(MediaTypes.OciLayer), size: -5 }] })), MediaTypes.OciManifest));
    expect(error.detail).toEqual({ field: 'layers[1].size', reason: 'must be a non-negative integer, got -5' });
  });
});

describe('parseManifest: hostile and malformed bodies', () => {
  it.each([
    ['an empty body', ''],
    ['whitespace only', '   '],
    ['invalid JSON', '{"schemaVersion": 2,'],
    ['a JSON array', '[]'],
    ['JSON null', 'null'],
    ['a JSON string', '"manifest"'],
  ])('refuses %s', (_label, text) => {
    refusedAsInvalid(parseManifest(enc(text), MediaTypes.OciManifest), /manifest invalid/);
  });

  it('refuses bytes that are not UTF-8', () => {
    refusedAsInvalid(parseManifest(new Uint8Array([0x7b, 0xff, 0xfe, 0x7d]), MediaTypes.OciManifest), /not valid UTF-8/);
  });

  it('refuses a byte order mark', () => {
    refusedAsInvalid(parseManifest(new Uint8Array([0xef, 0xbb, 0xbf, ...enc(ociImage())]), MediaTypes.OciManifest), /byte order mark/);
  });

  it('refuses duplicate keys, which other parsers would read differently', () => {
    const text = JSON.stringify(ociImage()).replace('{', `{"mediaType":"${MediaTypes.DockerManifest}",`);
    refusedAsInvalid(parseManifest(enc(text), undefined), /duplicate key "mediaType"/);
    const escaped = JSON.stringify(ociImage()).replace('"layers":', '"layers":[],"l\\u0061yers":');
    refusedAsInvalid(parseManifest(enc(escaped), MediaTypes.OciManifest), /duplicate key "layers"/);
  });

  it('does not mistake equal string values or keys in different objects for duplicates', () => {
    const body = ociImage({ annotations: { a: 'a', b: 'a' }, layers: [desc(MediaTypes.OciLayer, '1'), desc(MediaTypes.OciLayer, '2')] });
    accepted(parseManifest(enc(body), MediaTypes.OciManifest));
  });

  it('refuses deep nesting without parsing it', () => {
    const deep = `{"schemaVersion":2,"annotations":${'['.repeat(100_000)}${']'.repeat(100_000)}}`;
    refusedAsInvalid(parseManifest(enc(deep), MediaTypes.OciManifest), /nesting is deeper/);
  });

  it(`refuses more than ${MAX_MANIFEST_DESCRIPTORS} layers`, () => {
    const layers = Array.from({ length: MAX_MANIFEST_DESCRIPTORS + 1 }, () => desc(MediaTypes.OciLayer));
    refusedAsInvalid(parseManifest(enc(ociImage({ layers })), MediaTypes.OciManifest), /more than 10000/);
    accepted(parseManifest(enc(ociImage({ layers: layers.slice(1) })), MediaTypes.OciManifest));
  });

  it('refuses a body over the manifest size limit with status 413', () => {
    const error = refused(parseManifest(new Uint8Array(MAX_MANIFEST_BYTES + 1), MediaTypes.OciManifest));
    expect([error.code, error.status]).toEqual(['MANIFEST_INVALID', 413]);
  });
});
