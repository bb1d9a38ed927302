// /v2/<name>/blobs/<digest>: HEAD, GET (with Range, ETag, redirects) and DELETE of a repository's blobs.
import type { FastifyReply, FastifyRequest } from 'fastify';
import { RegistryError, type ParsedDigest } from '@docksphere/oci';
import type { RegistryContext } from '../context.ts';
import { parseRange } from '../domain/range.ts';
import { etagMatches } from './http.ts';

function blobUnknown(digest: string): RegistryError {
  return new RegistryError('BLOB_UNKNOWN', 'blob unknown to registry', { digest });
}

export async function getBlob(ctx: RegistryContext, request: FastifyRequest, reply: FastifyReply, name: string, d: ParsedDigest, head: boolean): Promise<void> {
  const digest = d.digest;
  let size = await ctx.blobs.size(name, digest);
  // A manifest is content too: serve it through the blob endpoint as distribution does.
  let manifestBytes: Uint8Array | undefined;
  if (size === undefined) {
    const m = await ctx.manifests.find(name, { kind: 'digest', digest: d });
    if (!m) throw blobUnknown(digest);
    manifestBytes = m.content;
    size = m.size;
  }
  const etag = `"${digest}"`;
  reply.header('docker-content-digest', digest).header('etag', etag).header('accept-ranges', 'bytes');
  if (etagMatches(request, etag)) {
    reply.status(304).send();
    return;
  }
  const range = parseRange(request.headers.range, size);
  if (range.kind === 'unsatisfiable') {
    throw new RegistryError('RANGE_INVALID', 'requested range not satisfiable', { size }, { headers: { 'content-range': `bytes */${size}` } });
  }
  reply.header('content-type', 'application/octet-stream');
  if (head) {
    if (range.kind === 'range') {
      reply.status(206).header('content-range', `bytes ${range.range.start}-${range.range.end}/${size}`).header('content-length', String(range.range.end - range.range.start + 1));
    } else reply.status(200).header('content-length', String(size));
    reply.send();
    return;
  }
  if (manifestBytes) {
    const buf = Buffer.from(manifestBytes.buffer, manifestBytes.byteOffset, manifestBytes.byteLength);
    if (range.kind === 'range') {
      reply.status(206).header('content-range', `bytes ${range.range.start}-${range.range.end}/${size}`).send(buf.subarray(range.range.start, range.range.end + 1));
    } else reply.status(200).send(buf);
    return;
  }
  const location = await ctx.deps.store.locate(digest);
  if (location?.kind === 'url') {
    reply.status(307).header('location', location.url).send();
    return;
  }
  if (location?.kind === 'path' && ctx.deps.accelPrefix) {
    // NGINX serves the file (and the Range) from its internal location; no body from here.
    reply.status(200).header('x-accel-redirect', `${ctx.deps.accelPrefix.replace(/\/+$/, '')}/${location.path.replace(/^\/+/, '')}`).send();
    return;
  }
  const read = await ctx.deps.store.read(digest, range.kind === 'range' ? range.range : undefined);
  if (!read.exists) throw blobUnknown(digest);
  if (range.kind === 'range') {
    reply
      .status(206)
      .header('content-range', `bytes ${range.range.start}-${range.range.end}/${size}`)
      .header('content-length', String(range.range.end - range.range.start + 1));
  } else reply.status(200).header('content-length', String(size));
  reply.send(read.body);
}

export async function deleteBlob(ctx: RegistryContext, reply: FastifyReply, name: string, d: ParsedDigest): Promise<void> {
  // Unlinks from this repository only; the bytes stay for other repositories (garbage collection
  // removes orphans). A blob a manifest here still names stays: a pull of that manifest must not break.
  const result = await ctx.blobs.unlink(name, d.digest);
  if (result.kind === 'unknown') throw blobUnknown(d.digest);
  if (result.kind === 'referenced') {
    throw new RegistryError('UNSUPPORTED', `blob is referenced by manifest ${result.manifest} in ${name}: delete the manifest first`, { digest: d.digest, manifest: result.manifest });
  }
  reply.status(202).header('content-length', '0').send();
}
