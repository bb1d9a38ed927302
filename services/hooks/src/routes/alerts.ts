// /api/audit/alerts: the admin notification list (alerts raised by the security rules and by
// disabled webhooks), newest first, and acknowledging one.
import type { FastifyInstance } from 'fastify';
import { Type, type TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { ApiError } from '@docksphere/kit';
import type { HooksContext } from '../context.ts';
import { acknowledgeNotification, listNotifications, notificationView } from '../store/notifications.ts';
import { decodeSeqCursor, encodeCursor, requireAdmin } from './http.ts';

const ListQuery = Type.Object({
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500 })),
  cursor: Type.Optional(Type.String({ maxLength: 64 })),
  unacknowledged: Type.Optional(Type.Boolean()),
});
const AlertId = Type.Object({ id: Type.String({ pattern: '^[0-9a-f-]{36}$' }) });

export async function alertRoutes(app: FastifyInstance, ctx: HooksContext): Promise<void> {
  const r = app.withTypeProvider<TypeBoxTypeProvider>();

  r.get('/api/audit/alerts', { schema: { querystring: ListQuery } }, async (request) => {
    await requireAdmin(ctx, request);
    const limit = request.query.limit ?? 50;
    const rows = await listNotifications(ctx.db, { limit, before: decodeSeqCursor('n', request.query.cursor), unacknowledged: request.query.unacknowledged });
    const last = rows[rows.length - 1];
    return { alerts: rows.map(notificationView), next: rows.length === limit && last ? encodeCursor('n', Number(last.seq)) : null };
  });

  r.post('/api/audit/alerts/:id/acknowledge', { schema: { params: AlertId } }, async (request) => {
    const admin = await requireAdmin(ctx, request);
    const row = await acknowledgeNotification(ctx.db, request.params.id, admin.username);
    if (!row) throw new ApiError('NOT_FOUND', 'no such alert');
    return { alert: notificationView(row) };
  });
}
