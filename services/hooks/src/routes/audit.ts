// /api/audit/entries (filtered, cursor-paginated), /api/audit/export (NDJSON or CSV, streamed) and
// /api/audit/verify (the hash chain). Site admins see every entry; repository and namespace admins
// see the entries of what they administer.
import { Readable } from 'node:stream';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { Type, type Static, type TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { ApiError, PageOf, PageQuery, decodeCursor, pageOf } from '@docksphere/kit';
import type { HooksContext } from '../context.ts';
import type { ChainedAuditEntry } from '../domain/audit-entry.ts';
import { queryAuditEntries, verifyAuditChain, type AuditFilter } from '../store/audit-entries.ts';
import { allowed, parseTime, requireAdmin, requireUser } from './http.ts';
import { AuditEntry, ChainVerification } from './schemas.ts';

const Filters = {
  actor: Type.Optional(Type.String({ minLength: 1, maxLength: 256 })),
  repository: Type.Optional(Type.String({ minLength: 1, maxLength: 512 })),
  namespace: Type.Optional(Type.String({ minLength: 1, maxLength: 256 })),
  action: Type.Optional(Type.String({ minLength: 1, maxLength: 200, pattern: '^[a-z0-9_-]+(\\.[a-z0-9_-]+)*(\\.\\*)?$' })),
  since: Type.Optional(Type.String({ maxLength: 64 })),
  until: Type.Optional(Type.String({ maxLength: 64 })),
};
const EntriesQuery = Type.Object({ ...Filters, ...PageQuery });
const MAX_PAGE = 500;
const ExportQuery = Type.Object({ ...Filters, format: Type.Union([Type.Literal('ndjson'), Type.Literal('csv')]) });
type FilterQuery = Static<typeof ExportQuery>;

export function entryView(e: ChainedAuditEntry) {
  return {
    seq: e.seq,
    id: e.id,
    action: e.action,
    occurredAt: e.occurredAt,
    recordedAt: e.recordedAt,
    actor: e.actor,
    repository: e.repository,
    namespace: e.namespace,
    target: e.target,
    details: e.details,
    prevHash: e.prevHash,
    hash: e.hash,
  };
}

/** The filter the caller asked for, after checking they may see what it selects. */
async function authorizedFilter(ctx: HooksContext, request: FastifyRequest, q: FilterQuery | Static<typeof EntriesQuery>): Promise<AuditFilter> {
  const user = await requireUser(ctx, request);
  const filter: AuditFilter = { actor: q.actor, repository: q.repository, namespace: q.namespace, action: q.action, since: parseTime('since', q.since), until: parseTime('until', q.until) };
  if (user.admin) return filter;
  if (q.repository !== undefined) {
    if (await allowed(ctx, () => ctx.policy.isRepositoryAdmin(user, q.repository!))) return filter;
    throw new ApiError('FORBIDDEN', `you do not administer repository "${q.repository}"`);
  }
  if (q.namespace !== undefined) {
    if (await allowed(ctx, () => ctx.policy.isNamespaceAdmin(user, q.namespace!))) return filter;
    throw new ApiError('FORBIDDEN', `you do not administer namespace "${q.namespace}"`);
  }
  throw new ApiError('FORBIDDEN', 'only site admins see every entry: filter by a repository or namespace you administer');
}

const CSV_COLUMNS = ['seq', 'id', 'occurred_at', 'recorded_at', 'action', 'actor_subject', 'actor_name', 'ip', 'user_agent', 'repository', 'namespace', 'target', 'details', 'prev_hash', 'hash'] as const;

/** One CSV field (RFC 4180 quoting); a leading = + - @ is defused so a spreadsheet does not run it as a formula. */
export function csvField(value: string | number | null): string {
  if (value === null) return '';
  let text = String(value);
  if (/^[=+\-@\t\r]/.test(text) && typeof value === 'string') text = `'${text}`;
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

function csvRow(e: ChainedAuditEntry): string {
  return [e.seq, e.id, e.occurredAt, e.recordedAt, e.action, e.actor.subject, e.actor.name, e.actor.ip, e.actor.userAgent, e.repository, e.namespace, e.target, JSON.stringify(e.details), e.prevHash, e.hash]
    .map(csvField)
    .join(',');
}

const EXPORT_PAGE = 500;

/** Every matching entry, oldest first, read a page at a time so an export of any size streams in bounded memory. */
async function* exportLines(ctx: HooksContext, filter: AuditFilter, format: 'ndjson' | 'csv'): AsyncGenerator<string> {
  if (format === 'csv') yield `${CSV_COLUMNS.join(',')}\r\n`;
  let after: number | undefined;
  for (;;) {
    const page = await queryAuditEntries(ctx.db, filter, { limit: EXPORT_PAGE, after, order: 'asc' });
    let chunk = '';
    for (const e of page) chunk += format === 'csv' ? `${csvRow(e)}\r\n` : `${JSON.stringify(entryView(e))}\n`;
    if (chunk) yield chunk;
    if (page.length < EXPORT_PAGE) return;
    after = page[page.length - 1]!.seq;
  }
}

export async function auditRoutes(app: FastifyInstance, ctx: HooksContext): Promise<void> {
  const r = app.withTypeProvider<TypeBoxTypeProvider>();

  r.get(
    '/api/audit/entries',
    {
      schema: {
        tags: ['audit'],
        summary: 'Audit entries, newest first, filtered (site admins: all; repository and namespace admins: what they administer)',
        querystring: EntriesQuery,
        response: { 200: PageOf(AuditEntry) },
      },
    },
    async (request) => {
      const filter = await authorizedFilter(ctx, request, request.query);
      const limit = Math.min(request.query.limit ?? 100, MAX_PAGE);
      const [before] = decodeCursor(request.query.cursor, ['number']) ?? [];
      const entries = await queryAuditEntries(ctx.db, filter, { limit: limit + 1, before: before as number | undefined });
      return pageOf(entries, limit, (e) => [e.seq], entryView);
    },
  );

  r.get('/api/audit/export', { schema: { tags: ['audit'], summary: 'Every matching entry, oldest first, streamed as NDJSON or CSV', querystring: ExportQuery, produces: ['application/x-ndjson', 'text/csv'], response: { 200: Type.Unsafe<Readable>({ type: 'string', description: 'NDJSON (one entry per line, as in /api/audit/entries) or CSV with a header row' }) } } }, async (request, reply) => {
    const filter = await authorizedFilter(ctx, request, request.query);
    const { format } = request.query;
    const stamp = new Date().toISOString().replace(/[:.]/g, '-');
    return reply
      .header('content-type', format === 'csv' ? 'text/csv; charset=utf-8' : 'application/x-ndjson; charset=utf-8')
      .header('content-disposition', `attachment; filename="audit-${stamp}.${format === 'csv' ? 'csv' : 'ndjson'}"`)
      .header('cache-control', 'no-store')
      .send(Readable.from(exportLines(ctx, filter, format)));
  });

  r.get('/api/audit/verify', { schema: { tags: ['audit'], summary: 'Recompute the hash chain of the audit trail (site admins)', response: { 200: ChainVerification } } }, async (request) => {
    await requireAdmin(ctx, request);
    return verifyAuditChain(ctx.db);
  });
}
