// Auth events go into identity.outbox inside the transaction of the change they describe.
import { appendToOutbox, newEvent, type Actor, type EventPayloads } from '@docksphere/events';
import type { Kysely } from '@docksphere/db';

export type AuthEventType = Extract<keyof EventPayloads, `auth.${string}`>;

export interface RequestOrigin {
  ip: string | undefined;
  userAgent: string | undefined;
}

export function actor(subject: string, name: string | undefined, origin: RequestOrigin): Actor {
  return { subject, name, ip: origin.ip, userAgent: origin.userAgent?.slice(0, 256) };
}

export async function recordEvent<T extends AuthEventType>(db: Kysely<any>, type: T, who: Actor, payload: EventPayloads[T]): Promise<void> {
  await appendToOutbox(db, 'identity', [newEvent(type, who, payload)]);
}
