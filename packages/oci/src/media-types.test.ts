import { describe, expect, it } from 'vitest';
import { MediaTypes, contentTypeEssence, isManifestMediaType, isValidMediaType, manifestMediaTypes } from './media-types.ts';

describe('media types', () => {
  it('accepts exactly the four manifest types for push', () => {
    expect([...manifestMediaTypes].sort()).toEqual(
      [MediaTypes.OciManifest, MediaTypes.OciIndex, MediaTypes.DockerManifest, MediaTypes.DockerManifestList].sort(),
    );
    expect(isManifestMediaType(MediaTypes.DockerSchema1)).toBe(false);
    expect(isManifestMediaType(MediaTypes.DockerSchema1Signed)).toBe(false);
  });

  it.each([MediaTypes.OciLayerGzip, MediaTypes.OciEmpty, 'application/vnd.cncf.helm.config.v1+json', 'text/plain', 'application/x.a!#$&^_-b'])(
    'isValidMediaType accepts %s',
    (t) => {
      expect(isValidMediaType(t)).toBe(true);
    },
  );

  it.each([
    ['no subtype', 'application'],
    ['empty subtype', 'application/'],
    ['empty type', '/json'],
    ['parameters', 'application/json; charset=utf-8'],
    ['two slashes', 'a/b/c'],
    ['leading symbol', 'application/+json'],
    ['whitespace', 'application/ json'],
    ['over-long subtype', `application/${'a'.repeat(128)}`],
    ['empty', ''],
  ])('isValidMediaType rejects %s', (_label, t) => {
    expect(isValidMediaType(t)).toBe(false);
  });

  it('contentTypeEssence drops parameters, trims and lowercases', () => {
    expect(contentTypeEssence(' Application/VND.OCI.image.manifest.v1+json ; charset=utf-8')).toBe(MediaTypes.OciManifest);
    expect(contentTypeEssence(undefined)).toBeUndefined();
    expect(contentTypeEssence('  ')).toBeUndefined();
  });
});
