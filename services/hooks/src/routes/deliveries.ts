// /api/webhooks/:id/deliveries: the delivery log (state, attempts with request, response status,
// latency), one delivery with its body and attempts, and manual redelivery.
import type { FastifyInstance } from 'fastify';
import { Type, type TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { ApiError } from '@docksphere/kit';
import type { HooksContext } from '../context.ts';
import { attemptView, deliveryView, findDelivery, insertDelivery, listAttempts, listDeliveries } from '../store/deliveries.ts';
import { decodeSeqCursor, encodeCursor, requireUser } from './http.ts';
import { manageableSubscription } from './webhooks.ts';

const UUID = '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$';
const Params = Type.Object({ id: Type.String({ pattern: UUID }) });
const DeliveryParams = Type.Object({ id: Type.String({ pattern: UUID }), deliveryId: Type.String({ pattern: UUID }) });
const ListQuery = Type.Object({ limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 200 })), cursor: Type.Optional(Type.String({ maxLength: 64 })) });

export async function deliveryRoutes(app: FastifyInstance, ctx: HooksContext): Promise<void> {
  const r = app.withTypeProvider<TypeBoxTypeProvider>();

  r.get('/api/webhooks/:id/deliveries', { schema: { params: Params, querystring: ListQuery } }, async (request) => {
    const user = await requireUser(ctx, request);
    const sub = await manageableSubscription(ctx, user, request.params.id);
    const limit = request.query.limit ?? 50;
    const rows = await listDeliveries(ctx.db, sub.id, { limit, before: decodeSeqCursor('d', request.query.cursor) });
    const last = rows[rows.length - 1];
    return { deliveries: rows.map(deliveryView), next: rows.length === limit && last ? encodeCursor('d', Number(last.seq)) : null };
  });

  r.get('/api/webhooks/:id/deliveries/:deliveryId', { schema: { params: DeliveryParams } }, async (request) => {
    const user = await requireUser(ctx, request);
    const sub = await manageableSubscription(ctx, user, request.params.id);
    const row = await findDelivery(ctx.db, request.params.deliveryId);
    if (!row || row.subscription_id !== sub.id) throw new ApiError('NOT_FOUND', 'no such delivery');
    const attempts = await listAttempts(ctx.db, row.id);
    return { delivery: { ...deliveryView(row), body: row.body }, attempts: attempts.map(attemptView) };
  });

  r.post('/api/webhooks/:id/deliveries/:deliveryId/redeliver', { schema: { params: DeliveryParams } }, async (request, reply) => {
    const user = await requireUser(ctx, request);
    const sub = await manageableSubscription(ctx, user, request.params.id);
    const original = await findDelivery(ctx.db, request.params.deliveryId);
    if (!original || original.subscription_id !== sub.id) throw new ApiError('NOT_FOUND', 'no such delivery');
    if (!sub.active) throw new ApiError('CONFLICT', 'the webhook is disabled: enable it before redelivering');
    // A new delivery (its own id and attempts) with the same body: receivers see the same event id.
    const id = await insertDelivery(ctx.db, {
      id: crypto.randomUUID(),
      subscriptionId: sub.id,
      eventId: original.event_id,
      eventType: original.event_type,
      body: original.body,
      redeliveryOf: original.redelivery_of ?? original.id,
    });
    await ctx.queue.enqueue({ deliveryId: id!, subscriptionId: sub.id }).catch((err: Error) => ctx.logger.warn({ err: { message: err.message } }, 'could not queue the redelivery now; the sweep will'));
    return reply.code(202).send({ delivery: deliveryView((await findDelivery(ctx.db, id!))!) });
  });
}
