// The repository view's registry data: tags with digest, media type, sizes, platforms, who pushed
// when and pull counts, and each tag's history. Fed by registry events, never the registry's tables.
import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import type { MetadataContext } from '../context.ts';
import { decodeCursor, pageLimit, pageOf } from '@docksphere/kit';
import { listTags, tagHistory } from '../store/registry-view.ts';
import { ErrorReply, PageOf, PageQuery, iso, viewerOf } from './http.ts';
import { RepositoryName, RepositoryParams, readableRepository } from './repositories.ts';

const TagName = Type.String({ minLength: 1, maxLength: 128, pattern: '^[A-Za-z0-9_][A-Za-z0-9._-]{0,127}$' });
const Tag = Type.Object({
  tag: Type.String(),
  digest: Type.String(),
  mediaType: Type.Union([Type.String(), Type.Null()]),
  artifactType: Type.Union([Type.String(), Type.Null()]),
  /** The manifest's own size. */
  manifestSize: Type.Union([Type.Integer(), Type.Null()]),
  /** Manifest, config and layers; for an index, its children. */
  totalSize: Type.Union([Type.Integer(), Type.Null()]),
  /** Platforms of an index ("linux/amd64"); empty for a single image. */
  platforms: Type.Array(Type.String()),
  pushedAt: Type.String(),
  pushedBy: Type.String(),
  pullCount: Type.Integer(),
  lastPulledAt: Type.Union([Type.String(), Type.Null()]),
});
const HistoryEntry = Type.Object({ tag: Type.String(), digest: Type.String(), action: Type.Union([Type.Literal('pushed'), Type.Literal('deleted')]), at: Type.String(), by: Type.String() });

export async function tagRoutes(app: FastifyInstance, ctx: MetadataContext): Promise<void> {
  const r = app.withTypeProvider<TypeBoxTypeProvider>();
  const max = ctx.settings.maxPageSize;

  r.get(
    '/api/repositories/:repository/tags',
    { schema: { tags: ['repositories'], summary: 'Tags of a repository with their image facts', params: RepositoryParams, querystring: Type.Object(PageQuery), response: { 200: PageOf(Tag), 404: ErrorReply } } },
    async (request) => {
      const viewer = await viewerOf(ctx, request);
      const { repository } = await readableRepository(ctx, viewer, request.params.repository);
      const limit = pageLimit(request.query.limit, max);
      const [after] = decodeCursor(request.query.cursor, ['string']) ?? [];
      const rows = await listTags(ctx.db, repository.id, after as string | undefined, limit);
      return pageOf(rows, limit, (t) => [t.tag], (t) => ({
        tag: t.tag,
        digest: t.digest,
        mediaType: t.media_type,
        artifactType: t.artifact_type,
        manifestSize: t.size === null ? null : Number(t.size),
        totalSize: t.total_size === null ? null : Number(t.total_size),
        platforms: t.platforms ?? [],
        pushedAt: iso(t.pushed_at) as string,
        pushedBy: t.pushed_by,
        pullCount: Number(t.pull_count),
        lastPulledAt: iso(t.last_pulled_at),
      }));
    },
  );

  r.get(
    '/api/repositories/:repository/tags/:tag/history',
    {
      schema: {
        tags: ['repositories'],
        summary: 'What a tag pointed to over time, newest first (image version history)',
        params: Type.Object({ repository: RepositoryName, tag: TagName }),
        querystring: Type.Object(PageQuery),
        response: { 200: PageOf(HistoryEntry), 404: ErrorReply },
      },
    },
    async (request) => {
      const viewer = await viewerOf(ctx, request);
      const { repository } = await readableRepository(ctx, viewer, request.params.repository);
      const limit = pageLimit(request.query.limit, max);
      const [before] = decodeCursor(request.query.cursor, ['number']) ?? [];
      const rows = await tagHistory(ctx.db, repository.id, request.params.tag, before as number | undefined, limit);
      return pageOf(rows, limit, (h) => [Number(h.id)], (h) => ({ tag: h.tag, digest: h.digest, action: h.action, at: iso(h.at) as string, by: h.actor }));
    },
  );
}
