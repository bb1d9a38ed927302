// Turns a /v2 request path into the resource it names. Repository names hold slashes, so the
// resource is recognised from the end of the path; every part is validated before anyone uses it.
import { RegistryError, isValidRepositoryName, parseDigest, parseReference, type ParsedDigest, type Reference } from '@docksphere/oci';

/**
 * A manifest reference that is neither a valid tag nor a valid digest. Kept rather than refused here
 * because the answer depends on the method: nothing can be found under it (reads: 404), nothing
 * may be stored under it (PUT: 400).
 */
export interface MalformedReference {
  kind: 'malformed';
  raw: string;
}

export type Target =
  | { kind: 'base' }
  | { kind: 'catalog' }
  | { kind: 'tags'; name: string }
  | { kind: 'manifest'; name: string; reference: Reference | MalformedReference }
  | { kind: 'blob'; name: string; digest: ParsedDigest }
  | { kind: 'uploads'; name: string }
  | { kind: 'upload'; name: string; id: string }
  | { kind: 'referrers'; name: string; digest: ParsedDigest };

const UPLOAD_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

function checkedName(segments: string[]): string {
  const name = segments.join('/');
  if (segments.some((s) => s.includes('/'))) throw new RegistryError('NAME_INVALID', 'invalid repository name', { name: name.slice(0, 300) });
  if (!isValidRepositoryName(name)) throw new RegistryError('NAME_INVALID', 'invalid repository name', { name: name.slice(0, 300) });
  return name;
}

function checkedDigest(s: string): ParsedDigest {
  const d = parseDigest(s);
  if (!d) throw new RegistryError('DIGEST_INVALID', 'invalid digest: expected sha256:<64 hex> or sha512:<128 hex>', { digest: s.slice(0, 200) });
  return d;
}

/**
 * Parses the path after "/v2" (query string removed). Returns undefined for a path no /v2
 * endpoint has; throws NAME_INVALID / DIGEST_INVALID for a malformed name or blob digest.
 */
export function parseTarget(rawPath: string): Target | undefined {
  if (rawPath === '/v2' || rawPath === '/v2/') return { kind: 'base' };
  if (!rawPath.startsWith('/v2/')) return undefined;
  // Split before decoding: an encoded slash (%2F) stays inside its segment and fails validation
  // there, instead of changing which resource the path names.
  let seg: string[];
  try {
    seg = rawPath.slice(4).split('/').map((s) => (s.includes('%') ? decodeURIComponent(s) : s));
  } catch {
    throw new RegistryError('NAME_INVALID', 'malformed percent-encoding in the request path');
  }
  if (seg.length === 1 && seg[0] === '_catalog') return { kind: 'catalog' };
  const n = seg.length;
  if (n >= 3 && seg[n - 2] === 'tags' && seg[n - 1] === 'list') return { kind: 'tags', name: checkedName(seg.slice(0, n - 2)) };
  if (n >= 4 && seg[n - 3] === 'blobs' && seg[n - 2] === 'uploads') {
    const name = checkedName(seg.slice(0, n - 3));
    const id = seg[n - 1] as string;
    if (id === '') return { kind: 'uploads', name };
    // An id we never issue cannot name a session: unknown, not invalid.
    if (!UPLOAD_ID.test(id)) throw new RegistryError('BLOB_UPLOAD_UNKNOWN', 'upload session unknown', { id: id.slice(0, 100) });
    return { kind: 'upload', name, id };
  }
  if (n >= 3 && seg[n - 2] === 'blobs') {
    if (seg[n - 1] === 'uploads') return { kind: 'uploads', name: checkedName(seg.slice(0, n - 2)) };
    const name = checkedName(seg.slice(0, n - 2));
    return { kind: 'blob', name, digest: checkedDigest(seg[n - 1] as string) };
  }
  if (n >= 3 && seg[n - 2] === 'manifests') {
    const name = checkedName(seg.slice(0, n - 2));
    const raw = seg[n - 1] as string;
    return { kind: 'manifest', name, reference: parseReference(raw) ?? { kind: 'malformed', raw } };
  }
  if (n >= 3 && seg[n - 2] === 'referrers') {
    const name = checkedName(seg.slice(0, n - 2));
    return { kind: 'referrers', name, digest: checkedDigest(seg[n - 1] as string) };
  }
  return undefined;
}
