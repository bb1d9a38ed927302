// Content descriptors and platforms as manifests carry them, read from untrusted JSON into checked values.
import { Buffer } from 'node:buffer';
import { digestOf, parseDigest } from './digest.ts';
import { isValidMediaType } from './media-types.ts';

export interface Platform {
  architecture: string;
  os: string;
  variant?: string;
  'os.version'?: string;
  'os.features'?: string[];
}

export interface Descriptor {
  mediaType: string;
  digest: string;
  size: number;
  artifactType?: string;
  annotations?: Record<string, string>;
  platform?: Platform;
  urls?: string[];
  data?: string;
}

/** Bounds on the lists a descriptor may hold; real ones hold a handful at most. */
export const MAX_DESCRIPTOR_URLS = 64;
export const MAX_URL_LENGTH = 2048;
export const MAX_ANNOTATIONS = 1024;

/** A field that breaks the schema: where it is (e.g. "layers[2].digest") and what is wrong with it. */
export class ManifestFieldError extends Error {
  constructor(
    readonly field: string,
    readonly reason: string,
  ) {
    super(`${field}: ${reason}`);
    this.name = 'ManifestFieldError';
  }
}

export type JsonObject = Record<string, unknown>;

export function isJsonObject(v: unknown): v is JsonObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Shows a rejected value in a message without echoing megabytes back. */
export function preview(v: unknown): string {
  const s = typeof v === 'string' ? JSON.stringify(v) : v === undefined ? 'undefined' : JSON.stringify(v) ?? String(v);
  return s.length > 80 ? `${s.slice(0, 77)}...` : s;
}

export function readObject(v: unknown, field: string): JsonObject {
  if (!isJsonObject(v)) throw new ManifestFieldError(field, `must be a JSON object, got ${preview(v)}`);
  return v;
}

export function readString(v: unknown, field: string): string {
  if (typeof v !== 'string') throw new ManifestFieldError(field, `must be a string, got ${preview(v)}`);
  return v;
}

export function readMediaType(v: unknown, field: string): string {
  const s = readString(v, field);
  if (!isValidMediaType(s)) throw new ManifestFieldError(field, `${preview(s)} is not a valid media type (type/subtype, RFC 6838)`);
  return s;
}

/** Annotations: a map of string to string; keys are not restricted by the spec, only their count by us. */
export function readAnnotations(v: unknown, field: string): Record<string, string> {
  const obj = readObject(v, field);
  const entries = Object.entries(obj);
  if (entries.length > MAX_ANNOTATIONS) throw new ManifestFieldError(field, `has ${entries.length} entries, more than ${MAX_ANNOTATIONS}`);
  for (const [k, value] of entries) readString(value, `${field}[${JSON.stringify(k)}]`);
  // fromEntries defines own properties, so a "__proto__" key stays data and never becomes a prototype.
  return Object.fromEntries(entries) as Record<string, string>;
}

export function readPlatform(v: unknown, field: string): Platform {
  const obj = readObject(v, field);
  const platform: Platform = {
    architecture: readNonEmptyString(obj.architecture, `${field}.architecture`),
    os: readNonEmptyString(obj.os, `${field}.os`),
  };
  if (obj.variant !== undefined) platform.variant = readString(obj.variant, `${field}.variant`);
  if (obj['os.version'] !== undefined) platform['os.version'] = readString(obj['os.version'], `${field}.os.version`);
  if (obj['os.features'] !== undefined) platform['os.features'] = readStringArray(obj['os.features'], `${field}.os.features`, MAX_ANNOTATIONS);
  return platform;
}

/** Reads one descriptor; unknown properties are dropped, as the image spec tells readers to ignore them. */
export function readDescriptor(v: unknown, field: string): Descriptor {
  const obj = readObject(v, field);
  const mediaType = readMediaType(obj.mediaType, `${field}.mediaType`);
  const digestText = readString(obj.digest, `${field}.digest`);
  const digest = parseDigest(digestText);
  if (!digest) {
    throw new ManifestFieldError(
      `${field}.digest`,
      `${preview(digestText)} is not a valid digest (sha256 with 64, or sha512 with 128, lowercase hex characters)`,
    );
  }
  const size = obj.size;
  if (typeof size !== 'number' || !Number.isSafeInteger(size) || size < 0) {
    throw new ManifestFieldError(`${field}.size`, `must be a non-negative integer, got ${preview(size)}`);
  }
  const descriptor: Descriptor = { mediaType, digest: digest.digest, size };
  if (obj.artifactType !== undefined) descriptor.artifactType = readMediaType(obj.artifactType, `${field}.artifactType`);
  if (obj.annotations !== undefined) descriptor.annotations = readAnnotations(obj.annotations, `${field}.annotations`);
  if (obj.platform !== undefined) descriptor.platform = readPlatform(obj.platform, `${field}.platform`);
  if (obj.urls !== undefined) {
    const urls = readStringArray(obj.urls, `${field}.urls`, MAX_DESCRIPTOR_URLS);
    urls.forEach((u, i) => {
      if (u.length > MAX_URL_LENGTH || !URL.canParse(u)) throw new ManifestFieldError(`${field}.urls[${i}]`, `${preview(u)} is not a valid URL`);
    });
    descriptor.urls = urls;
  }
  if (obj.data !== undefined) {
    descriptor.data = readEmbeddedData(obj.data, `${field}.data`, size, digest.digest);
  }
  return descriptor;
}

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/** Embedded data must be what the descriptor says it is, or a reader trusting it would get other bytes. */
function readEmbeddedData(v: unknown, field: string, size: number, digest: string): string {
  const data = readString(v, field);
  if (!BASE64.test(data)) throw new ManifestFieldError(field, 'must be standard base64');
  const bytes = Buffer.from(data, 'base64');
  if (bytes.length !== size) throw new ManifestFieldError(field, `decodes to ${bytes.length} bytes but size is ${size}`);
  const algorithm = digest.startsWith('sha512:') ? 'sha512' : 'sha256';
  if (digestOf(bytes, algorithm) !== digest) throw new ManifestFieldError(field, 'does not match the descriptor digest');
  return data;
}

function readNonEmptyString(v: unknown, field: string): string {
  const s = readString(v, field);
  if (s.length === 0) throw new ManifestFieldError(field, 'must not be empty');
  return s;
}

function readStringArray(v: unknown, field: string, max: number): string[] {
  if (!Array.isArray(v)) throw new ManifestFieldError(field, `must be an array, got ${preview(v)}`);
  if (v.length > max) throw new ManifestFieldError(field, `has ${v.length} entries, more than ${max}`);
  return v.map((item, i) => readString(item, `${field}[${i}]`));
}
