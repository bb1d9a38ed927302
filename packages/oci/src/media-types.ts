// Media types the registry knows by name, and the RFC 6838 grammar every descriptor's type must follow.

export const MediaTypes = {
  OciManifest: 'application/vnd.oci.image.manifest.v1+json',
  OciIndex: 'application/vnd.oci.image.index.v1+json',
  DockerManifest: 'application/vnd.docker.distribution.manifest.v2+json',
  DockerManifestList: 'application/vnd.docker.distribution.manifest.list.v2+json',
  DockerSchema1: 'application/vnd.docker.distribution.manifest.v1+json',
  DockerSchema1Signed: 'application/vnd.docker.distribution.manifest.v1+prettyjws',
  OciEmpty: 'application/vnd.oci.empty.v1+json',
  OciConfig: 'application/vnd.oci.image.config.v1+json',
  OciLayer: 'application/vnd.oci.image.layer.v1.tar',
  OciLayerGzip: 'application/vnd.oci.image.layer.v1.tar+gzip',
  OciLayerZstd: 'application/vnd.oci.image.layer.v1.tar+zstd',
  DockerContainerConfig: 'application/vnd.docker.container.image.v1+json',
  DockerLayerGzip: 'application/vnd.docker.image.rootfs.diff.tar.gzip',
  DockerForeignLayerGzip: 'application/vnd.docker.image.rootfs.foreign.diff.tar.gzip',
} as const;

/** The four manifest types a push may use. */
export const manifestMediaTypes: readonly string[] = Object.freeze([
  MediaTypes.OciManifest,
  MediaTypes.OciIndex,
  MediaTypes.DockerManifest,
  MediaTypes.DockerManifestList,
]);

export type ManifestMediaType =
  | typeof MediaTypes.OciManifest
  | typeof MediaTypes.OciIndex
  | typeof MediaTypes.DockerManifest
  | typeof MediaTypes.DockerManifestList;

export function isManifestMediaType(s: string): s is ManifestMediaType {
  return manifestMediaTypes.includes(s);
}

/** Schema 1 types: refused on push, named so the refusal can say why. */
export function isDockerSchema1MediaType(s: string): boolean {
  return s === MediaTypes.DockerSchema1 || s === MediaTypes.DockerSchema1Signed;
}

// RFC 6838 section 4.2 restricted-name: 1-127 chars, first alphanumeric.
const RESTRICTED_NAME = '[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]{0,126}';
const MEDIA_TYPE = new RegExp(`^${RESTRICTED_NAME}/${RESTRICTED_NAME}$`);

/** RFC 6838 type/subtype grammar, no parameters (descriptors carry none). */
export function isValidMediaType(s: string): boolean {
  return typeof s === 'string' && s.length <= 255 && MEDIA_TYPE.test(s);
}

/**
 * The bare media type of a Content-Type header: parameters ("; charset=utf-8") dropped,
 * whitespace trimmed, lowercased (HTTP media types are case-insensitive). Undefined when empty.
 */
export function contentTypeEssence(contentType: string | undefined): string | undefined {
  if (contentType === undefined) return undefined;
  const essence = (contentType.split(';', 1)[0] ?? '').trim().toLowerCase();
  return essence.length > 0 ? essence : undefined;
}
