// GET /v2/<name>/referrers/<digest>: an OCI image index of the manifests whose subject is <digest>.
import type { FastifyReply, FastifyRequest } from 'fastify';
import { MediaTypes, RegistryError, isValidMediaType, parseDigest, type ParsedDigest } from '@docksphere/oci';
import type { RegistryContext } from '../context.ts';
import { listReferrers } from '../store/registry-store.ts';
import { queryValue } from './http.ts';

export async function getReferrers(ctx: RegistryContext, request: FastifyRequest, reply: FastifyReply, name: string, subject: ParsedDigest): Promise<void> {
  const artifactType = queryValue(request, 'artifactType') || undefined;
  if (artifactType !== undefined && !isValidMediaType(artifactType)) {
    throw new RegistryError('UNSUPPORTED', 'artifactType must be a media type', { artifactType: artifactType.slice(0, 300) }, { status: 400 });
  }
  // `last` is the opaque cursor our own Link header hands out (the last digest of the previous page).
  const lastRaw = queryValue(request, 'last');
  const last = lastRaw ? parseDigest(lastRaw)?.digest : undefined;
  if (lastRaw && last === undefined) throw new RegistryError('DIGEST_INVALID', 'last must be a digest');
  const limit = ctx.deps.config.maxPageSize;
  // An unknown repository or subject is an empty list, never a 404 (a 404 tells clients the API is missing).
  const rows = await listReferrers(ctx.deps.db, name, subject.digest, artifactType, last, limit + 1);
  const page = rows.slice(0, limit);
  if (artifactType !== undefined) reply.header('oci-filters-applied', 'artifactType');
  if (rows.length > limit) {
    const params = new URLSearchParams();
    if (artifactType !== undefined) params.set('artifactType', artifactType);
    params.set('last', (page[page.length - 1] as { digest: string }).digest);
    reply.header('link', `</v2/${name}/referrers/${subject.digest}?${params.toString()}>; rel="next"`);
  }
  const index = {
    schemaVersion: 2,
    mediaType: MediaTypes.OciIndex,
    manifests: page.map((r) => ({
      mediaType: r.mediaType,
      digest: r.digest,
      size: r.size,
      ...(r.artifactType !== undefined ? { artifactType: r.artifactType } : {}),
      ...(r.annotations !== undefined ? { annotations: r.annotations } : {}),
    })),
  };
  // A Buffer, not a string: Fastify would append "; charset=utf-8" to the media type.
  reply.status(200).header('content-type', MediaTypes.OciIndex).send(Buffer.from(JSON.stringify(index)));
}
