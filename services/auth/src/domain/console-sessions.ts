// Console sessions: a short-lived access JWT, a rotating refresh secret (HttpOnly cookie) and a
// CSRF secret for cookie-authenticated writes. A refresh secret presented after it was rotated
// away means it was copied: the whole session is revoked.
import { randomUUID } from 'node:crypto';
import { ApiError } from '@docksphere/kit';
import type { AuthContext } from '../context.ts';
import { CONSOLE_AUDIENCE, sessionProblem } from '@docksphere/access';
import { sessionEnded } from './credential-authority.ts';
import { findSession, insertSession, revokeSession, rotateRefresh, } from '../store/sessions.ts';
import { findUserById, type UserRow } from '../store/users.ts';
import { constantTimeEqual, newSecret, secretDigest, secretPrefix } from './secrets.ts';
import type { RequestOrigin } from './events.ts';

export interface IssuedSession {
  sessionId: string;
  accessToken: string;
  expiresIn: number;
  /** "<session id>.<secret>": the HttpOnly refresh cookie. */
  refreshCookie: string;
  csrfToken: string;
}

async function accessTokenFor(ctx: AuthContext, user: UserRow, sessionId: string): Promise<string> {
  const { token } = await ctx.keys.sign(
    { sid: sessionId, username: user.username, admin: user.is_admin },
    { issuer: ctx.issuer, audience: CONSOLE_AUDIENCE, subject: user.id, ttlSeconds: ctx.settings.sessionTtlSeconds },
  );
  return token;
}

export async function startSession(ctx: AuthContext, user: UserRow, origin: RequestOrigin): Promise<IssuedSession> {
  const sessionId = randomUUID();
  const refresh = newSecret(secretPrefix.session);
  const csrfToken = newSecret('');
  await insertSession(ctx.db, {
    id: sessionId,
    userId: user.id,
    refreshHash: secretDigest(refresh),
    csrfHash: secretDigest(csrfToken),
    ip: origin.ip,
    userAgent: origin.userAgent,
    expiresAt: new Date(Date.now() + ctx.settings.refreshTtlSeconds * 1000),
  });
  return { sessionId, accessToken: await accessTokenFor(ctx, user, sessionId), expiresIn: ctx.settings.sessionTtlSeconds, refreshCookie: `${sessionId}.${refresh}`, csrfToken };
}

function parseRefreshCookie(value: string | undefined): { sessionId: string; secret: string } | undefined {
  if (!value) return undefined;
  const dot = value.indexOf('.');
  if (dot <= 0) return undefined;
  const sessionId = value.slice(0, dot);
  if (!/^[0-9a-f-]{36}$/.test(sessionId)) return undefined;
  return { sessionId, secret: value.slice(dot + 1) };
}

const SESSION_EXPIRED = () => new ApiError('UNAUTHORIZED', 'session expired: log in again');

/** Exchanges the refresh cookie for a new access token and a new refresh secret. */
export async function refreshSession(ctx: AuthContext, cookie: string | undefined, csrfHeader: string | undefined): Promise<{ user: UserRow; session: IssuedSession }> {
  const parsed = parseRefreshCookie(cookie);
  if (!parsed) throw SESSION_EXPIRED();
  const session = await findSession(ctx.db, parsed.sessionId);
  if (!session) throw SESSION_EXPIRED();
  const ended = sessionEnded(session, ctx.settings);
  if (ended) throw new ApiError('UNAUTHORIZED', sessionProblem(ended));
  if (!csrfHeader || !constantTimeEqual(secretDigest(csrfHeader), session.csrf_hash)) throw new ApiError('FORBIDDEN', 'missing or wrong CSRF token (send the x-csrf-token header)');
  const presented = secretDigest(parsed.secret);
  if (!constantTimeEqual(presented, session.refresh_hash)) {
    if (session.previous_refresh_hash && constantTimeEqual(presented, session.previous_refresh_hash)) await revokeSession(ctx.db, session.id);
    throw SESSION_EXPIRED();
  }
  const user = await findUserById(ctx.db, session.user_id);
  if (!user || user.disabled) throw SESSION_EXPIRED();
  const next = newSecret(secretPrefix.session);
  const rotated = await rotateRefresh(ctx.db, session.id, session.refresh_hash, secretDigest(next), new Date(Date.now() + ctx.settings.refreshTtlSeconds * 1000));
  if (!rotated) throw SESSION_EXPIRED();
  return {
    user,
    session: {
      sessionId: session.id,
      accessToken: await accessTokenFor(ctx, user, session.id),
      expiresIn: ctx.settings.sessionTtlSeconds,
      refreshCookie: `${session.id}.${next}`,
      // The CSRF secret lives as long as the session; the console keeps using the cookie it has.
      csrfToken: csrfHeader,
    },
  };
}
