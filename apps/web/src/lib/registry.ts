// The console's /v2 client: manifests, image configs and referrers are read, and tags deleted,
// through the registry like any client, with a short-lived token the session trades for
// (POST /api/auth/session/registry-token). Tokens live in this module's memory only.
import { api, ApiError } from './api';

type Actions = 'pull' | 'pull,delete';
const tokens = new Map<string, { token: string; until: number }>();

async function registryToken(repository: string, actions: Actions): Promise<string> {
  const key = `${repository}|${actions}`;
  const cached = tokens.get(key);
  if (cached && cached.until > Date.now()) return cached.token;
  const issued = await api<{ token: string; expiresIn: number }>('/api/auth/session/registry-token', {
    method: 'POST',
    body: { scopes: [`repository:${repository}:${actions}`] },
  }).catch(async (err) => {
    // Anonymous visitors read public repositories with an anonymous token.
    if (err instanceof ApiError && err.status === 401) {
      const anon = await fetch(`/auth/token?scope=${encodeURIComponent(`repository:${repository}:pull`)}`).then((r) => r.json() as Promise<{ token: string; expires_in: number }>);
      return { token: anon.token, expiresIn: anon.expires_in };
    }
    throw err;
  });
  tokens.set(key, { token: issued.token, until: Date.now() + (issued.expiresIn - 10) * 1000 });
  return issued.token;
}

const MANIFEST_TYPES = [
  'application/vnd.oci.image.index.v1+json',
  'application/vnd.docker.distribution.manifest.list.v2+json',
  'application/vnd.oci.image.manifest.v1+json',
  'application/vnd.docker.distribution.manifest.v2+json',
].join(', ');

/** JSON documents read from the registry are bounded: manifests by the registry, configs here. */
const MAX_JSON_BYTES = 4 * 1024 * 1024;

async function registryError(response: Response): Promise<ApiError> {
  try {
    const body = (await response.json()) as { errors?: Array<{ code: string; message: string }> };
    const first = body.errors?.[0];
    if (first) return new ApiError(response.status, first.code, first.message);
  } catch {
    // not the OCI error format
  }
  return new ApiError(response.status, 'UNKNOWN', `registry answered ${response.status}`);
}

async function registryFetch(repository: string, path: string, init: RequestInit & { actions?: Actions } = {}): Promise<Response> {
  const token = await registryToken(repository, init.actions ?? 'pull');
  const headers = new Headers(init.headers);
  headers.set('authorization', `Bearer ${token}`);
  const response = await fetch(`/v2/${repository}/${path}`, { ...init, headers, credentials: 'omit' });
  if (!response.ok) throw await registryError(response);
  return response;
}

async function boundedJson<T>(response: Response): Promise<T> {
  const length = Number(response.headers.get('content-length') ?? '0');
  if (length > MAX_JSON_BYTES) throw new ApiError(413, 'TOO_LARGE', `document of ${length} bytes is too large to show`);
  const text = await response.text();
  if (text.length > MAX_JSON_BYTES) throw new ApiError(413, 'TOO_LARGE', 'document too large to show');
  return JSON.parse(text) as T;
}

export interface Descriptor {
  mediaType: string;
  digest: string;
  size: number;
  artifactType?: string;
  annotations?: Record<string, string>;
  platform?: { os: string; architecture: string; variant?: string; 'os.version'?: string };
}

export interface ImageManifest {
  schemaVersion: 2;
  mediaType?: string;
  artifactType?: string;
  config: Descriptor;
  layers: Descriptor[];
  subject?: Descriptor;
  annotations?: Record<string, string>;
}

export interface ImageIndex {
  schemaVersion: 2;
  mediaType?: string;
  manifests: Descriptor[];
  annotations?: Record<string, string>;
}

export type Manifest = ImageManifest | ImageIndex;

export function isIndex(m: Manifest): m is ImageIndex {
  return Array.isArray((m as ImageIndex).manifests);
}

export interface ImageConfig {
  architecture?: string;
  os?: string;
  variant?: string;
  created?: string;
  author?: string;
  config?: { Env?: string[]; Entrypoint?: string[] | null; Cmd?: string[] | null; Labels?: Record<string, string> | null; WorkingDir?: string; User?: string; ExposedPorts?: Record<string, object> };
  history?: Array<{ created?: string; created_by?: string; empty_layer?: boolean; comment?: string }>;
  rootfs?: { type: string; diff_ids: string[] };
}

export async function fetchManifest(repository: string, reference: string): Promise<{ digest: string; mediaType: string; size: number; manifest: Manifest }> {
  const response = await registryFetch(repository, `manifests/${encodeURIComponent(reference)}`, { headers: { accept: MANIFEST_TYPES } });
  const text = await response.text();
  const manifest = JSON.parse(text) as Manifest;
  return {
    digest: response.headers.get('docker-content-digest') ?? reference,
    mediaType: response.headers.get('content-type') ?? manifest.mediaType ?? '',
    size: new TextEncoder().encode(text).length,
    manifest,
  };
}

export async function fetchConfig(repository: string, digest: string): Promise<ImageConfig> {
  return boundedJson<ImageConfig>(await registryFetch(repository, `blobs/${digest}`));
}

export async function fetchReferrers(repository: string, digest: string): Promise<Descriptor[]> {
  const index = await boundedJson<ImageIndex>(await registryFetch(repository, `referrers/${digest}`));
  return index.manifests ?? [];
}

/** Deletes a tag (the manifest stays while other tags or digests use it). */
export async function deleteTag(repository: string, tag: string): Promise<void> {
  await registryFetch(repository, `manifests/${encodeURIComponent(tag)}`, { method: 'DELETE', actions: 'pull,delete' });
}
