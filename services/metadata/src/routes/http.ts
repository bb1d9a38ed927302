// HTTP helpers shared by the metadata routes: who is calling (from the shared auth layer),
// transactions that write events, pagination params.
import type { FastifyRequest } from 'fastify';
import type { Kysely, Transaction } from '@docksphere/db';
import { appendToOutbox, newEvent, type Actor, type EventPayloads, type EventType } from '@docksphere/events';
import { ApiError, requireScope } from '@docksphere/kit';
import type { MetadataContext } from '../context.ts';
import { ANONYMOUS, actorOf, resolveViewer, type Viewer } from '../domain/viewer.ts';
import { rememberUser } from '../store/users.ts';
import { ensureUserNamespace } from '../store/namespaces.ts';
import { METADATA_SCHEMA } from '../store/migrations/index.ts';

/**
 * The caller, as the auth layer verified it (console session, access token or robot token), or
 * anonymous when the request carries no credential. The user's facts (admin, LDAP groups) come
 * fresh from the auth service with every verification.
 */
export async function viewerOf(ctx: MetadataContext, request: FastifyRequest): Promise<Viewer> {
  const subject = (await request.principal()).subject;
  if (subject.kind === 'anonymous') return ANONYMOUS;
  if (subject.kind === 'robot') return resolveViewer(ctx.db, subject);
  const { user } = await rememberUser(ctx.db, { id: subject.id, username: subject.username, admin: subject.admin, ldapGroups: subject.groups });
  if (user.disabled) throw new ApiError('UNAUTHORIZED', 'this account is disabled');
  await ensureUserNamespace(ctx.db, user.id, user.username);
  return resolveViewer(ctx.db, { kind: 'user', id: user.id, username: user.username, admin: subject.admin, groups: subject.groups });
}

export type UserViewer = Extract<Viewer, { kind: 'user' }>;

export async function requireUser(ctx: MetadataContext, request: FastifyRequest): Promise<UserViewer> {
  const viewer = await viewerOf(ctx, request);
  if (viewer.kind !== 'user') throw new ApiError('UNAUTHORIZED', 'log in first');
  return viewer;
}

export async function requireSiteAdmin(ctx: MetadataContext, request: FastifyRequest): Promise<UserViewer> {
  const viewer = await requireUser(ctx, request);
  if (!viewer.siteAdmin) throw new ApiError('FORBIDDEN', 'only a site admin may do this');
  requireScope(await request.principal(), 'admin');
  return viewer;
}

/** Collects the events of one change; they are written to the outbox in the change's transaction. */
export class EventBatch {
  readonly events: ReturnType<typeof newEvent>[] = [];
  constructor(private readonly actor: Actor) {}
  add<T extends EventType>(type: T, payload: EventPayloads[T]): void {
    this.events.push(newEvent(type, this.actor, payload));
  }

  /** Writes the collected events into the outbox inside the caller's transaction. */
  async write(trx: Kysely<any>): Promise<void> {
    await appendToOutbox(trx, METADATA_SCHEMA, this.events);
  }
}

/** Runs fn in a transaction that also writes its events, then wakes the outbox relay. */
export async function inTransaction<T>(ctx: MetadataContext, viewer: Viewer, fn: (trx: Transaction<any>, events: EventBatch) => Promise<T>): Promise<T> {
  const result = await ctx.db.transaction().execute(async (trx) => {
    const events = new EventBatch(actorOf(viewer));
    const value = await fn(trx, events);
    await events.write(trx);
    return value;
  });
  ctx.outboxWritten();
  return result;
}

export { PageOf, PageQuery } from '@docksphere/kit';

export { ErrorBody as ErrorReply } from '@docksphere/kit';

export function iso(d: Date | string | null | undefined): string | null {
  if (d === null || d === undefined) return null;
  return new Date(d).toISOString();
}
