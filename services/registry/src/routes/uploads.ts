// /v2/<name>/blobs/uploads/[<id>]: start (or mount, or monolithic POST), PATCH chunks, GET status,
// PUT to complete, DELETE to cancel.
import type { FastifyReply, FastifyRequest } from 'fastify';
import { newEvent } from '@docksphere/events';
import { RegistryError, isValidRepositoryName, parseDigest, type ParsedDigest } from '@docksphere/oci';
import { pullableRepositories, principalAllows, type Principal } from '../auth/authorize.ts';
import { actorOf, type RegistryContext } from '../context.ts';
import { parseContentRange } from '../domain/range.ts';
import { uploadRange, type ChunkHeaders } from '../domain/uploads.ts';
import * as sql from '../store/registry-store.ts';
import { declaredLength, hasBody, queryValue } from './http.ts';

function uploadLocation(name: string, id: string): string {
  return `/v2/${name}/blobs/uploads/${id}`;
}

function sessionHeaders(reply: FastifyReply, name: string, id: string, size: number): FastifyReply {
  return reply.header('location', uploadLocation(name, id)).header('range', uploadRange(size)).header('docker-upload-uuid', id);
}

function created(reply: FastifyReply, name: string, digest: string): void {
  reply.status(201).header('location', `/v2/${name}/blobs/${digest}`).header('docker-content-digest', digest).header('content-length', '0').send();
}

function digestParam(request: FastifyRequest): ParsedDigest {
  const raw = queryValue(request, 'digest');
  if (raw === undefined) throw new RegistryError('DIGEST_INVALID', 'the digest query parameter is required');
  const d = parseDigest(raw);
  if (!d) throw new RegistryError('DIGEST_INVALID', 'invalid digest: expected sha256:<64 hex> or sha512:<128 hex>', { digest: raw.slice(0, 200) });
  return d;
}

async function chunkHeaders(ctx: RegistryContext, request: FastifyRequest, name: string, id: string): Promise<ChunkHeaders> {
  const contentRange = parseContentRange(request.headers['content-range']);
  if (contentRange === 'invalid') {
    const { size } = await ctx.uploads.status(name, id);
    throw new RegistryError('RANGE_INVALID', 'Content-Range must be <start>-<end>', { size }, {
      headers: { range: uploadRange(size), location: uploadLocation(name, id), 'docker-upload-uuid': id },
    });
  }
  return { contentRange, contentLength: declaredLength(request) };
}

/** Cross-repository mount: 201 when the blob is linked in a repository the caller may pull from, else undefined. */
async function tryMount(ctx: RegistryContext, request: FastifyRequest, principal: Principal, name: string, mount: string): Promise<string | undefined> {
  const digest = parseDigest(mount);
  if (!digest) throw new RegistryError('DIGEST_INVALID', 'invalid mount digest', { digest: mount.slice(0, 200) });
  const from = queryValue(request, 'from');
  let source: { repository: string; size: number } | undefined;
  if (from !== undefined && from !== '') {
    if (!isValidRepositoryName(from)) throw new RegistryError('NAME_INVALID', 'invalid from repository name', { name: from.slice(0, 300) });
    // No pull on `from` is not an error: the client simply uploads (202), as the spec's fallback says.
    if (!principalAllows(principal, 'repository', from, 'pull')) return undefined;
    const size = await sql.linkedBlobSize(ctx.deps.db, from, digest.digest);
    if (size !== undefined) source = { repository: from, size };
  } else {
    source = await sql.findBlobLink(ctx.deps.db, digest.digest, pullableRepositories(principal));
  }
  if (!source) return undefined;
  const found = source;
  const event = newEvent('registry.blob.mounted', actorOf(principal, request), { repository: name, digest: digest.digest, from: found.repository });
  const mounted = await ctx.deps.db.transaction().execute(async (trx) => {
    if (!(await sql.mountBlob(trx, name, digest.digest, found.size))) return false;
    await sql.writeEvents(trx, [event]);
    return true;
  });
  // A blob a GC run is deleting cannot be mounted: the client uploads it (202).
  if (!mounted) return undefined;
  ctx.blobs.remember(name, digest.digest, found.size);
  ctx.deps.onEventsWritten?.();
  return digest.digest;
}

/** Whose session count a new upload adds to: the token's subject (none for anonymous or auth off). */
function openedBy(principal: Principal): string | undefined {
  return principal.subject === '' ? undefined : principal.subject;
}

/** Digest algorithms an upload may be verified with (`?digest-algorithm=` on POST, the digest on PUT). */
const UPLOAD_DIGEST_ALGORITHMS: readonly string[] = ['sha256', 'sha512'];

export async function postUpload(ctx: RegistryContext, request: FastifyRequest, reply: FastifyReply, name: string, principal: Principal): Promise<void> {
  // distribution-spec (development version): the client may name the algorithm of the digest it will send.
  const algorithm = queryValue(request, 'digest-algorithm');
  if (algorithm !== undefined && !UPLOAD_DIGEST_ALGORITHMS.includes(algorithm)) {
    throw new RegistryError('DIGEST_INVALID', `unsupported digest algorithm: expected one of ${UPLOAD_DIGEST_ALGORITHMS.join(', ')}`, { algorithm: algorithm.slice(0, 100) });
  }
  const mount = queryValue(request, 'mount');
  if (mount !== undefined) {
    const mounted = await tryMount(ctx, request, principal, name, mount);
    if (mounted) return created(reply, name, mounted);
  } else if (queryValue(request, 'digest') !== undefined) {
    const digest = digestParam(request);
    await ctx.uploads.monolithic(name, openedBy(principal), digest, request.raw, declaredLength(request));
    return created(reply, name, digest.digest);
  }
  const { id } = await ctx.uploads.start(name, openedBy(principal));
  sessionHeaders(reply, name, id, 0).status(202).header('content-length', '0').send();
}

export async function patchUpload(ctx: RegistryContext, request: FastifyRequest, reply: FastifyReply, name: string, id: string): Promise<void> {
  const headers = await chunkHeaders(ctx, request, name, id);
  const { size } = await ctx.uploads.append(name, id, request.raw, headers);
  sessionHeaders(reply, name, id, size).status(202).header('content-length', '0').send();
}

export async function putUpload(ctx: RegistryContext, request: FastifyRequest, reply: FastifyReply, name: string, id: string): Promise<void> {
  const digest = digestParam(request);
  const body = hasBody(request) ? request.raw : undefined;
  const headers = body ? await chunkHeaders(ctx, request, name, id) : { contentRange: undefined, contentLength: undefined };
  await ctx.uploads.complete(name, id, digest, body, headers);
  created(reply, name, digest.digest);
}

export async function getUploadStatus(ctx: RegistryContext, reply: FastifyReply, name: string, id: string): Promise<void> {
  const { size } = await ctx.uploads.status(name, id);
  sessionHeaders(reply, name, id, size).status(204).send();
}

export async function deleteUpload(ctx: RegistryContext, reply: FastifyReply, name: string, id: string): Promise<void> {
  await ctx.uploads.cancel(name, id);
  reply.status(204).send();
}
