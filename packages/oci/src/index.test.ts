// Pins the public surface promised in team/OCI_API.md: the registry service is written against these signatures.
import { describe, expect, expectTypeOf, it } from 'vitest';
import * as oci from '@docksphere/oci';
import type { Descriptor, ManifestCheck, ParsedDigest, ParsedManifest, Platform, Reference, RegistryErrorCode } from '@docksphere/oci';

describe('@docksphere/oci public API', () => {
  it('exports every function and constant of the contract', () => {
    for (const name of [
      'parseDigest', 'createDigester', 'digestOf', 'MAX_REPOSITORY_NAME_LENGTH', 'isValidRepositoryName', 'isValidTag',
      'parseReference', 'MediaTypes', 'manifestMediaTypes', 'isValidMediaType', 'parseManifest', 'registryErrorTable',
      'RegistryError', 'registryErrorBody',
    ]) {
      expect(oci, name).toHaveProperty(name);
    }
    expect(oci.MAX_REPOSITORY_NAME_LENGTH).toBe(255);
  });

  it('keeps the contract signatures', () => {
    expectTypeOf(oci.parseDigest).toEqualTypeOf<(s: string) => ParsedDigest | undefined>();
    expectTypeOf(oci.parseReference).toEqualTypeOf<(ref: string) => Reference | undefined>();
    expectTypeOf(oci.parseManifest).toEqualTypeOf<(body: Uint8Array, contentType: string | undefined) => ManifestCheck>();
    expectTypeOf(oci.digestOf).parameters.toEqualTypeOf<[bytes: Uint8Array, algorithm?: 'sha256' | 'sha512']>();
    expectTypeOf<ParsedManifest['kind']>().toEqualTypeOf<'image' | 'index'>();
    expectTypeOf<ParsedManifest['layers']>().toEqualTypeOf<Descriptor[]>();
    expectTypeOf<Descriptor['platform']>().toEqualTypeOf<Platform | undefined>();
    expectTypeOf<typeof oci.MediaTypes.OciManifest>().toEqualTypeOf<'application/vnd.oci.image.manifest.v1+json'>();
    expectTypeOf<keyof typeof oci.registryErrorTable>().toEqualTypeOf<RegistryErrorCode>();
    const error = new oci.RegistryError('DENIED', undefined, undefined, { status: 403, headers: {} });
    expect(error.status).toBe(403);
  });
});
