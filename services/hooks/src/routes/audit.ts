// /api/audit/entries (filtered, cursor-paginated), /api/audit/export (NDJSON or CSV, streamed) and
// /api/audit/verify (the hash chain). Site admins see every entry; repository and namespace admins
// see the entries of what they administer.
import { Readable } from 'node:stream';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { Type, type Static, type TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { ApiError } from '@docksphere/kit';
import type { HooksContext } from '../context.ts';
import type { ChainedAuditEntry } from '../domain/audit-entry.ts';
import { queryAuditEntries, verifyAuditChain, type AuditFilter } from '../store/audit-entries.ts';
import { allowed, decodeSeqCursor, encodeCursor, parseTime, requireAdmin, requireUser } from './http.ts';

const Filters = {
  actor: Type.Optional(Type.String({ minLength: 1, maxLength: 256 })),
  repository: Type.Optional(Type.String({ minLength: 1, maxLength: 512 })),
  namespace: Type.Optional(Type.String({ minLength: 1, maxLength: 256 })),
  action: Type.Optional(Type.String({ minLength: 1, maxLength: 200, pattern: '^[a-z0-9_-]+(\\.[a-z0-9_-]+)*(\\.\\*)?$' })),
  since: Type.Optional(Type.String({ maxLength: 64 })),
  until: Type.Optional(Type.String({ maxLength: 64 })),
};
const EntriesQuery = Type.Object({ ...Filters, limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500 })), cursor: Type.Optional(Type.String({ maxLength: 64 })) });
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

  r.get('/api/audit/entries', { schema: { querystring: EntriesQuery } }, async (request) => {
    const filter = await authorizedFilter(ctx, request, request.query);
    const limit = request.query.limit ?? 100;
    const entries = await queryAuditEntries(ctx.db, filter, { limit, before: decodeSeqCursor('e', request.query.cursor) });
    const last = entries[entries.length - 1];
    return { entries: entries.map(entryView), next: entries.length === limit && last ? encodeCursor('e', last.seq) : null };
  });

  r.get('/api/audit/export', { schema: { querystring: ExportQuery } }, async (request, reply) => {
    const filter = await authorizedFilter(ctx, request, request.query);
    const { format } = request.query;
    const stamp = new Date().toISOString().replace(/[:.]/g, '-');
    return reply
      .header('content-type', format === 'csv' ? 'text/csv; charset=utf-8' : 'application/x-ndjson; charset=utf-8')
      .header('content-disposition', `attachment; filename="audit-${stamp}.${format === 'csv' ? 'csv' : 'ndjson'}"`)
      .header('cache-control', 'no-store')
      .send(Readable.from(exportLines(ctx, filter, format)));
  });

  r.get('/api/audit/verify', async (request) => {
    await requireAdmin(ctx, request);
    return verifyAuditChain(ctx.db);
  });
}
