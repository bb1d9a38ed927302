// /api/pages: the global documentation section, pages of Markdown editable by site admins and
// versioned like repository documents; the user guide ships as its first pages.
import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { ApiError } from '@docksphere/kit';
import type { MetadataContext } from '../context.ts';
import { renderMarkdown } from '../domain/markdown.ts';
import { decodeCursor, pageLimit, pageOf } from '@docksphere/kit';
import { deletePage, findPage, listPageVersions, listPages, pageVersion, savePage } from '../store/documents.ts';
import { ErrorReply, PageOf, PageQuery, inTransaction, iso, requireSiteAdmin, viewerOf } from './http.ts';
import { checkDocSize } from './docs.ts';

export const SLUG_PATTERN = '^[a-z0-9]+(?:-[a-z0-9]+)*$';
const Slug = Type.String({ minLength: 1, maxLength: 100, pattern: SLUG_PATTERN });
const PageSummary = Type.Object({ slug: Type.String(), title: Type.String(), position: Type.Integer(), version: Type.Integer(), updatedAt: Type.String() });
const Page = Type.Object({
  slug: Type.String(),
  title: Type.String(),
  position: Type.Integer(),
  version: Type.Integer(),
  markdown: Type.String(),
  html: Type.String(),
  author: Type.String(),
  updatedAt: Type.String(),
});
const Version = Type.Object({ version: Type.Integer(), title: Type.String(), author: Type.String(), createdAt: Type.String() });

export async function pageRoutes(app: FastifyInstance, ctx: MetadataContext): Promise<void> {
  const r = app.withTypeProvider<TypeBoxTypeProvider>();
  const max = ctx.settings.maxPageSize;

  async function pageJson(slug: string, version?: number) {
    const page = await findPage(ctx.db, slug);
    if (!page) throw new ApiError('NOT_FOUND', `page ${slug} not found`);
    const v = await pageVersion(ctx.db, slug, version ?? page.current_version);
    if (!v) throw new ApiError('NOT_FOUND', `page ${slug} has no version ${version}`);
    return { slug, title: v.title, position: page.position, version: v.version, markdown: v.markdown, html: v.html, author: v.author_name, updatedAt: iso(v.created_at) as string };
  }

  r.get('/api/pages', { schema: { tags: ['docs'], summary: 'Documentation pages in their order', querystring: Type.Object(PageQuery), response: { 200: PageOf(PageSummary) } } }, async (request) => {
    await viewerOf(ctx, request);
    const limit = pageLimit(request.query.limit, max);
    const after = decodeCursor(request.query.cursor, ['number', 'string']) as [number, string] | undefined;
    const rows = await listPages(ctx.db, after, limit);
    return pageOf(rows, limit, (p) => [p.position, p.slug], (p) => ({ slug: p.slug, title: p.title, position: p.position, version: p.current_version, updatedAt: iso(p.updated_at) as string }));
  });

  r.get('/api/pages/:slug', { schema: { tags: ['docs'], summary: 'One page, current version', params: Type.Object({ slug: Slug }), response: { 200: Page, 404: ErrorReply } } }, async (request) => {
    await viewerOf(ctx, request);
    return pageJson(request.params.slug);
  });

  r.put(
    '/api/pages/:slug',
    {
      schema: {
        tags: ['docs'],
        summary: 'Create a page or write a new version (site admins)',
        params: Type.Object({ slug: Slug }),
        body: Type.Object(
          { title: Type.String({ minLength: 1, maxLength: 200 }), markdown: Type.String(), position: Type.Optional(Type.Integer({ minimum: 0, maximum: 100000 })), baseVersion: Type.Optional(Type.Integer({ minimum: 0 })) },
          { additionalProperties: false },
        ),
        response: { 200: Page, 403: ErrorReply, 409: ErrorReply, 413: ErrorReply },
      },
    },
    async (request) => {
      const viewer = await requireSiteAdmin(ctx, request);
      checkDocSize(ctx, request.body.markdown);
      const html = renderMarkdown(request.body.markdown);
      const { slug } = request.params;
      await inTransaction(ctx, viewer, async (trx, events) => {
        const version = await savePage(trx, { slug, title: request.body.title, position: request.body.position, markdown: request.body.markdown, html, authorId: viewer.id, authorName: viewer.username, baseVersion: request.body.baseVersion });
        if (version === undefined) throw new ApiError('CONFLICT', 'the page changed since baseVersion: reload and edit again');
        events.add('metadata.doc.updated', { page: slug, version });
      });
      return pageJson(slug);
    },
  );

  r.delete('/api/pages/:slug', { schema: { tags: ['docs'], summary: 'Delete a page and its versions (site admins)', params: Type.Object({ slug: Slug }), response: { 204: Type.Null(), 403: ErrorReply, 404: ErrorReply } } }, async (request, reply) => {
    await requireSiteAdmin(ctx, request);
    if (!(await deletePage(ctx.db, request.params.slug))) throw new ApiError('NOT_FOUND', `page ${request.params.slug} not found`);
    return reply.code(204).send(null);
  });

  r.get(
    '/api/pages/:slug/versions',
    { schema: { tags: ['docs'], summary: 'Versions of a page, newest first', params: Type.Object({ slug: Slug }), querystring: Type.Object(PageQuery), response: { 200: PageOf(Version), 404: ErrorReply } } },
    async (request) => {
      await viewerOf(ctx, request);
      if (!(await findPage(ctx.db, request.params.slug))) throw new ApiError('NOT_FOUND', `page ${request.params.slug} not found`);
      const limit = pageLimit(request.query.limit, max);
      const [before] = decodeCursor(request.query.cursor, ['number']) ?? [];
      const rows = await listPageVersions(ctx.db, request.params.slug, before as number | undefined, limit);
      return pageOf(rows, limit, (v) => [v.version], (v) => ({ version: v.version, title: v.title, author: v.author_name, createdAt: iso(v.created_at) as string }));
    },
  );

  r.get(
    '/api/pages/:slug/versions/:version',
    { schema: { tags: ['docs'], summary: 'One version of a page', params: Type.Object({ slug: Slug, version: Type.Integer({ minimum: 1 }) }), response: { 200: Page, 404: ErrorReply } } },
    async (request) => {
      await viewerOf(ctx, request);
      return pageJson(request.params.slug, request.params.version);
    },
  );
}
