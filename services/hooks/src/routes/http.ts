// HTTP helpers shared by the hooks routes: the caller (from the shared auth layer),
// permission checks, cursors, and transactions that wake the outbox relay.
import type { FastifyRequest } from 'fastify';
import { ApiError, requireScope } from '@docksphere/kit';
import type { HooksContext } from '../context.ts';
import type { ConsoleUser } from '../domain/permissions.ts';

/** The signed-in user, as the shared auth layer verified them (console session or access token). */
export async function requireUser(_ctx: HooksContext, request: FastifyRequest): Promise<ConsoleUser> {
  const subject = (await request.principal()).subject;
  if (subject.kind === 'anonymous') throw new ApiError('UNAUTHORIZED', 'log in first', undefined, { 'www-authenticate': 'Bearer realm="DockSphere API"' });
  if (subject.kind !== 'user') throw new ApiError('FORBIDDEN', 'robot accounts cannot use the audit and webhook API');
  return subject;
}

export async function requireAdmin(ctx: HooksContext, request: FastifyRequest): Promise<ConsoleUser> {
  const user = await requireUser(ctx, request);
  if (!user.admin) throw new ApiError('FORBIDDEN', 'only a site admin may do this');
  requireScope(await request.principal(), 'admin');
  return user;
}

/** Asks the admin policy; an unreachable metadata service is a 503, never a grant. */
export async function allowed(ctx: HooksContext, check: () => Promise<boolean>): Promise<boolean> {
  try {
    return await check();
  } catch (err) {
    ctx.logger.error({ err: { message: (err as Error).message } }, 'permission check failed');
    throw new ApiError('UNAVAILABLE', 'cannot check permissions right now; try again');
  }
}

/** Cursors are opaque to clients: base64url of "<kind>:<position>". */
export function encodeCursor(kind: string, position: number | string): string {
  return Buffer.from(`${kind}:${position}`).toString('base64url');
}

export function decodeSeqCursor(kind: string, cursor: string | undefined): number | undefined {
  if (cursor === undefined) return undefined;
  const text = Buffer.from(cursor, 'base64url').toString('utf8');
  const m = new RegExp(`^${kind}:(\\d{1,18})$`).exec(text);
  if (!m) throw new ApiError('BAD_REQUEST', 'invalid cursor');
  return Number(m[1]);
}

export function decodeIdCursor(kind: string, cursor: string | undefined): string | undefined {
  if (cursor === undefined) return undefined;
  const text = Buffer.from(cursor, 'base64url').toString('utf8');
  const m = new RegExp(`^${kind}:([0-9a-f-]{36})$`).exec(text);
  if (!m) throw new ApiError('BAD_REQUEST', 'invalid cursor');
  return m[1];
}

/** Parses an ISO-8601 time from a query parameter. */
export function parseTime(name: string, value: string | undefined): Date | undefined {
  if (value === undefined) return undefined;
  const t = Date.parse(value);
  if (Number.isNaN(t)) throw new ApiError('VALIDATION_FAILED', `${name} must be an ISO-8601 time, got "${value}"`);
  return new Date(t);
}

/** Runs fn in a transaction, then wakes the outbox relay: events are written with their change. */
export async function inTransaction<T>(ctx: HooksContext, fn: (trx: HooksContext['db']) => Promise<T>): Promise<T> {
  const result = await ctx.db.transaction().execute(fn);
  ctx.outboxWritten();
  return result;
}
