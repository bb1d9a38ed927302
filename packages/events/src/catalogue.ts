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
