// /v2/<name>/manifests/<reference>: GET/HEAD (with Accept negotiation), PUT, DELETE by tag or digest.
import type { FastifyReply, FastifyRequest } from 'fastify';
import { RegistryError, isValidTag, type Reference } from '@docksphere/oci';
import type { Principal } from '../auth/authorize.ts';
import { actorOf, type RegistryContext } from '../context.ts';
import { tooLarge } from '../domain/manifests.ts';
import type { MalformedReference } from '../domain/target.ts';
import { repositoryExists } from '../store/registry-store.ts';
import { declaredLength, etagMatches, queryValues } from './http.ts';

function describe(reference: Reference | MalformedReference): string {
  if (reference.kind === 'malformed') return reference.raw.slice(0, 200);
  return reference.kind === 'tag' ? reference.tag : reference.digest.digest;
}

/** Why nothing may be stored under a malformed reference: a bad digest if it looks like one, else a bad tag. */
function invalidReference(reference: MalformedReference): RegistryError {
  const detail = { reference: describe(reference) };
  if (reference.raw.includes(':')) return new RegistryError('DIGEST_INVALID', 'invalid digest reference', detail);
  return new RegistryError('TAG_INVALID', 'invalid tag: expected [a-zA-Z0-9_][a-zA-Z0-9._-]{0,127}', detail);
}

/**
 * Whether the Accept header admits the stored media type. Absent or empty Accept admits anything;
 * "*\/*" and "type/*" wildcards count; q=0 excludes (RFC 9110 section 12.5.1).
 */
export function acceptable(accept: string | undefined, mediaType: string): boolean {
  if (accept === undefined || accept.trim() === '') return true;
  const [type] = mediaType.split('/');
  for (const part of accept.split(',')) {
    const [rawRange = '', ...params] = part.split(';');
    const range = rawRange.trim().toLowerCase();
    if (range === '') continue;
    const q = params.map((p) => p.trim().toLowerCase()).find((p) => p.startsWith('q='));
    if (q !== undefined && Number(q.slice(2)) === 0) continue;
    if (range === '*/*' || range === mediaType || range === `${type}/*`) return true;
  }
  return false;
}

/** Most `?tag=` parameters one manifest PUT may carry (each is a row and an event in one transaction). */
export const MAX_TAG_PARAMETERS = 100;

/** The `?tag=` parameters of a manifest PUT, each a valid tag, or TAG_INVALID before anything is read or stored. */
function tagParameters(request: FastifyRequest): string[] {
  const tags = queryValues(request, 'tag');
  if (tags.length > MAX_TAG_PARAMETERS) {
    throw new RegistryError('TAG_INVALID', `at most ${MAX_TAG_PARAMETERS} tag parameters per request`, { count: tags.length });
  }
  for (const tag of tags) {
    if (!isValidTag(tag)) throw new RegistryError('TAG_INVALID', 'invalid tag: expected [a-zA-Z0-9_][a-zA-Z0-9._-]{0,127}', { tag: tag.slice(0, 200) });
  }
  return [...new Set(tags)];
}

async function notFound(ctx: RegistryContext, name: string, reference: Reference | MalformedReference): Promise<RegistryError> {
  if (!(await repositoryExists(ctx.deps.db, name))) return new RegistryError('NAME_UNKNOWN', 'repository name not known to registry', { name });
  return new RegistryError('MANIFEST_UNKNOWN', 'manifest unknown', { reference: describe(reference) });
}

export async function getManifest(
  ctx: RegistryContext,
  request: FastifyRequest,
  reply: FastifyReply,
  name: string,
  reference: Reference | MalformedReference,
  principal: Principal,
  head: boolean,
): Promise<void> {
  // A reference that is neither tag nor digest names nothing: not found, as the conformance suite and distribution answer.
  const m = reference.kind === 'malformed' ? undefined : await ctx.manifests.find(name, reference);
  if (!m) throw await notFound(ctx, name, reference);
  // Negotiation applies to tags, like distribution's schema2-only clients case: by digest the client
  // names the exact content, and refusing it would help no one.
  if (reference.kind === 'tag' && !acceptable(request.headers.accept, m.mediaType)) {
    throw new RegistryError('MANIFEST_UNKNOWN', `manifest is ${m.mediaType}, which the Accept header does not admit`, { mediaType: m.mediaType });
  }
  const etag = `"${m.digest}"`;
  reply.header('content-type', m.mediaType).header('docker-content-digest', m.digest).header('etag', etag);
  if (etagMatches(request, etag)) {
    reply.status(304).send();
    return;
  }
  reply.header('content-length', String(m.size));
  if (head) {
    reply.status(200).send();
    return;
  }
  ctx.pulls.record(actorOf(principal, request), { repository: name, digest: m.digest, reference: describe(reference), mediaType: m.mediaType });
  reply.status(200).send(Buffer.from(m.content.buffer, m.content.byteOffset, m.content.byteLength));
}

/** Reads the manifest body, refusing (413) as soon as it passes the limit: never more is buffered. */
async function readBounded(request: FastifyRequest, limit: number): Promise<Buffer> {
  const declared = declaredLength(request);
  if (declared !== undefined && declared > limit) throw tooLarge(declared, limit);
  const chunks: Buffer[] = [];
  let total = 0;
  for await (const chunk of request.raw) {
    total += (chunk as Buffer).length;
    if (total > limit) throw tooLarge(total, limit);
    chunks.push(chunk as Buffer);
  }
  return chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks, total);
}

export async function putManifest(
  ctx: RegistryContext,
  request: FastifyRequest,
  reply: FastifyReply,
  name: string,
  reference: Reference | MalformedReference,
  principal: Principal,
): Promise<void> {
  if (reference.kind === 'malformed') throw invalidReference(reference);
  const tagParams = tagParameters(request);
  const body = await readBounded(request, ctx.deps.config.maxManifestBytes);
  const result = await ctx.manifests.push(name, reference, body, request.headers['content-type'], actorOf(principal, request), tagParams);
  reply.status(201).header('location', `/v2/${name}/manifests/${result.digest}`).header('docker-content-digest', result.digest).header('content-length', '0');
  if (result.subject !== undefined) reply.header('oci-subject', result.subject);
  // distribution-spec (development version): one OCI-Tag header per tag applied, so a client that
  // sent ?tag= sees they were honoured.
  if (tagParams.length > 0) reply.header('oci-tag', result.tags);
  reply.send();
}

export async function deleteManifest(
  ctx: RegistryContext,
  request: FastifyRequest,
  reply: FastifyReply,
  name: string,
  reference: Reference | MalformedReference,
  principal: Principal,
): Promise<void> {
  if (reference.kind === 'malformed') throw new RegistryError('MANIFEST_UNKNOWN', 'manifest unknown', { reference: describe(reference) });
  const actor = actorOf(principal, request);
  if (reference.kind === 'tag') await ctx.manifests.deleteTag(name, reference.tag, actor);
  else await ctx.manifests.deleteByDigest(name, reference.digest, actor);
  reply.status(202).header('content-length', '0').send();
}
