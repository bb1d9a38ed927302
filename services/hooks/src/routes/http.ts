// HTTP helpers shared by the hooks routes: the caller (console JWT as bearer or access cookie),
// permission checks, and transactions that wake the outbox relay.
import type { FastifyRequest } from 'fastify';
import { timingSafeEqual } from 'node:crypto';
import { ApiError } from '@docksphere/kit';
import type { HooksContext } from '../context.ts';
import type { ConsoleUser } from '../domain/console-auth.ts';

/** The console's cookies (set by the auth service). */
const ACCESS_COOKIE = 'ds_access';
const CSRF_COOKIE = 'ds_csrf';
const UNSAFE = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

function cookieOf(request: FastifyRequest, name: string): string | undefined {
  const header = request.headers.cookie;
  if (typeof header !== 'string') return undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) {
      try {
        return decodeURIComponent(part.slice(eq + 1).trim());
      } catch {
        return undefined;
      }
    }
  }
  return undefined;
}

function sameSecret(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/**
 * The logged-in console user. A cookie-authenticated write must echo the CSRF cookie in x-csrf-token
 * (double submit: a cross-site page can send the cookies but cannot read them).
 */
export async function requireUser(ctx: HooksContext, request: FastifyRequest): Promise<ConsoleUser> {
  const header = request.headers.authorization;
  let token: string | undefined;
  let viaCookie = false;
  if (typeof header === 'string' && /^bearer /i.test(header)) token = header.slice(7).trim();
  else {
    token = cookieOf(request, ACCESS_COOKIE);
    viaCookie = token !== undefined;
  }
  if (!token) throw new ApiError('UNAUTHORIZED', 'log in first', undefined, { 'www-authenticate': 'Bearer' });
  const user = await ctx.verifyConsoleToken(token);
  if (!user) throw new ApiError('UNAUTHORIZED', 'session expired: log in again', undefined, { 'www-authenticate': 'Bearer error="invalid_token"' });
  if (viaCookie && UNSAFE.has(request.method)) {
    const csrf = request.headers['x-csrf-token'];
    const cookie = cookieOf(request, CSRF_COOKIE);
    if (typeof csrf !== 'string' || !cookie || !sameSecret(csrf, cookie)) throw new ApiError('FORBIDDEN', 'missing or wrong CSRF token (send the x-csrf-token header)');
  }
  return user;
}

export async function requireAdmin(ctx: HooksContext, request: FastifyRequest): Promise<ConsoleUser> {
  const user = await requireUser(ctx, request);
  if (!user.admin) throw new ApiError('FORBIDDEN', 'only a site admin may do this');
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
