// /api/webhooks: subscriptions on a repository, a namespace, or site-wide (site admins), with event
// filters; create, list, read, change, delete, and a test ping. The signing secret is shown once.
import { randomBytes } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { Type, type TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { appendToOutbox, newEvent } from '@docksphere/events';
import { ApiError, PageOf, PageQuery, decodeCursor, pageOf } from '@docksphere/kit';
import type { HooksContext } from '../context.ts';
import type { ConsoleUser } from '../domain/console-auth.ts';
import { SsrfGuard } from '../domain/ssrf-guard.ts';
import { sealSigningSecret } from '../domain/signing-secrets.ts';
import { SITE_ONLY_FILTERS, SUBSCRIPTION_SCOPES, WEBHOOK_EVENT_FILTERS, type SubscriptionScope, type WebhookEventFilter } from '../domain/webhook-filters.ts';
import { pingPayload } from '../domain/webhook-payload.ts';
import { deliveryView, findDelivery, insertDelivery } from '../store/deliveries.ts';
import {
  deleteSubscription,
  findSubscription,
  insertSubscription,
  listSubscriptions,
  subscriptionView,
  updateSubscription,
  type SubscriptionRow,
} from '../store/subscriptions.ts';
import { allowed, inTransaction, requireUser } from './http.ts';
import { Delivery, NoContent, Webhook } from './schemas.ts';

// Repository names as in the OCI distribution spec (lowercase path components); a namespace is the first one.
const REPOSITORY_PATTERN = '^[a-z0-9]+(?:(?:\\.|_|__|-+)[a-z0-9]+)*(?:/[a-z0-9]+(?:(?:\\.|_|__|-+)[a-z0-9]+)*)*$';
const NAMESPACE_PATTERN = '^[a-z0-9]+(?:(?:\\.|_|__|-+)[a-z0-9]+)*$';

const Filter = Type.Union(WEBHOOK_EVENT_FILTERS.map((f) => Type.Literal(f)));
const Scope = Type.Union(SUBSCRIPTION_SCOPES.map((s) => Type.Literal(s)));
const Secret = Type.String({ minLength: 16, maxLength: 256 });
const NewSubscription = Type.Object(
  {
    url: Type.String({ minLength: 1, maxLength: 2048 }),
    scope: Scope,
    target: Type.Optional(Type.String({ minLength: 1, maxLength: 255 })),
    events: Type.Array(Filter, { minItems: 1, maxItems: WEBHOOK_EVENT_FILTERS.length, uniqueItems: true }),
    secret: Type.Optional(Secret),
    description: Type.Optional(Type.String({ maxLength: 500 })),
    active: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: false },
);
const SubscriptionChange = Type.Object(
  {
    url: Type.Optional(Type.String({ minLength: 1, maxLength: 2048 })),
    events: Type.Optional(Type.Array(Filter, { minItems: 1, maxItems: WEBHOOK_EVENT_FILTERS.length, uniqueItems: true })),
    description: Type.Optional(Type.String({ maxLength: 500 })),
    active: Type.Optional(Type.Boolean()),
    /** true: a new generated secret replaces the old one (shown once in the answer). */
    rotateSecret: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: false },
);
const ListQuery = Type.Object({
  scope: Type.Optional(Scope),
  target: Type.Optional(Type.String({ minLength: 1, maxLength: 255 })),
  ...PageQuery,
});
const MAX_PAGE = 200;
export const SubscriptionId = Type.Object({ id: Type.String({ pattern: '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$' }) });

function newSigningSecret(): string {
  return `whsec_${randomBytes(32).toString('base64url')}`;
}

/** May the user manage subscriptions of this scope and target? */
export async function canManage(ctx: HooksContext, user: ConsoleUser, scope: SubscriptionScope, target: string | null): Promise<boolean> {
  if (user.admin) return true;
  if (scope === 'site' || target === null) return false;
  return allowed(ctx, () => (scope === 'repository' ? ctx.policy.isRepositoryAdmin(user, target) : ctx.policy.isNamespaceAdmin(user, target)));
}

/** The subscription, if it exists and the user may manage it (otherwise 404: others' webhooks are not disclosed). */
export async function manageableSubscription(ctx: HooksContext, user: ConsoleUser, id: string): Promise<SubscriptionRow> {
  const sub = await findSubscription(ctx.db, id);
  if (!sub || !(await canManage(ctx, user, sub.scope, sub.target))) throw new ApiError('NOT_FOUND', 'no such webhook');
  return sub;
}

/** Checks the URL's form and where it resolves now; a target the SSRF guard refuses is a 400. */
async function checkTargetUrl(ctx: HooksContext, url: string): Promise<void> {
  const form = SsrfGuard.checkUrl(url);
  if (!form.ok) throw new ApiError('VALIDATION_FAILED', `webhook url: ${form.reason}`);
  const check = await ctx.guard.check(url);
  // A host that does not resolve yet is accepted: deliveries will fail (and be logged) until it does.
  if (!check.allowed && check.permanent) throw new ApiError('VALIDATION_FAILED', `webhook url ${check.reason}`, { reason: 'ssrf-refused' });
}

function checkFilters(scope: SubscriptionScope, events: readonly WebhookEventFilter[]): void {
  const siteOnly = events.filter((e) => SITE_ONLY_FILTERS.includes(e));
  if (scope !== 'site' && siteOnly.length > 0) throw new ApiError('VALIDATION_FAILED', `the ${siteOnly.join(', ')} filter${siteOnly.length > 1 ? 's are' : ' is'} only available on site-wide webhooks`);
}

function webhookActor(user: ConsoleUser, request: { ip: string; headers: Record<string, string | string[] | undefined> }) {
  const ua = request.headers['user-agent'];
  return { subject: `user:${user.id}`, name: user.username, ip: request.ip, userAgent: typeof ua === 'string' ? ua.slice(0, 256) : undefined };
}

export async function webhookRoutes(app: FastifyInstance, ctx: HooksContext): Promise<void> {
  const r = app.withTypeProvider<TypeBoxTypeProvider>();

  r.post('/api/webhooks', { schema: { tags: ['webhooks'], summary: 'Subscribe a URL to the events of a repository, a namespace or the site; the signing secret is in this answer only', body: NewSubscription, response: { 201: Type.Object({ webhook: Webhook, secret: Type.String() }) } } }, async (request, reply) => {
    const user = await requireUser(ctx, request);
    const { scope, url, events } = request.body;
    const target = request.body.target ?? null;
    if (scope === 'site' && target !== null) throw new ApiError('VALIDATION_FAILED', 'a site-wide webhook has no target');
    if (scope !== 'site' && target === null) throw new ApiError('VALIDATION_FAILED', `a ${scope} webhook needs a target (the ${scope} name)`);
    if (target !== null && !new RegExp(scope === 'repository' ? REPOSITORY_PATTERN : NAMESPACE_PATTERN).test(target)) {
      throw new ApiError('VALIDATION_FAILED', `"${target}" is not a valid ${scope} name`);
    }
    checkFilters(scope, events);
    if (!(await canManage(ctx, user, scope, target))) {
      throw new ApiError('FORBIDDEN', scope === 'site' ? 'only site admins may create site-wide webhooks' : `you do not administer ${scope} "${target}"`);
    }
    await checkTargetUrl(ctx, url);
    const secret = request.body.secret ?? newSigningSecret();
    const id = crypto.randomUUID();
    const sub = await inTransaction(ctx, async (trx) => {
      const row = await insertSubscription(trx, {
        id,
        scope,
        target,
        url,
        secret: sealSigningSecret(ctx.secrets, id, secret),
        events: [...events],
        description: request.body.description ?? '',
        active: request.body.active ?? true,
        createdBy: user.username,
      });
      await appendToOutbox(trx, 'audit', [newEvent('hooks.webhook.created', webhookActor(user, request), { subscriptionId: row.id, scope, target: target ?? undefined, url, events: row.events })]);
      return row;
    });
    // The secret is returned only here (and on rotation): store it on the receiver now.
    return reply.code(201).header('cache-control', 'no-store').send({ webhook: subscriptionView(sub), secret });
  });

  r.get('/api/webhooks', { schema: { tags: ['webhooks'], summary: 'Webhooks of a repository or namespace the caller administers (site admins: all)', querystring: ListQuery, response: { 200: PageOf(Webhook) } } }, async (request) => {
    const user = await requireUser(ctx, request);
    const { scope, target } = request.query;
    if (!user.admin) {
      if (!scope || scope === 'site' || target === undefined) throw new ApiError('FORBIDDEN', 'only site admins list every webhook: give scope (repository or namespace) and target');
      if (!(await canManage(ctx, user, scope, target))) throw new ApiError('FORBIDDEN', `you do not administer ${scope} "${target}"`);
    }
    const limit = Math.min(request.query.limit ?? 50, MAX_PAGE);
    const [after] = decodeCursor(request.query.cursor, ['string']) ?? [];
    const rows = await listSubscriptions(ctx.db, { scope, target }, { limit: limit + 1, after: after as string | undefined });
    return pageOf(rows, limit, (w) => [w.id], subscriptionView);
  });

  r.get('/api/webhooks/:id', { schema: { tags: ['webhooks'], summary: 'One webhook', params: SubscriptionId, response: { 200: Type.Object({ webhook: Webhook }) } } }, async (request) => {
    const user = await requireUser(ctx, request);
    return { webhook: subscriptionView(await manageableSubscription(ctx, user, request.params.id)) };
  });

  r.patch('/api/webhooks/:id', { schema: { tags: ['webhooks'], summary: 'Change a webhook; rotateSecret answers a new secret (shown once)', params: SubscriptionId, body: SubscriptionChange, response: { 200: Type.Object({ webhook: Webhook, secret: Type.Optional(Type.String()) }) } } }, async (request) => {
    const user = await requireUser(ctx, request);
    const sub = await manageableSubscription(ctx, user, request.params.id);
    const change = request.body;
    if (change.events) checkFilters(sub.scope, change.events);
    if (change.url !== undefined) await checkTargetUrl(ctx, change.url);
    const secret = change.rotateSecret ? newSigningSecret() : undefined;
    const updated = await inTransaction(ctx, async (trx) => {
      const row = await updateSubscription(trx, sub.id, {
        ...(change.url !== undefined ? { url: change.url } : {}),
        ...(change.events !== undefined ? { events: [...change.events] } : {}),
        ...(change.description !== undefined ? { description: change.description } : {}),
        ...(change.active !== undefined ? { active: change.active } : {}),
        ...(secret ? { secret: sealSigningSecret(ctx.secrets, sub.id, secret) } : {}),
      });
      if (!row) throw new ApiError('NOT_FOUND', 'no such webhook');
      await appendToOutbox(trx, 'audit', [
        newEvent('hooks.webhook.updated', webhookActor(user, request), { subscriptionId: row.id, scope: row.scope, target: row.target ?? undefined, url: row.url, events: row.events, active: row.active }),
      ]);
      return row;
    });
    return { webhook: subscriptionView(updated), ...(secret ? { secret } : {}) };
  });

  r.delete('/api/webhooks/:id', { schema: { tags: ['webhooks'], summary: 'Delete a webhook', params: SubscriptionId, response: { 204: NoContent } } }, async (request, reply) => {
    const user = await requireUser(ctx, request);
    const sub = await manageableSubscription(ctx, user, request.params.id);
    await inTransaction(ctx, async (trx) => {
      if (!(await deleteSubscription(trx, sub.id))) throw new ApiError('NOT_FOUND', 'no such webhook');
      await appendToOutbox(trx, 'audit', [newEvent('hooks.webhook.deleted', webhookActor(user, request), { subscriptionId: sub.id, scope: sub.scope, target: sub.target ?? undefined, url: sub.url })]);
    });
    return reply.code(204).send(null);
  });

  r.post('/api/webhooks/:id/ping', { schema: { tags: ['webhooks'], summary: 'Queue a ping delivery to test the endpoint', params: SubscriptionId, response: { 202: Type.Object({ delivery: Delivery }) } } }, async (request, reply) => {
    const user = await requireUser(ctx, request);
    const sub = await manageableSubscription(ctx, user, request.params.id);
    const payload = pingPayload(sub, { subject: `user:${user.id}`, name: user.username });
    const id = await insertDelivery(ctx.db, { id: crypto.randomUUID(), subscriptionId: sub.id, eventId: payload.event.id, eventType: 'ping', body: JSON.stringify(payload) });
    if (!id) throw new ApiError('CONFLICT', 'ping already queued');
    await ctx.queue.enqueue({ deliveryId: id, subscriptionId: sub.id }).catch((err: Error) => ctx.logger.warn({ err: { message: err.message } }, 'could not queue the ping now; the sweep will'));
    const row = await findDelivery(ctx.db, id);
    return reply.code(202).send({ delivery: deliveryView(row!) });
  });
}
