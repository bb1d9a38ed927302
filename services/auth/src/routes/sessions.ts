// Console sessions: login (with the 2FA step), refresh, logout, log out everywhere, who am I.
import type { FastifyInstance } from 'fastify';
import { Type, type TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { ApiError } from '@docksphere/kit';
import type { AuthContext } from '../context.ts';
import { parseScopes } from '@docksphere/access';
import { ConsoleSession, NoContent, SessionStarted, TwoFactorChallenge, User } from './schemas.ts';
import { checkPassword, userSubject, BAD_CREDENTIALS_MESSAGE, DISABLED_MESSAGE } from '../domain/authenticate.ts';
import { issueRegistryToken } from '../domain/registry-tokens.ts';
import { admitLogin, loginFailed, loginSucceeded } from '../domain/login-guard.ts';
import { refreshSession, startSession } from '../domain/console-sessions.ts';
import { checkSecondFactor } from '../domain/two-factor.ts';
import { actor, recordEvent, type RequestOrigin } from '../domain/events.ts';
import { revokeSession, revokeUserSessions, listUserSessions } from '../store/sessions.ts';
import { revokeUserDockerRefreshTokens } from '../store/docker-refresh-tokens.ts';
import { findUserById, userView, type UserRow } from '../store/users.ts';
import { clearSessionCookies, inTransaction, originOf, REFRESH_COOKIE, requirePrincipal, setSessionCookies } from './http.ts';
import type { FastifyReply } from 'fastify';

const TWO_FACTOR_AUDIENCE = 'docksphere-2fa';
const TWO_FACTOR_CHALLENGE_SECONDS = 300;

const Credentials = Type.Object({
  username: Type.String({ minLength: 1, maxLength: 256 }),
  password: Type.String({ minLength: 1, maxLength: 1024 }),
});

/** What the console may ask a registry token for: reading images and deleting tags, one repository at a time. */
const ConsoleRegistryScope = Type.String({ maxLength: 300, pattern: '^repository:[a-z0-9][a-z0-9._/-]*:(pull|pull,delete|delete,pull|delete)$' });
const RegistryTokenRequest = Type.Object({ scopes: Type.Array(ConsoleRegistryScope, { minItems: 1, maxItems: 4 }) }, { additionalProperties: false });

const SecondStep = Type.Object({
  challenge: Type.String({ minLength: 1, maxLength: 4096 }),
  code: Type.Optional(Type.String({ pattern: '^\\s*\\d{3}\\s?\\d{3}\\s*$' })),
  backupCode: Type.Optional(Type.String({ minLength: 10, maxLength: 20 })),
});

async function completeLogin(ctx: AuthContext, reply: FastifyReply, user: UserRow, origin: RequestOrigin, method: 'password' | 'ldap') {
  const session = await startSession(ctx, user, origin);
  await recordEvent(ctx.db, 'auth.user.login', actor(`user:${user.id}`, user.username, origin), { userId: user.id, username: user.username, method, channel: 'console' });
  ctx.outboxWritten();
  setSessionCookies(ctx, reply, session);
  return { user: userView(user), accessToken: session.accessToken, expiresIn: session.expiresIn, csrfToken: session.csrfToken };
}

export async function sessionRoutes(app: FastifyInstance, ctx: AuthContext): Promise<void> {
  const r = app.withTypeProvider<TypeBoxTypeProvider>();

  r.post('/api/auth/login', { schema: { tags: ['sessions'], summary: 'Log in to the console: sets the session cookies, or asks for the second factor', security: [], body: Credentials, response: { 200: Type.Union([SessionStarted, TwoFactorChallenge]) } } }, async (request, reply) => {
    const { username, password } = request.body;
    const origin = originOf(request);
    await admitLogin(ctx, username, origin, 'console');
    const outcome = await checkPassword(ctx, username, password);
    if (!outcome.ok) {
      if (outcome.reason === 'unavailable') throw new ApiError('UNAVAILABLE', 'the directory service is unavailable: try again later');
      await loginFailed(ctx, username, origin, 'console', outcome.reason);
      throw new ApiError('UNAUTHORIZED', outcome.reason === 'disabled' ? DISABLED_MESSAGE : BAD_CREDENTIALS_MESSAGE);
    }
    const user = outcome.user as UserRow;
    if (outcome.twoFactor) {
      // The password was right; the session starts only after the second factor.
      const { token } = await ctx.keys.sign(
        { method: outcome.method },
        { issuer: ctx.issuer, audience: TWO_FACTOR_AUDIENCE, subject: user.id, ttlSeconds: TWO_FACTOR_CHALLENGE_SECONDS },
      );
      return { twoFactorRequired: true as const, challenge: token, expiresIn: TWO_FACTOR_CHALLENGE_SECONDS };
    }
    await loginSucceeded(ctx, username, origin);
    return completeLogin(ctx, reply, user, origin, outcome.method === 'ldap' ? 'ldap' : 'password');
  });

  r.post('/api/auth/login/2fa', { schema: { tags: ['sessions'], summary: 'Complete a login with a TOTP code or a backup code', security: [], body: SecondStep, response: { 200: SessionStarted } } }, async (request, reply) => {
    const { challenge, code, backupCode } = request.body;
    if ((code === undefined) === (backupCode === undefined)) throw new ApiError('VALIDATION_FAILED', 'send either code or backupCode');
    let claims;
    try {
      claims = await ctx.keys.verify(challenge, { issuer: ctx.issuer, audience: TWO_FACTOR_AUDIENCE });
    } catch {
      throw new ApiError('UNAUTHORIZED', 'the login challenge expired: log in again');
    }
    const user = await findUserById(ctx.db, String(claims.sub));
    if (!user || user.disabled || !user.totp_enabled) throw new ApiError('UNAUTHORIZED', 'the login challenge expired: log in again');
    const origin = originOf(request);
    await admitLogin(ctx, user.username, origin, 'console');
    const result = await checkSecondFactor(ctx, user, { code, backupCode }, { allowBackupCode: true });
    if (!result.ok) {
      await loginFailed(ctx, user.username, origin, 'console', 'two-factor-invalid');
      throw new ApiError('UNAUTHORIZED', 'incorrect or already used code');
    }
    if (result.usedBackupCode) {
      await recordEvent(ctx.db, 'auth.twofactor.changed', actor(`user:${user.id}`, user.username, origin), { userId: user.id, username: user.username, change: 'backup-code-used' });
    }
    await loginSucceeded(ctx, user.username, origin);
    return completeLogin(ctx, reply, user, origin, claims.method === 'ldap' ? 'ldap' : 'password');
  });

  r.post('/api/auth/session/refresh', { schema: { tags: ['sessions'], summary: 'A new access token from the refresh cookie (needs x-csrf-token)', response: { 200: SessionStarted } } }, async (request, reply) => {
    const csrf = request.headers['x-csrf-token'];
    try {
      const { user, session } = await refreshSession(ctx, request.cookies[REFRESH_COOKIE], typeof csrf === 'string' ? csrf : undefined);
      setSessionCookies(ctx, reply, session);
      return { user: userView(user), accessToken: session.accessToken, expiresIn: session.expiresIn, csrfToken: session.csrfToken };
    } catch (err) {
      if (err instanceof ApiError && err.status === 401) clearSessionCookies(reply);
      throw err;
    }
  });

  r.get('/api/auth/session', { schema: { tags: ['sessions'], summary: 'The current session and its user', response: { 200: Type.Object({ user: User, sessionId: Type.String() }) } } }, async (request) => {
    const p = await requirePrincipal(ctx, request);
    return { user: userView(p.user), sessionId: p.session.id };
  });

  // The console reads manifests, image configs and referrers, and deletes tags, through /v2 like
  // any client: this trades the session for a short-lived registry token with the actions the user
  // holds (as /auth/token would for their password), kept in the page's memory only.
  r.post('/api/auth/session/registry-token', {
      schema: {
        tags: ['sessions'],
        summary: 'A short-lived registry token (pull, delete) for the console session\'s user, for /v2 calls from the console',
        body: RegistryTokenRequest,
        response: { 200: Type.Object({ token: Type.String(), access: Type.Array(Type.Object({ type: Type.String(), name: Type.String(), actions: Type.Array(Type.String()) })), expiresIn: Type.Integer() }) },
      },
    }, async (request, reply) => {
    const p = await requirePrincipal(ctx, request);
    const requested = parseScopes(request.body.scopes);
    if (!requested) throw new ApiError('VALIDATION_FAILED', 'malformed scope: expected repository:<name>:<actions>');
    const issued = await issueRegistryToken(ctx, userSubject(p.user), undefined, requested);
    return reply.header('cache-control', 'no-store').send({ token: issued.token, access: issued.access, expiresIn: issued.expiresIn });
  });

  r.get('/api/auth/sessions', { schema: { tags: ['sessions'], summary: 'The caller\'s console sessions', response: { 200: Type.Object({ sessions: Type.Array(ConsoleSession) }) } } }, async (request) => {
    const p = await requirePrincipal(ctx, request);
    const sessions = await listUserSessions(ctx.db, p.user.id);
    return {
      sessions: sessions.map((s) => ({
        id: s.id,
        current: s.id === p.session.id,
        ip: s.ip,
        userAgent: s.user_agent,
        createdAt: new Date(s.created_at).toISOString(),
        lastUsedAt: new Date(s.last_used_at).toISOString(),
      })),
    };
  });

  r.post('/api/auth/logout', { schema: { tags: ['sessions'], summary: 'End this session and clear its cookies', response: { 204: NoContent } } }, async (request, reply) => {
    const p = await requirePrincipal(ctx, request);
    await inTransaction(ctx, async (trx) => {
      await revokeSession(trx, p.session.id);
      await recordEvent(trx, 'auth.user.logout', actor(`user:${p.user.id}`, p.user.username, originOf(request)), { userId: p.user.id, username: p.user.username, everywhere: false });
    });
    clearSessionCookies(reply);
    return reply.code(204).send(null);
  });

  r.post('/api/auth/logout-everywhere', { schema: { tags: ['sessions'], summary: 'End every session of the caller and their password-based docker logins', response: { 204: NoContent } } }, async (request, reply) => {
    const p = await requirePrincipal(ctx, request);
    await inTransaction(ctx, async (trx) => {
      await revokeUserSessions(trx, p.user.id);
      // Docker logins made with the password end too; access tokens are revoked one by one.
      await revokeUserDockerRefreshTokens(trx, p.user.id, { passwordOnly: true });
      await recordEvent(trx, 'auth.user.logout', actor(`user:${p.user.id}`, p.user.username, originOf(request)), { userId: p.user.id, username: p.user.username, everywhere: true });
    });
    clearSessionCookies(reply);
    return reply.code(204).send(null);
  });
}
