// The typed catalogue of every event DockSphere publishes. The event type is the NATS subject
// without its "ds." prefix: <service>.<entity>.<verb>. docs/events.md documents each payload.

export interface Actor {
  /** "user:<id>", "robot:<id>", "anonymous" or "system". */
  subject: string;
  name?: string | undefined;
  ip?: string | undefined;
  userAgent?: string | undefined;
}

export interface EventPayloads {
  'registry.manifest.pushed': {
    repository: string;
    digest: string;
    mediaType: string;
    size: number;
    tag?: string | undefined;
    subject?: string | undefined;
    artifactType?: string | undefined;
    /** Manifest + config + layers (image), or the sum over the children (index); metadata falls back to size. */
    totalSize?: number | undefined;
    /** Platforms of an index's children ("linux/arm64/v8"), for the repository view. */
    platforms?: string[] | undefined;
  };
  'registry.manifest.deleted': { repository: string; digest: string };
  'registry.tag.deleted': { repository: string; tag: string; digest: string };
  /**
   * One or more identical pulls (same repository, digest, reference, actor subject, IP, user agent)
   * coalesced by the registry within a flush window. count absent means 1 (events from before coalescing).
   */
  'registry.image.pulled': {
    repository: string;
    digest: string;
    reference: string;
    mediaType: string;
    /** Number of pulls this event stands for, >= 1; absent means 1. */
    count?: number | undefined;
    /** ISO-8601 times of the first and last pull in the group. */
    firstAt?: string | undefined;
    lastAt?: string | undefined;
  };
  'registry.blob.mounted': { repository: string; digest: string; from?: string | undefined };
  'auth.user.created': { userId: string; username: string; source: 'local' | 'ldap' | 'bootstrap' | 'admin' | 'signup' };
  'auth.user.login': { userId: string; username: string; method: 'password' | 'ldap' | 'access-token' | 'robot' | 'refresh-token'; channel: 'console' | 'docker' };
  'auth.login.failed': { username: string; reason: 'bad-credentials' | 'disabled' | 'two-factor-required' | 'two-factor-invalid' | 'rate-limited'; channel: 'console' | 'docker' };
  'auth.user.logout': { userId: string; username: string; everywhere: boolean };
  'auth.user.disabled': { userId: string; username: string; disabled: boolean };
  'auth.user.deleted': { userId: string; username: string };
  'auth.password.changed': { userId: string; username: string };
  'auth.password.reset': { userId: string; username: string; stage: 'requested' | 'completed' };
  'auth.token.created': { tokenId: string; kind: 'access-token' | 'robot'; name: string; owner: string; scopes: string[]; expiresAt?: string | undefined };
  'auth.token.revoked': { tokenId: string; kind: 'access-token' | 'robot'; name: string; owner: string };
  'auth.twofactor.changed': { userId: string; username: string; change: 'enabled' | 'disabled' | 'backup-codes-regenerated' | 'admin-reset' | 'backup-code-used' };
  /** Site admin role granted (admin: true) or revoked. */
  'auth.admin.changed': { userId: string; username: string; admin: boolean };
  /** Webhook subscriptions (hooks service); scope target is the repository or namespace, absent for site-wide. */
  'hooks.webhook.created': { subscriptionId: string; scope: 'repository' | 'namespace' | 'site'; target?: string | undefined; url: string; events: string[] };
  'hooks.webhook.updated': { subscriptionId: string; scope: 'repository' | 'namespace' | 'site'; target?: string | undefined; url: string; events: string[]; active: boolean };
  'hooks.webhook.deleted': { subscriptionId: string; scope: 'repository' | 'namespace' | 'site'; target?: string | undefined; url: string };
  'hooks.webhook.disabled': { subscriptionId: string; scope: 'repository' | 'namespace' | 'site'; target?: string | undefined; url: string; consecutiveFailures: number; lastError: string };
  /** A security alert rule fired (hooks service). */
  'hooks.alert.raised': { alertId: string; rule: string; severity: 'warning' | 'critical'; summary: string; subject?: string | undefined; eventIds: string[] };
  'metadata.repository.created': { repository: string; namespace: string; visibility: 'public' | 'private'; via: 'api' | 'push' };
  'metadata.repository.updated': { repository: string; changes: string[] };
  /** The registry drops the repository's tags and manifests; its blobs become reclaimable. */
  'metadata.repository.deleted': { repository: string };
  /** The registry moves the repository's content from one name to the other. */
  'metadata.repository.transferred': { from: string; to: string };
  /** A grant was set (level) or revoked (level null); repository or namespace-wide pattern. */
  'metadata.permission.changed': {
    namespace: string;
    repository?: string | undefined;
    pattern?: string | undefined;
    grantee: { kind: 'user' | 'team'; name: string };
    level: 'read' | 'write' | 'admin' | null;
  };
  'metadata.organization.created': { organization: string };
  'metadata.organization.deleted': { organization: string };
  'metadata.organization.member-changed': { organization: string; username: string; role: 'owner' | 'member' | null };
  'metadata.team.created': { organization: string; team: string };
  'metadata.team.updated': { organization: string; team: string; previousName?: string | undefined };
  'metadata.team.deleted': { organization: string; team: string };
  'metadata.team.member-changed': { organization: string; team: string; username: string; role: 'maintainer' | 'member' | null };
  'metadata.doc.updated': { repository?: string | undefined; page?: string | undefined; version: number };
  'metadata.user.removed': { userId: string; username: string; repositories: 'transferred' | 'removed'; to?: string | undefined };
}

export type EventType = keyof EventPayloads;

export interface DomainEvent<T extends EventType = EventType> {
  /** Unique id (UUID): the de-duplication key end to end. */
  id: string;
  type: T;
  /** ISO-8601 time the change happened. */
  occurredAt: string;
  actor: Actor;
  payload: EventPayloads[T];
}

/** How many pulls an image-pulled payload stands for: its count when it is a positive integer, otherwise 1. */
export function pullCountOf(payload: { count?: unknown }): number {
  const n = payload.count;
  return typeof n === 'number' && Number.isSafeInteger(n) && n >= 1 ? n : 1;
}

export function subjectOf(type: EventType): string {
  return `ds.${type}`;
}

export function newEvent<T extends EventType>(type: T, actor: Actor, payload: EventPayloads[T]): DomainEvent<T> {
  return { id: crypto.randomUUID(), type, occurredAt: new Date().toISOString(), actor, payload };
}
