// The webhook request body, version 1 (docs/webhooks.md): stable field names, the event's own
// payload under "data". A new incompatible shape gets a new version, never an edit of this one.
import { pullCountOf, type DomainEvent } from '@docksphere/events';
import { filterOf, namespaceOf, repositoryOf, type SubscriptionScope } from './webhook-filters.ts';

export const WEBHOOK_PAYLOAD_VERSION = 1;

export interface WebhookPayloadV1 {
  version: 1;
  event: { id: string; type: string; category: string; occurredAt: string };
  actor: { subject: string; name: string | null };
  repository: string | null;
  namespace: string | null;
  data: Record<string, unknown>;
  subscription: { id: string; scope: SubscriptionScope; target: string | null };
}

export interface SubscriptionRef {
  id: string;
  scope: SubscriptionScope;
  target: string | null;
}

export function webhookPayload(event: DomainEvent, sub: SubscriptionRef): WebhookPayloadV1 {
  const repository = repositoryOf(event) ?? null;
  return {
    version: WEBHOOK_PAYLOAD_VERSION,
    event: { id: event.id, type: event.type, category: filterOf(event.type) ?? 'other', occurredAt: new Date(event.occurredAt).toISOString() },
    // IP and user agent stay in the audit trail: receivers are outside the site's trust boundary.
    actor: { subject: event.actor.subject, name: event.actor.name ?? null },
    repository,
    namespace: repository ? namespaceOf(repository) : null,
    data: dataOf(event),
    subscription: { id: sub.id, scope: sub.scope, target: sub.target },
  };
}

/** The event's payload; a pull always carries count (how many pulls the coalesced event stands for). */
function dataOf(event: DomainEvent): Record<string, unknown> {
  const data = event.payload as unknown as Record<string, unknown>;
  return event.type === 'registry.image.pulled' ? { ...data, count: pullCountOf(data) } : data;
}

/** The body of a test ping: same envelope, event type "ping". */
export function pingPayload(sub: SubscriptionRef, by: { subject: string; name: string }, id: string = crypto.randomUUID()): WebhookPayloadV1 {
  return {
    version: WEBHOOK_PAYLOAD_VERSION,
    event: { id, type: 'ping', category: 'ping', occurredAt: new Date().toISOString() },
    actor: { subject: by.subject, name: by.name },
    repository: sub.scope === 'repository' ? sub.target : null,
    namespace: sub.scope === 'repository' && sub.target ? namespaceOf(sub.target) : sub.scope === 'namespace' ? sub.target : null,
    data: { message: 'DockSphere webhook test ping' },
    subscription: { id: sub.id, scope: sub.scope, target: sub.target },
  };
}
