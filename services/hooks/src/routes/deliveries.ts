// /api/webhooks/:id/deliveries: the delivery log (state, attempts with request, response status,
// latency), one delivery with its body and attempts, and manual redelivery.
import type { FastifyInstance } from 'fastify';
import { Type, type TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { ApiError, PageOf, PageQuery, decodeCursor, pageOf } from '@docksphere/kit';
import type { HooksContext } from '../context.ts';
import { attemptView, deliveryView, findDelivery, insertDelivery, listAttempts, listDeliveries } from '../store/deliveries.ts';
import { requireUser } from './http.ts';
import { Delivery, DeliveryAttempt } from './schemas.ts';
import { manageableSubscription } from './webhooks.ts';

const UUID = '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$';
const Params = Type.Object({ id: Type.String({ pattern: UUID }) });
const DeliveryParams = Type.Object({ id: Type.String({ pattern: UUID }), deliveryId: Type.String({ pattern: UUID }) });
const ListQuery = Type.Object(PageQuery);
const MAX_PAGE = 200;

export async function deliveryRoutes(app: FastifyInstance, ctx: HooksContext): Promise<void> {
  const r = app.withTypeProvider<TypeBoxTypeProvider>();

  r.get(
    '/api/webhooks/:id/deliveries',
    { schema: { tags: ['webhooks'], summary: 'The delivery log of a webhook, newest first', params: Params, querystring: ListQuery, response: { 200: PageOf(Delivery) } } },
    async (request) => {
      const user = await requireUser(ctx, request);
      const sub = await manageableSubscription(ctx, user, request.params.id);
      const limit = Math.min(request.query.limit ?? 50, MAX_PAGE);
      const [before] = decodeCursor(request.query.cursor, ['number']) ?? [];
      const rows = await listDeliveries(ctx.db, sub.id, { limit: limit + 1, before: before as number | undefined });
      return pageOf(rows, limit, (d) => [Number(d.seq)], deliveryView);
    },
  );

  r.get('/api/webhooks/:id/deliveries/:deliveryId', { schema: { tags: ['webhooks'], summary: 'One delivery with the body sent and every attempt', params: DeliveryParams, response: { 200: Type.Object({ delivery: Type.Object({ ...Delivery.properties, body: Type.String({ description: 'the JSON body sent' }) }), attempts: Type.Array(DeliveryAttempt) }) } } }, async (request) => {
    const user = await requireUser(ctx, request);
    const sub = await manageableSubscription(ctx, user, request.params.id);
    const row = await findDelivery(ctx.db, request.params.deliveryId);
    if (!row || row.subscription_id !== sub.id) throw new ApiError('NOT_FOUND', 'no such delivery');
    const attempts = await listAttempts(ctx.db, row.id);
    return { delivery: { ...deliveryView(row), body: row.body }, attempts: attempts.map(attemptView) };
  });

  r.post('/api/webhooks/:id/deliveries/:deliveryId/redeliver', { schema: { tags: ['webhooks'], summary: 'Send a delivery again (a new delivery with the same event)', params: DeliveryParams, response: { 202: Type.Object({ delivery: Delivery }) } } }, async (request, reply) => {
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
