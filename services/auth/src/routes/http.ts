// HTTP helpers shared by the auth routes: request origin, session cookies, the caller's principal.
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { AuthContext } from '../context.ts';
import type { RequestOrigin } from '../domain/events.ts';
import type { IssuedSession } from '../domain/console-sessions.ts';
import { SESSION_COOKIES, type Principal } from '@docksphere/access';
import { ApiError, requireScope } from '@docksphere/kit';
import { findSession, type SessionRow } from '../store/sessions.ts';
import { findUserById, type UserRow } from '../store/users.ts';

export function originOf(request: FastifyRequest): RequestOrigin {
  const ua = request.headers['user-agent'];
  return { ip: request.ip, userAgent: typeof ua === 'string' ? ua : undefined };
}

const { access: ACCESS_COOKIE, refresh: REFRESH_COOKIE, csrf: CSRF_COOKIE } = SESSION_COOKIES;
export { REFRESH_COOKIE };
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

/** The logged-in user of a console session (credential management needs a session, not a token). */
export interface ConsoleCaller {
  user: UserRow;
  session: SessionRow;
}

/** A signed-in user behind any credential (session or personal access token). */
export interface UserCaller {
  user: UserRow;
  principal: Principal;
}

async function userOf(ctx: AuthContext, principal: Principal): Promise<UserRow> {
  if (principal.subject.kind === 'anonymous') throw new ApiError('UNAUTHORIZED', 'log in first', undefined, { 'www-authenticate': 'Bearer realm="DockSphere API"' });
  if (principal.subject.kind !== 'user') throw new ApiError('FORBIDDEN', 'robot accounts cannot use this endpoint');
  const user = await findUserById(ctx.db, principal.subject.id);
  // The auth layer checked the account a moment ago; a concurrent delete or disable still refuses.
  if (!user || user.disabled) throw new ApiError('UNAUTHORIZED', 'this account is disabled or deleted');
  return user;
}

/** The caller's console session: sessions, 2FA, passwords and tokens are managed only from the console. */
export async function requirePrincipal(ctx: AuthContext, request: FastifyRequest): Promise<ConsoleCaller> {
  const principal = await request.principal();
  const user = await userOf(ctx, principal);
  if (principal.credential.kind !== 'session') throw new ApiError('FORBIDDEN', 'this endpoint needs a console session: access tokens cannot manage credentials');
  const session = await findSession(ctx.db, principal.credential.sessionId);
  if (!session) throw new ApiError('UNAUTHORIZED', 'no such session: log in again');
  return { user, session };
}

/** The user behind any credential (console session or personal access token): for reading one's own account. */
export async function requireUser(ctx: AuthContext, request: FastifyRequest): Promise<UserCaller> {
  const principal = await request.principal();
  return { user: await userOf(ctx, principal), principal };
}

/** A site admin, by console session or by a token with the admin scope. */
export async function requireAdmin(ctx: AuthContext, request: FastifyRequest): Promise<UserCaller> {
  const principal = await request.principal();
  const user = await userOf(ctx, principal);
  if (!user.is_admin) throw new ApiError('FORBIDDEN', 'only a site admin may do this');
  requireScope(principal, 'admin');
  return { user, principal };
}

/** Runs fn in a transaction, then wakes the outbox relay: events are written with their change. */
export async function inTransaction<T>(ctx: AuthContext, fn: (trx: AuthContext['db']) => Promise<T>): Promise<T> {
  const result = await ctx.db.transaction().execute(fn);
  ctx.outboxWritten();
  return result;
}
