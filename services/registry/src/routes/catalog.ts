// GET /v2/_catalog: repository names in bytewise order, paginated like tags/list.
import type { FastifyReply, FastifyRequest } from 'fastify';
import { RegistryError, isValidRepositoryName } from '@docksphere/oci';
import type { RegistryContext } from '../context.ts';
import { listRepositories } from '../store/registry-store.ts';
import { JSON_CONTENT_TYPE, pageSize, queryValue } from './http.ts';

export async function getCatalog(ctx: RegistryContext, request: FastifyRequest, reply: FastifyReply): Promise<void> {
  const n = pageSize(request, ctx.deps.config.maxPageSize);
  const last = queryValue(request, 'last');
  if (last !== undefined && last !== '' && !isValidRepositoryName(last)) throw new RegistryError('NAME_INVALID', 'last must be a repository name', { last: last.slice(0, 300) });
  const rows = n === 0 ? [] : await listRepositories(ctx.deps.db, last === '' ? undefined : last, n + 1);
  const repositories = rows.slice(0, n);
  if (rows.length > n) {
    reply.header('link', `</v2/_catalog?n=${n}&last=${encodeURIComponent(repositories[repositories.length - 1] as string)}>; rel="next"`);
  }
  reply.status(200).header('content-type', JSON_CONTENT_TYPE).send(JSON.stringify({ repositories }));
}
