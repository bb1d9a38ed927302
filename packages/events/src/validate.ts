// Checks that a value received from the transport has the shape of a DomainEvent before a handler sees it.
import type { DomainEvent } from './catalogue.ts';

export class MalformedEventError extends Error {
  override readonly name = 'MalformedEventError';
}

const TYPE = /^[a-z0-9_-]+(\.[a-z0-9_-]+){2,}$/;

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Returns the value as a DomainEvent, or throws MalformedEventError saying what is wrong. The type is
 * checked for its grammar, not against the catalogue: a newer publisher may send types this build lacks.
 */
export function parseDomainEvent(value: unknown): DomainEvent {
  if (!isRecord(value)) throw new MalformedEventError('event is not a JSON object');
  const { id, type, occurredAt, actor, payload } = value;
  if (typeof id !== 'string' || id.length === 0 || id.length > 200) throw new MalformedEventError('event id is missing or not a string');
  if (typeof type !== 'string' || !TYPE.test(type)) throw new MalformedEventError(`event type ${JSON.stringify(type)} is not <service>.<entity>.<verb>`);
  if (typeof occurredAt !== 'string' || Number.isNaN(Date.parse(occurredAt))) throw new MalformedEventError('event occurredAt is not an ISO-8601 time');
  if (!isRecord(actor) || typeof actor.subject !== 'string') throw new MalformedEventError('event actor.subject is missing');
  if (!isRecord(payload)) throw new MalformedEventError('event payload is not an object');
  return value as unknown as DomainEvent;
}
