// /api/repositories/:repository/docs: the repository's Markdown document, versioned with author and
// time, rendered to sanitized HTML on the server.
import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { ApiError } from '@docksphere/kit';
import type { MetadataContext } from '../context.ts';
import { renderMarkdown } from '../domain/markdown.ts';
import { decodeCursor, pageLimit, pageOf } from '@docksphere/kit';
import { appendRepositoryDoc, currentRepositoryDoc, listRepositoryDocVersions, repositoryDocVersion, type DocVersionRow } from '../store/documents.ts';
import { ErrorReply, PageOf, PageQuery, inTransaction, iso, requireUser, viewerOf } from './http.ts';
import { RepositoryName, RepositoryParams, readableRepository } from './repositories.ts';

export const Document = Type.Object({
  /** 0 when nothing was written yet. */
  version: Type.Integer(),
  markdown: Type.String(),
  /** Sanitized HTML, safe to insert into the page as is. */
  html: Type.String(),
  author: Type.Union([Type.String(), Type.Null()]),
  updatedAt: Type.Union([Type.String(), Type.Null()]),
});
const Version = Type.Object({ version: Type.Integer(), author: Type.String(), createdAt: Type.String() });

export function documentJson(row: DocVersionRow | undefined) {
  if (!row) return { version: 0, markdown: '', html: '', author: null, updatedAt: null };
  return { version: row.version, markdown: row.markdown, html: row.html, author: row.author_name, updatedAt: iso(row.created_at) };
}

/** Markdown bounded by METADATA_MAX_DOC_BYTES (a 413 beyond it). */
export function checkDocSize(ctx: MetadataContext, markdown: string): void {
  const bytes = Buffer.byteLength(markdown);
  if (bytes > ctx.settings.maxDocBytes) throw new ApiError('PAYLOAD_TOO_LARGE', `the document is ${bytes} bytes; at most ${ctx.settings.maxDocBytes} are accepted`);
}

export async function docRoutes(app: FastifyInstance, ctx: MetadataContext): Promise<void> {
  const r = app.withTypeProvider<TypeBoxTypeProvider>();
  const max = ctx.settings.maxPageSize;

  // The editors' live preview: the same renderer and sanitizer as a save, without saving.
  r.post(
    '/api/docs/preview',
    {
      schema: {
        tags: ['docs'],
        summary: 'Render Markdown to the sanitized HTML a save would store (for editors\' live preview)',
        body: Type.Object({ markdown: Type.String() }, { additionalProperties: false }),
        response: { 200: Type.Object({ html: Type.String() }), 401: ErrorReply, 413: ErrorReply },
      },
    },
    async (request) => {
      await requireUser(ctx, request);
      checkDocSize(ctx, request.body.markdown);
      return { html: renderMarkdown(request.body.markdown) };
    },
  );

  r.get('/api/repositories/:repository/docs', { schema: { tags: ['docs'], summary: 'The repository\'s current document', params: RepositoryParams, response: { 200: Document, 404: ErrorReply } } }, async (request) => {
    const viewer = await viewerOf(ctx, request);
    const { repository } = await readableRepository(ctx, viewer, request.params.repository);
    return documentJson(await currentRepositoryDoc(ctx.db, repository.id));
  });

  r.put(
    '/api/repositories/:repository/docs',
    {
      schema: {
        tags: ['docs'],
        summary: 'Write a new version of the document (write permission); baseVersion guards against overwriting someone else\'s edit',
        params: RepositoryParams,
        body: Type.Object({ markdown: Type.String(), baseVersion: Type.Optional(Type.Integer({ minimum: 0 })) }, { additionalProperties: false }),
        response: { 200: Document, 403: ErrorReply, 404: ErrorReply, 409: ErrorReply, 413: ErrorReply },
      },
    },
    async (request) => {
      const viewer = await requireUser(ctx, request);
      const { repository } = await readableRepository(ctx, viewer, request.params.repository, 'write');
      checkDocSize(ctx, request.body.markdown);
      const html = renderMarkdown(request.body.markdown);
      const version = await inTransaction(ctx, viewer, async (trx, events) => {
        const v = await appendRepositoryDoc(trx, { repositoryId: repository.id, markdown: request.body.markdown, html, authorId: viewer.id, authorName: viewer.username, baseVersion: request.body.baseVersion });
        if (v === undefined) throw new ApiError('CONFLICT', 'the document changed since baseVersion: reload and edit again');
        events.add('metadata.doc.updated', { repository: repository.name, version: v });
        return v;
      });
      return documentJson(await repositoryDocVersion(ctx.db, repository.id, version));
    },
  );

  r.get(
    '/api/repositories/:repository/docs/versions',
    { schema: { tags: ['docs'], summary: 'Versions of the document, newest first', params: RepositoryParams, querystring: Type.Object(PageQuery), response: { 200: PageOf(Version), 404: ErrorReply } } },
    async (request) => {
      const viewer = await viewerOf(ctx, request);
      const { repository } = await readableRepository(ctx, viewer, request.params.repository);
      const limit = pageLimit(request.query.limit, max);
      const [before] = decodeCursor(request.query.cursor, ['number']) ?? [];
      const rows = await listRepositoryDocVersions(ctx.db, repository.id, before as number | undefined, limit);
      return pageOf(rows, limit, (v) => [v.version], (v) => ({ version: v.version, author: v.author_name, createdAt: iso(v.created_at) as string }));
    },
  );

  r.get(
    '/api/repositories/:repository/docs/versions/:version',
    { schema: { tags: ['docs'], summary: 'One version of the document', params: Type.Object({ repository: RepositoryName, version: Type.Integer({ minimum: 1 }) }), response: { 200: Document, 404: ErrorReply } } },
    async (request) => {
      const viewer = await viewerOf(ctx, request);
      const { repository } = await readableRepository(ctx, viewer, request.params.repository);
      const row = await repositoryDocVersion(ctx.db, repository.id, request.params.version);
      if (!row) throw new ApiError('NOT_FOUND', `no version ${request.params.version}`);
      return documentJson(row);
    },
  );
}
