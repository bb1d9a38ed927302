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
  };
  'registry.manifest.deleted': { repository: string; digest: string };
  'registry.tag.deleted': { repository: string; tag: string; digest: string };
  'registry.image.pulled': { repository: string; digest: string; reference: string; mediaType: string };
  'registry.blob.mounted': { repository: string; digest: string; from?: string | undefined };
  'auth.user.created': { userId: string; username: string; source: 'local' | 'ldap' | 'bootstrap' | 'admin' | 'signup' };
  'auth.user.login': { userId: string; username: string; method: 'password' | 'ldap' | 'access-token' | 'robot' | 'refresh-token'; channel: 'console' | 'docker' };
  'auth.login.failed': { username: string; reason: 'bad-credentials' | 'disabled' | 'two-factor-required' | 'two-factor-invalid' | 'rate-limited'; channel: 'console' | 'docker' };
  'auth.user.logout': { userId: string; username: string; everywhere: boolean };
  'auth.user.disabled': { userId: string; username: string; disabled: boolean };
  'auth.password.changed': { userId: string; username: string };
  'auth.password.reset': { userId: string; username: string; stage: 'requested' | 'completed' };
  'auth.token.created': { tokenId: string; kind: 'access-token' | 'robot'; name: string; owner: string; scopes: string[]; expiresAt?: string | undefined };
  'auth.token.revoked': { tokenId: string; kind: 'access-token' | 'robot'; name: string; owner: string };
  'auth.twofactor.changed': { userId: string; username: string; change: 'enabled' | 'disabled' | 'backup-codes-regenerated' | 'admin-reset' | 'backup-code-used' };
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

export function subjectOf(type: EventType): string {
  return `ds.${type}`;
}

export function newEvent<T extends EventType>(type: T, actor: Actor, payload: EventPayloads[T]): DomainEvent<T> {
  return { id: crypto.randomUUID(), type, occurredAt: new Date().toISOString(), actor, payload };
}
