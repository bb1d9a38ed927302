// Validates a pushed manifest (OCI image/index, Docker schema 2 manifest/list) and extracts what the registry indexes.
import {
  ManifestFieldError,
  isJsonObject,
  preview,
  readAnnotations,
  readDescriptor,
  readMediaType,
  readObject,
  type Descriptor,
  type JsonObject,
} from './descriptor.ts';
import { RegistryError } from './errors.ts';
import { parseJsonDocument } from './json-document.ts';
import {
  MediaTypes,
  contentTypeEssence,
  isDockerSchema1MediaType,
  isManifestMediaType,
  manifestMediaTypes,
  type ManifestMediaType,
} from './media-types.ts';

export type { Descriptor, Platform } from './descriptor.ts';

/** The registry reads at most this much of a manifest body; a larger one is refused with 413. */
export const MAX_MANIFEST_BYTES = 4 * 1024 * 1024;
/** Far above any real image (Docker caps at 127 layers, big indexes hold a few hundred entries). */
export const MAX_MANIFEST_DESCRIPTORS = 10_000;

export type ManifestKind = 'image' | 'index';

export interface ParsedManifest {
  /** The effective media type. */
  mediaType: string;
  kind: ManifestKind;
  /** Image manifests. */
  config?: Descriptor;
  /** Image manifests: the blobs (config is separate). */
  layers: Descriptor[];
  /** Indexes: the child manifests. */
  manifests: Descriptor[];
  subject?: Descriptor;
  /** For the referrers API: manifest.artifactType, else (image) config.mediaType; undefined for an index without one. */
  artifactType?: string;
  annotations?: Record<string, string>;
}

export type ManifestCheck = { ok: true; manifest: ParsedManifest } | { ok: false; error: RegistryError };

export const SCHEMA1_REFUSAL =
  'Docker schema 1 is not supported: push with a current client (Docker 1.10 or later, podman, skopeo, crane, oras), which sends a Docker schema 2 or OCI manifest';

/**
 * Clients that send a generic JSON Content-Type have not said which manifest type they mean;
 * the body's own mediaType field then decides, exactly as when Content-Type is missing.
 */
const UNDECLARED_CONTENT_TYPES: ReadonlySet<string> = new Set(['application/json']);

const KIND: Readonly<Record<ManifestMediaType, ManifestKind>> = {
  [MediaTypes.OciManifest]: 'image',
  [MediaTypes.DockerManifest]: 'image',
  [MediaTypes.OciIndex]: 'index',
  [MediaTypes.DockerManifestList]: 'index',
};

function invalid(message: string, detail?: unknown): ManifestCheck {
  return { ok: false, error: new RegistryError('MANIFEST_INVALID', message, detail) };
}

function unknownTypeMessage(mediaType: string): string {
  return `unsupported manifest media type ${preview(mediaType)}; accepted types: ${manifestMediaTypes.join(', ')}`;
}

/**
 * Validates a pushed manifest body against its Content-Type and its own mediaType field:
 * JSON, schema per media type, descriptor grammar (digest, size, mediaType); schema 1 refused with
 * a clear MANIFEST_INVALID message; a mediaType field that contradicts Content-Type refused.
 */
export function parseManifest(body: Uint8Array, contentType: string | undefined): ManifestCheck {
  if (body.byteLength > MAX_MANIFEST_BYTES) {
    return {
      ok: false,
      error: new RegistryError('MANIFEST_INVALID', `manifest is larger than ${MAX_MANIFEST_BYTES} bytes`, { size: body.byteLength, limit: MAX_MANIFEST_BYTES }, { status: 413 }),
    };
  }
  const declared = contentTypeEssence(contentType);
  const headerType = declared !== undefined && !UNDECLARED_CONTENT_TYPES.has(declared) ? declared : undefined;
  if (headerType !== undefined && isDockerSchema1MediaType(headerType)) return invalid(SCHEMA1_REFUSAL, { mediaType: headerType });
  // Checked before reading the body: a type we do not accept makes the content irrelevant.
  if (headerType !== undefined && !isManifestMediaType(headerType)) return invalid(unknownTypeMessage(headerType), { contentType: headerType });

  const doc = parseJsonDocument(body);
  if (!doc.ok) return invalid(`manifest invalid: ${doc.reason}`);
  if (!isJsonObject(doc.value)) return invalid('manifest invalid: the body must be a JSON object');
  const root = doc.value;

  const bodyType = root.mediaType;
  if (bodyType !== undefined && typeof bodyType !== 'string') return invalid(`manifest invalid: mediaType must be a string, got ${preview(bodyType)}`, { field: 'mediaType' });
  if (root.schemaVersion === 1 || (bodyType !== undefined && isDockerSchema1MediaType(bodyType))) return invalid(SCHEMA1_REFUSAL, { schemaVersion: root.schemaVersion });

  let mediaType: ManifestMediaType;
  if (headerType !== undefined) {
    if (bodyType !== undefined && bodyType !== headerType) {
      return invalid(`manifest invalid: mediaType field ${preview(bodyType)} does not match Content-Type ${preview(headerType)}`, { mediaType: bodyType, contentType: headerType });
    }
    mediaType = headerType as ManifestMediaType; // checked above
  } else if (bodyType !== undefined) {
    if (!isManifestMediaType(bodyType)) return invalid(unknownTypeMessage(bodyType), { mediaType: bodyType });
    mediaType = bodyType;
  } else {
    return invalid(`manifest invalid: no Content-Type header and no mediaType field, so the manifest type is unknown; send one of: ${manifestMediaTypes.join(', ')}`);
  }

  if (root.schemaVersion !== 2) return invalid(`manifest invalid: schemaVersion must be 2, got ${preview(root.schemaVersion)}`, { field: 'schemaVersion' });
  const isDocker = mediaType === MediaTypes.DockerManifest || mediaType === MediaTypes.DockerManifestList;
  // Docker's schema 2 has no Content-Type fallback: the field is how its readers tell the types apart.
  if (isDocker && bodyType === undefined) return invalid(`manifest invalid: a Docker schema 2 manifest must carry its mediaType field (${mediaType})`, { field: 'mediaType' });

  try {
    const manifest = KIND[mediaType] === 'image' ? readImageManifest(root, mediaType, !isDocker) : readIndex(root, mediaType, !isDocker);
    return { ok: true, manifest };
  } catch (err) {
    if (err instanceof ManifestFieldError) return invalid(`manifest invalid: ${err.message}`, { field: err.field, reason: err.reason });
    throw err;
  }
}

function readImageManifest(root: JsonObject, mediaType: ManifestMediaType, isOci: boolean): ParsedManifest {
  // A document that is both an image and an index would be read differently by different clients.
  if (root.manifests !== undefined) throw new ManifestFieldError('manifests', 'must not be present in an image manifest');
  if (root.config === undefined) throw new ManifestFieldError('config', 'is required in an image manifest');
  const config = readDescriptor(root.config, 'config');
  const layers = readDescriptorList(root.layers, 'layers');
  const manifest: ParsedManifest = { mediaType, kind: 'image', config, layers, manifests: [] };
  readOciExtras(root, manifest, isOci);
  manifest.artifactType ??= config.mediaType;
  return manifest;
}

function readIndex(root: JsonObject, mediaType: ManifestMediaType, isOci: boolean): ParsedManifest {
  if (root.config !== undefined) throw new ManifestFieldError('config', 'must not be present in an index');
  if (root.layers !== undefined) throw new ManifestFieldError('layers', 'must not be present in an index');
  const manifests = readDescriptorList(root.manifests, 'manifests');
  const manifest: ParsedManifest = { mediaType, kind: 'index', layers: [], manifests };
  readOciExtras(root, manifest, isOci);
  return manifest;
}

/** annotations on both families; artifactType and subject only exist in the OCI types (Docker's ignore them). */
function readOciExtras(root: JsonObject, manifest: ParsedManifest, isOci: boolean): void {
  if (root.annotations !== undefined) manifest.annotations = readAnnotations(root.annotations, 'annotations');
  if (!isOci) return;
  if (root.artifactType !== undefined) manifest.artifactType = readMediaType(root.artifactType, 'artifactType');
  if (root.subject !== undefined) manifest.subject = readDescriptor(readObject(root.subject, 'subject'), 'subject');
}

function readDescriptorList(v: unknown, field: string): Descriptor[] {
  if (v === undefined) throw new ManifestFieldError(field, 'is required');
  if (!Array.isArray(v)) throw new ManifestFieldError(field, `must be an array, got ${preview(v)}`);
  if (v.length > MAX_MANIFEST_DESCRIPTORS) throw new ManifestFieldError(field, `has ${v.length} entries, more than ${MAX_MANIFEST_DESCRIPTORS}`);
  return v.map((item, i) => readDescriptor(item, `${field}[${i}]`));
}
