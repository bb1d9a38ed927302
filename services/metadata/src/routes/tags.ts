// The repository view's registry data: tags with digest, media type, sizes, platforms, who pushed
// when and pull counts, and each tag's history. Fed by registry events, never the registry's tables.
import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { ApiError } from '@docksphere/kit';
import type { MetadataContext } from '../context.ts';
import { decodeCursor, pageLimit, pageOf } from '@docksphere/kit';
import { listTags, tagHistory, type TagCursor, type TagSort } from '../store/registry-view.ts';
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

const TagListQuery = Type.Object({
  ...PageQuery,
  sort: Type.Optional(
    Type.Union([Type.Literal('name'), Type.Literal('pushed'), Type.Literal('semver')], {
      description: 'name (default, A to Z), pushed (newest first) or semver (highest version first, other tags after)',
    }),
  ),
  q: Type.Optional(Type.String({ minLength: 1, maxLength: 128, description: 'only tags whose name contains this text' })),
});

/** The cursor of a tag page, read back in the shape of the sort it was made for. */
function tagCursor(sort: TagSort, cursor: string | undefined): TagCursor | undefined {
  if (sort === 'name') {
    const [after] = decodeCursor(cursor, ['string']) ?? [];
    return after === undefined ? undefined : { sort, after: after as string };
  }
  if (sort === 'pushed') {
    const key = decodeCursor(cursor, ['string', 'string']);
    return key ? { sort, pushedAt: key[0] as string, tag: key[1] as string } : undefined;
  }
  const [offset] = decodeCursor(cursor, ['number']) ?? [];
  if (offset !== undefined && (!Number.isInteger(offset) || (offset as number) < 0)) throw new ApiError('VALIDATION_FAILED', 'invalid cursor: pass back the nextCursor of a previous page');
  return offset === undefined ? undefined : { sort, offset: offset as number };
}

export async function tagRoutes(app: FastifyInstance, ctx: MetadataContext): Promise<void> {
  const r = app.withTypeProvider<TypeBoxTypeProvider>();
  const max = ctx.settings.maxPageSize;

  r.get(
    '/api/repositories/:repository/tags',
    {
      schema: {
        tags: ['repositories'],
        summary: 'Tags of a repository with their image facts, sorted by name, push time or version, optionally filtered by name',
        params: RepositoryParams,
        querystring: TagListQuery,
        response: { 200: PageOf(Tag), 400: ErrorReply, 404: ErrorReply },
      },
    },
    async (request) => {
      const viewer = await viewerOf(ctx, request);
      const { repository } = await readableRepository(ctx, viewer, request.params.repository);
      const limit = pageLimit(request.query.limit, max);
      const sort = request.query.sort ?? 'name';
      const cursor = tagCursor(sort, request.query.cursor);
      const rows = await listTags(ctx.db, repository.id, { sort, contains: request.query.q, cursor, limit });
      const keyOf = (t: (typeof rows)[number]): (string | number)[] =>
        sort === 'name' ? [t.tag] : sort === 'pushed' ? [t.pushed_key, t.tag] : [(cursor?.sort === 'semver' ? cursor.offset : 0) + limit];
      return pageOf(rows, limit, keyOf, (t) => ({
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
