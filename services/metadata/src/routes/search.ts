// GET /api/search: repositories by name and description, ranked, among those the caller may read.
import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import type { MetadataContext } from '../context.ts';
import { decodeCursor, pageLimit, pageOf } from '@docksphere/kit';
import { searchRepositories } from '../store/repositories.ts';
import { ErrorReply, PageOf, PageQuery, viewerOf } from './http.ts';
import { Repository, repositoryJson } from './repositories.ts';

const Hit = Type.Object({ ...Repository.properties, score: Type.Integer() });

export async function searchRoutes(app: FastifyInstance, ctx: MetadataContext): Promise<void> {
  const r = app.withTypeProvider<TypeBoxTypeProvider>();
  r.get(
    '/api/search',
    {
      schema: {
        tags: ['search'],
        summary: 'Search repositories: exact and partial name matches rank above description matches',
        querystring: Type.Object({ ...PageQuery, q: Type.String({ minLength: 1, maxLength: 100 }) }),
        response: { 200: PageOf(Hit), 400: ErrorReply },
      },
    },
    async (request) => {
      const viewer = await viewerOf(ctx, request);
      const limit = pageLimit(request.query.limit, ctx.settings.maxPageSize);
      const after = decodeCursor(request.query.cursor, ['number', 'string']) as [number, string] | undefined;
      const rows = await searchRepositories(ctx.db, viewer, request.query.q.trim(), after, limit);
      return pageOf(rows, limit, (row) => [Number(row.score), row.name], (row) => ({ ...repositoryJson(row), score: Number(row.score) }));
    },
  );
}
