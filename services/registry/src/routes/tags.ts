// GET /v2/<name>/tags/list: tags in bytewise order, paginated with n, last and a Link header.
import type { FastifyReply, FastifyRequest } from 'fastify';
import { RegistryError, isValidTag } from '@docksphere/oci';
import type { RegistryContext } from '../context.ts';
import { repositoryExists } from '../store/registry-store.ts';
import { JSON_CONTENT_TYPE, pageSize, queryValue } from './http.ts';

export async function getTags(ctx: RegistryContext, request: FastifyRequest, reply: FastifyReply, name: string): Promise<void> {
  const n = pageSize(request, ctx.deps.config.maxPageSize);
  const last = queryValue(request, 'last');
  if (last !== undefined && last !== '' && !isValidTag(last)) throw new RegistryError('TAG_INVALID', 'last must be a tag', { last: last.slice(0, 200) });
  const after = last === '' ? undefined : last;
  const rows = n === 0 ? [] : await ctx.manifests.listTags(name, after, n + 1);
  if (rows.length === 0 && !(await repositoryExists(ctx.deps.db, name))) {
    throw new RegistryError('NAME_UNKNOWN', 'repository name not known to registry', { name });
  }
  const tags = rows.slice(0, n);
  if (rows.length > n) {
    const next = `/v2/${name}/tags/list?n=${n}&last=${encodeURIComponent(tags[tags.length - 1] as string)}`;
    reply.header('link', `<${next}>; rel="next"`);
  }
  reply.status(200).header('content-type', JSON_CONTENT_TYPE).send(JSON.stringify({ name, tags }));
}
