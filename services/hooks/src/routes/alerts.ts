// /api/audit/alerts: the admin notification list (alerts raised by the security rules and by
// disabled webhooks), newest first, and acknowledging one.
import type { FastifyInstance } from 'fastify';
import { Type, type TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { ApiError, PageOf, PageQuery, decodeCursor, pageOf } from '@docksphere/kit';
import type { HooksContext } from '../context.ts';
import { acknowledgeNotification, listNotifications, notificationView } from '../store/notifications.ts';
import { requireAdmin } from './http.ts';
import { Alert } from './schemas.ts';

const ListQuery = Type.Object({ ...PageQuery, unacknowledged: Type.Optional(Type.Boolean()) });
const MAX_PAGE = 500;
const AlertId = Type.Object({ id: Type.String({ pattern: '^[0-9a-f-]{36}$' }) });

export async function alertRoutes(app: FastifyInstance, ctx: HooksContext): Promise<void> {
  const r = app.withTypeProvider<TypeBoxTypeProvider>();

  r.get('/api/audit/alerts', { schema: { tags: ['audit'], summary: 'Admin alerts, newest first (site admins)', querystring: ListQuery, response: { 200: PageOf(Alert) } } }, async (request) => {
    await requireAdmin(ctx, request);
    const limit = Math.min(request.query.limit ?? 50, MAX_PAGE);
    const [before] = decodeCursor(request.query.cursor, ['number']) ?? [];
    const rows = await listNotifications(ctx.db, { limit: limit + 1, before: before as number | undefined, unacknowledged: request.query.unacknowledged });
    return pageOf(rows, limit, (n) => [Number(n.seq)], notificationView);
  });

  r.post('/api/audit/alerts/:id/acknowledge', { schema: { tags: ['audit'], summary: 'Acknowledge an alert (site admins)', params: AlertId, response: { 200: Type.Object({ alert: Alert }) } } }, async (request) => {
    const admin = await requireAdmin(ctx, request);
    const row = await acknowledgeNotification(ctx.db, request.params.id, admin.username);
    if (!row) throw new ApiError('NOT_FOUND', 'no such alert');
    return { alert: notificationView(row) };
  });
}
