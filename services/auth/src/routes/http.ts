// HTTP helpers shared by the auth routes: request origin, session cookies, the caller's principal.
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { AuthContext } from '../context.ts';
import type { RequestOrigin } from '../domain/events.ts';
import { principalOf, type IssuedSession, type Principal } from '../domain/console-sessions.ts';
import { ApiError } from '@docksphere/kit';

export function originOf(request: FastifyRequest): RequestOrigin {
  const ua = request.headers['user-agent'];
  return { ip: request.ip, userAgent: typeof ua === 'string' ? ua : undefined };
}

export const ACCESS_COOKIE = 'ds_access';
export const REFRESH_COOKIE = 'ds_refresh';
export const CSRF_COOKIE = 'ds_csrf';
/** The refresh cookie is only ever sent to the session endpoints. */
export const REFRESH_COOKIE_PATH = '/api/auth/session';

export function setSessionCookies(ctx: AuthContext, reply: FastifyReply, s: IssuedSession): void {
  const secure = ctx.settings.secureCookies;
  reply.setCookie(ACCESS_COOKIE, s.accessToken, { httpOnly: true, sameSite: 'lax', secure, path: '/', maxAge: s.expiresIn });
  reply.setCookie(REFRESH_COOKIE, s.refreshCookie, { httpOnly: true, sameSite: 'strict', secure, path: REFRESH_COOKIE_PATH, maxAge: ctx.settings.refreshTtlSeconds });
  // Readable by the console's script, which echoes it in x-csrf-token: a cross-site page cannot.
  reply.setCookie(CSRF_COOKIE, s.csrfToken, { httpOnly: false, sameSite: 'strict', secure, path: '/', maxAge: ctx.settings.refreshTtlSeconds });
}

export function clearSessionCookies(reply: FastifyReply): void {
  reply.clearCookie(ACCESS_COOKIE, { path: '/' });
  reply.clearCookie(REFRESH_COOKIE, { path: REFRESH_COOKIE_PATH });
  reply.clearCookie(CSRF_COOKIE, { path: '/' });
}

export async function requirePrincipal(ctx: AuthContext, request: FastifyRequest): Promise<Principal> {
  return principalOf(ctx, { method: request.method, headers: request.headers, cookies: request.cookies });
}

export async function requireAdmin(ctx: AuthContext, request: FastifyRequest): Promise<Principal> {
  const p = await requirePrincipal(ctx, request);
  if (!p.user.is_admin) throw new ApiError('FORBIDDEN', 'only a site admin may do this');
  return p;
}

/** Runs fn in a transaction, then wakes the outbox relay: events are written with their change. */
export async function inTransaction<T>(ctx: AuthContext, fn: (trx: AuthContext['db']) => Promise<T>): Promise<T> {
  const result = await ctx.db.transaction().execute(fn);
  ctx.outboxWritten();
  return result;
}
