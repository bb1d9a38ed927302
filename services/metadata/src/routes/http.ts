// HTTP helpers shared by the metadata routes: who is calling (console token or anonymous), the
// CSRF rule for cookie-authenticated writes, transactions that write events, pagination params.
import { timingSafeEqual } from 'node:crypto';
import type { FastifyRequest } from 'fastify';
import type { Kysely, Transaction } from '@docksphere/db';
import { appendToOutbox, newEvent, type Actor, type EventPayloads, type EventType } from '@docksphere/events';
import { ApiError } from '@docksphere/kit';
import type { MetadataContext } from '../context.ts';
import { ANONYMOUS, actorOf, resolveViewer, type Viewer } from '../domain/viewer.ts';
import { rememberUser } from '../store/users.ts';
import { ensureUserNamespace } from '../store/namespaces.ts';
import { METADATA_SCHEMA } from '../store/migrations/index.ts';

/** The auth service's cookie names: the access JWT, and the CSRF secret the console echoes in x-csrf-token. */
export const ACCESS_COOKIE = 'ds_access';
export const CSRF_COOKIE = 'ds_csrf';
const UNSAFE = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

function equal(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/**
 * The caller: a console access token as a bearer header or the access cookie, or anonymous when
 * neither is sent. A token that does not verify is a 401, not anonymity. Cookie-authenticated writes
 * need x-csrf-token equal to the CSRF cookie, which a cross-site page can neither read nor send.
 */
export async function viewerOf(ctx: MetadataContext, request: FastifyRequest): Promise<Viewer> {
  const header = request.headers.authorization;
  let token: string | undefined;
  let viaCookie = false;
  if (typeof header === 'string' && /^bearer /i.test(header)) token = header.slice(7).trim();
  else if (request.cookies[ACCESS_COOKIE]) {
    token = request.cookies[ACCESS_COOKIE];
    viaCookie = true;
  }
  if (!token) return ANONYMOUS;
  const claims = await ctx.consoleTokens.verify(token);
  if (!claims) throw new ApiError('UNAUTHORIZED', 'session expired: log in again');
  if (viaCookie && UNSAFE.has(request.method)) {
    const csrf = request.headers['x-csrf-token'];
    const cookie = request.cookies[CSRF_COOKIE];
    if (typeof csrf !== 'string' || !cookie || !equal(csrf, cookie)) throw new ApiError('FORBIDDEN', 'missing or wrong CSRF token (send the x-csrf-token header)');
  }
  const { user } = await rememberUser(ctx.db, { id: claims.userId, username: claims.username, admin: claims.admin });
  if (user.disabled) throw new ApiError('UNAUTHORIZED', 'this account is disabled');
  await ensureUserNamespace(ctx.db, user.id, user.username);
  return resolveViewer(ctx.db, { kind: 'user', id: user.id, username: user.username, admin: user.admin, groups: user.ldap_groups });
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
