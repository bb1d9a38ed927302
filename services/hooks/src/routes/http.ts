// HTTP helpers shared by the hooks routes: the caller (from the shared auth layer),
// permission checks, and transactions that wake the outbox relay.
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
