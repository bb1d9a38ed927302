import { parseManifest } from '@docksphere/oci';
import { describe, expect, it } from 'vitest';
import { summarizeManifest } from './manifest-summary.ts';

const d = (c: string) => `sha256:${c.repeat(64)}`;

function parsed(json: object, type: string) {
  const body = Buffer.from(JSON.stringify(json));
  const check = parseManifest(body, type);
  if (!check.ok) throw check.error;
  return { m: check.manifest, size: body.byteLength };
}

describe('summarizeManifest', () => {
  it('totals an image: manifest bytes + config + layers', () => {
    const { m, size } = parsed(
      {
        schemaVersion: 2,
        mediaType: 'application/vnd.oci.image.manifest.v1+json',
        config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: d('a'), size: 100 },
        layers: [
          { mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', digest: d('b'), size: 2000 },
          { mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', digest: d('c'), size: 30000 },
        ],
      },
      'application/vnd.oci.image.manifest.v1+json',
    );
    expect(summarizeManifest(m, size)).toEqual({ totalSize: size + 32100 });
  });

  it('lists an index\'s platforms once each, with variants, and no total', () => {
    const child = (c: string, platform?: object) => ({ mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: d(c), size: 500, ...(platform ? { platform } : {}) });
    const { m, size } = parsed(
      {
        schemaVersion: 2,
        mediaType: 'application/vnd.oci.image.index.v1+json',
        manifests: [
          child('1', { os: 'linux', architecture: 'amd64' }),
          child('2', { os: 'linux', architecture: 'arm64', variant: 'v8' }),
          child('3', { os: 'linux', architecture: 'amd64' }),
          child('4'),
        ],
      },
      'application/vnd.oci.image.index.v1+json',
    );
    expect(summarizeManifest(m, size)).toEqual({ platforms: ['linux/amd64', 'linux/arm64/v8'] });
  });
});
