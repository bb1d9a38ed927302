// Which events a webhook subscription receives: its scope (repository, namespace, site-wide) and
// its event filters (pushed, deleted, pulled, security, alert).
import type { DomainEvent } from '@docksphere/events';

export const WEBHOOK_EVENT_FILTERS = ['pushed', 'deleted', 'pulled', 'security', 'alert'] as const;
export type WebhookEventFilter = (typeof WEBHOOK_EVENT_FILTERS)[number];

export const SUBSCRIPTION_SCOPES = ['repository', 'namespace', 'site'] as const;
export type SubscriptionScope = (typeof SUBSCRIPTION_SCOPES)[number];

/** Filters that only make sense site-wide: they are not about one repository. */
export const SITE_ONLY_FILTERS: readonly WebhookEventFilter[] = ['security', 'alert'];

const SECURITY_EVENTS = new Set([
  'auth.user.login',
  'auth.login.failed',
  'auth.user.logout',
  'auth.user.created',
  'auth.user.disabled',
  'auth.password.changed',
  'auth.password.reset',
  'auth.token.created',
  'auth.token.revoked',
  'auth.twofactor.changed',
  'auth.admin.changed',
  'hooks.webhook.created',
  'hooks.webhook.updated',
  'hooks.webhook.deleted',
  'hooks.webhook.disabled',
]);

/** The filter an event type falls under, or undefined for events no webhook carries. */
export function filterOf(type: string): WebhookEventFilter | undefined {
  switch (type) {
    case 'registry.manifest.pushed':
      return 'pushed';
    case 'registry.manifest.deleted':
    case 'registry.tag.deleted':
      return 'deleted';
    case 'registry.image.pulled':
      return 'pulled';
    case 'hooks.alert.raised':
      return 'alert';
    default:
      return SECURITY_EVENTS.has(type) ? 'security' : undefined;
  }
}

export interface SubscriptionScopeRef {
  scope: SubscriptionScope;
  target: string | null;
  events: readonly string[];
}

/** The repository an event is about, if any. */
export function repositoryOf(event: DomainEvent): string | undefined {
  const payload = event.payload as unknown as Record<string, unknown> | null;
  const repository = payload && typeof payload === 'object' ? payload.repository : undefined;
  return typeof repository === 'string' && repository.length > 0 ? repository : undefined;
}

export function namespaceOf(repository: string): string {
  const slash = repository.indexOf('/');
  return slash < 0 ? repository : repository.slice(0, slash);
}

/** Whether a subscription receives the event. */
export function subscriptionMatches(sub: SubscriptionScopeRef, event: DomainEvent): boolean {
  const filter = filterOf(event.type);
  if (!filter || !sub.events.includes(filter)) return false;
  if (sub.scope === 'site') return true;
  if (SITE_ONLY_FILTERS.includes(filter)) return false;
  const repository = repositoryOf(event);
  if (!repository) return false;
  if (sub.scope === 'repository') return repository === sub.target;
  return namespaceOf(repository) === sub.target;
}
