// The Docker token service: GET /auth/token (Basic credentials or anonymous) and the OAuth2 form
// POST /auth/token (grant_type=password | refresh_token), plus the JWKS registries verify with.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { Type, type Static, type TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { parseScopes, formatScope, type AccessEntry } from '@docksphere/access';
import { ApiError } from '@docksphere/kit';
import type { AuthContext } from '../context.ts';
import { checkDockerCredentials, checkDockerRefreshToken, BAD_CREDENTIALS_MESSAGE, DISABLED_MESSAGE, TWO_FACTOR_DOCKER_MESSAGE, type AuthOutcome } from '../domain/authenticate.ts';
import { admitLogin, loginFailed, loginSucceeded } from '../domain/login-guard.ts';
import { issueDockerRefreshToken, issueRegistryToken } from '../domain/registry-tokens.ts';
import { actor, recordEvent, type RequestOrigin } from '../domain/events.ts';
import { actorSubject, subjectName, type Subject } from '../domain/subject.ts';
import { originOf } from './http.ts';
import { KeySet, RegistryToken, TokenErrorReply } from './schemas.ts';

/**
 * An error of the token endpoint. The body satisfies both readers: Docker's client reads
 * {"errors":[{code,message}]} (and shows "unauthorized: <message>"), OAuth2 clients read
 * {"error","error_description"}.
 */
export class TokenError extends Error {
  constructor(
    readonly status: number,
    readonly code: 'UNAUTHORIZED' | 'DENIED' | 'INVALID_REQUEST' | 'UNSUPPORTED' | 'TOOMANYREQUESTS' | 'UNAVAILABLE',
    readonly oauthError: string,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }

  body(): Record<string, unknown> {
    return { errors: [{ code: this.code, message: this.message }], error: this.oauthError, error_description: this.message };
  }
}

export function sendTokenError(reply: FastifyReply, err: TokenError): FastifyReply {
  return reply.code(err.status).headers({ 'cache-control': 'no-store', ...err.headers }).send(err.body());
}

const MAX_SCOPES = 64;

function requestedScopes(raw: string | string[] | undefined): AccessEntry[] {
  const list = raw === undefined ? [] : Array.isArray(raw) ? raw : [raw];
  if (list.length > MAX_SCOPES) throw new TokenError(400, 'INVALID_REQUEST', 'invalid_scope', `at most ${MAX_SCOPES} scope parameters`);
  const parsed = parseScopes(list);
  if (!parsed) throw new TokenError(400, 'INVALID_REQUEST', 'invalid_scope', 'malformed scope: expected type:name:action[,action]');
  if (parsed.length > MAX_SCOPES) throw new TokenError(400, 'INVALID_REQUEST', 'invalid_scope', `at most ${MAX_SCOPES} scopes`);
  return parsed;
}

function checkService(ctx: AuthContext, service: string | undefined): void {
  if (service !== undefined && service !== ctx.service) {
    throw new TokenError(400, 'INVALID_REQUEST', 'invalid_request', `unknown service "${service.slice(0, 100)}": this server issues tokens for "${ctx.service}"`);
  }
}

function refusal(outcome: Extract<AuthOutcome, { ok: false }>): TokenError {
  const challenge = { 'www-authenticate': 'Basic realm="DockSphere"' };
  switch (outcome.reason) {
    case 'two-factor-required':
      return new TokenError(401, 'UNAUTHORIZED', 'invalid_grant', TWO_FACTOR_DOCKER_MESSAGE, challenge);
    case 'disabled':
      return new TokenError(401, 'UNAUTHORIZED', 'invalid_grant', DISABLED_MESSAGE, challenge);
    case 'unavailable':
      return new TokenError(503, 'UNAVAILABLE', 'temporarily_unavailable', 'the directory service is unavailable: try again later');
    default:
      return new TokenError(401, 'UNAUTHORIZED', 'invalid_grant', BAD_CREDENTIALS_MESSAGE, challenge);
  }
}

function basicCredentials(request: FastifyRequest): { username: string; password: string } | undefined {
  const header = request.headers.authorization;
  if (typeof header !== 'string' || !/^basic /i.test(header)) return undefined;
  const decoded = Buffer.from(header.slice(6).trim(), 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) throw new TokenError(400, 'INVALID_REQUEST', 'invalid_request', 'malformed Basic credentials');
  return { username: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
}

/**
 * Counts one token issued to this address: successes have their own generous limit, apart from
 * failures, so a client fetching a token per request (no token cache) is not refused.
 */
async function admitIssue(ctx: AuthContext, origin: RequestOrigin): Promise<void> {
  const limit = await ctx.limiter.hit(`token:ip:${origin.ip ?? '-'}`, ctx.settings.rateLimit.tokenPerIpPerMinute, 60);
  if (!limit.allowed) throw new TokenError(429, 'TOOMANYREQUESTS', 'slow_down', 'too many token requests: try again later', { 'retry-after': String(limit.retryAfterSeconds) });
}

/** Checks username + secret with rate limits, lock-outs and events; throws a TokenError on refusal. */
async function login(ctx: AuthContext, username: string, secret: string, origin: RequestOrigin): Promise<Extract<AuthOutcome, { ok: true }>> {
  if (username.length === 0 || username.length > 256 || secret.length === 0 || secret.length > 1024) {
    throw new TokenError(401, 'UNAUTHORIZED', 'invalid_grant', BAD_CREDENTIALS_MESSAGE, { 'www-authenticate': 'Basic realm="DockSphere"' });
  }
  try {
    await admitLogin(ctx, username, origin, 'docker');
  } catch (err) {
    if (err instanceof ApiError && err.status === 429) {
      throw new TokenError(429, 'TOOMANYREQUESTS', 'slow_down', err.message, err.headers);
    }
    throw err;
  }
  const outcome = await checkDockerCredentials(ctx, username, secret, origin.ip);
  if (!outcome.ok) {
    if (outcome.reason !== 'unavailable') await loginFailed(ctx, username, origin, 'docker', outcome.reason);
    throw refusal(outcome);
  }
  await loginSucceeded(ctx, username, origin);
  await admitIssue(ctx, origin);
  await recordEvent(ctx.db, 'auth.user.login', actor(actorSubject(outcome.subject), subjectName(outcome.subject), origin), {
    userId: outcome.subject.id,
    username: subjectName(outcome.subject),
    method: outcome.method,
    channel: 'docker',
  });
  ctx.outboxWritten();
  return outcome;
}

async function decide(ctx: AuthContext, subject: Subject, outcome: Extract<AuthOutcome, { ok: true }> | undefined, requested: AccessEntry[]) {
  try {
    return await issueRegistryToken(ctx, subject, outcome?.limits, requested);
  } catch (err) {
    ctx.logger.error({ err: { message: (err as Error).message } }, 'access decision failed');
    throw new TokenError(503, 'UNAVAILABLE', 'temporarily_unavailable', 'access decisions are unavailable: try again later');
  }
}

const TokenQuery = Type.Object({
  service: Type.Optional(Type.String({ maxLength: 255 })),
  scope: Type.Optional(Type.Union([Type.String({ maxLength: 1024 }), Type.Array(Type.String({ maxLength: 1024 }), { maxItems: MAX_SCOPES })])),
  account: Type.Optional(Type.String({ maxLength: 256 })),
  offline_token: Type.Optional(Type.String({ maxLength: 8 })),
  client_id: Type.Optional(Type.String({ maxLength: 200 })),
});

const TokenForm = Type.Object({
  grant_type: Type.String({ maxLength: 64 }),
  service: Type.Optional(Type.String({ maxLength: 255 })),
  client_id: Type.Optional(Type.String({ maxLength: 200 })),
  access_type: Type.Optional(Type.String({ maxLength: 16 })),
  scope: Type.Optional(Type.String({ maxLength: 16384 })),
  refresh_token: Type.Optional(Type.String({ maxLength: 1024 })),
  username: Type.Optional(Type.String({ maxLength: 256 })),
  password: Type.Optional(Type.String({ maxLength: 1024 })),
});

export async function tokenRoutes(app: FastifyInstance, ctx: AuthContext): Promise<void> {
  const r = app.withTypeProvider<TypeBoxTypeProvider>();

  r.get('/auth/token', { schema: { tags: ['token service'], summary: 'A registry token (Docker token spec): Basic credentials or anonymous, scopes as type:name:actions', security: [{ basic: [] }, {}], querystring: TokenQuery, response: { 200: RegistryToken, '4xx': TokenErrorReply, '5xx': TokenErrorReply } } }, async (request, reply) => {
    const q = request.query;
    checkService(ctx, q.service);
    const requested = requestedScopes(q.scope);
    const creds = basicCredentials(request);
    const origin = originOf(request);
    let subject: Subject = { kind: 'anonymous' };
    let outcome: Extract<AuthOutcome, { ok: true }> | undefined;
    if (creds) {
      // A robot login's "+" arrives as a space when a client leaves it unescaped in the query.
      if (q.account !== undefined && q.account.replace(/ /g, '+').toLowerCase() !== creds.username.trim().toLowerCase()) {
        throw new TokenError(401, 'UNAUTHORIZED', 'invalid_request', 'the account parameter does not match the credentials');
      }
      outcome = await login(ctx, creds.username, creds.password, origin);
      subject = outcome.subject;
    } else {
      await admitIssue(ctx, origin);
    }
    const issued = await decide(ctx, subject, outcome, requested);
    const body: Static<typeof RegistryToken> = { token: issued.token, access_token: issued.token, expires_in: issued.expiresIn, issued_at: issued.issuedAt };
    if (outcome && q.offline_token === 'true') {
      body.refresh_token = await issueDockerRefreshToken(ctx, outcome.subject, outcome, q.client_id);
    }
    return reply.header('cache-control', 'no-store').send(body);
  });

  r.post('/auth/token', { schema: { tags: ['token service'], summary: 'A registry token, OAuth2 form: grant_type=password or refresh_token', security: [], consumes: ['application/x-www-form-urlencoded'], body: TokenForm, response: { 200: RegistryToken, '4xx': TokenErrorReply, '5xx': TokenErrorReply } } }, async (request, reply) => {
    const f = request.body;
    checkService(ctx, f.service);
    const requested = requestedScopes(f.scope === undefined ? undefined : [f.scope]);
    const origin = originOf(request);
    let outcome: Extract<AuthOutcome, { ok: true }>;
    let refreshToken: string | undefined;
    if (f.grant_type === 'password') {
      if (f.username === undefined || f.password === undefined) throw new TokenError(400, 'INVALID_REQUEST', 'invalid_request', 'grant_type=password needs username and password');
      outcome = await login(ctx, f.username, f.password, origin);
      if (f.access_type === 'offline') refreshToken = await issueDockerRefreshToken(ctx, outcome.subject, outcome, f.client_id);
    } else if (f.grant_type === 'refresh_token') {
      if (!f.refresh_token) throw new TokenError(400, 'INVALID_REQUEST', 'invalid_request', 'grant_type=refresh_token needs refresh_token');
      const failures = await ctx.limiter.over(`fail:ip:${origin.ip ?? '-'}`, ctx.settings.rateLimit.failuresPerIpPerMinute, 60);
      if (!failures.allowed) throw new TokenError(429, 'TOOMANYREQUESTS', 'slow_down', 'too many failed attempts: try again later', { 'retry-after': String(failures.retryAfterSeconds) });
      const checked = await checkDockerRefreshToken(ctx, f.refresh_token, ctx.service, origin.ip);
      if (!checked.ok) {
        // A guessed refresh token counts as a failure of the address (it names no account).
        if (checked.reason === 'bad-credentials') await ctx.limiter.count(`fail:ip:${origin.ip ?? '-'}`, ctx.settings.rateLimit.failuresPerIpPerMinute, 60);
        if (checked.reason === 'two-factor-required') throw refusal(checked);
        throw new TokenError(401, 'UNAUTHORIZED', 'invalid_grant', checked.reason === 'disabled' ? DISABLED_MESSAGE : 'the refresh token is invalid, expired or revoked: log in again');
      }
      await admitIssue(ctx, origin);
      outcome = checked;
      // The spec: a refresh grant returns the same refresh token, not a new one.
      refreshToken = f.refresh_token;
    } else {
      throw new TokenError(400, 'UNSUPPORTED', 'unsupported_grant_type', 'grant_type must be password or refresh_token');
    }
    const issued = await decide(ctx, outcome.subject, outcome, requested);
    const body: Static<typeof RegistryToken> = {
      access_token: issued.token,
      token: issued.token,
      scope: issued.access.map(formatScope).join(' '),
      expires_in: issued.expiresIn,
      issued_at: issued.issuedAt,
    };
    if (refreshToken) body.refresh_token = refreshToken;
    return reply.header('cache-control', 'no-store').send(body);
  });

  const jwks = async (_request: FastifyRequest, reply: FastifyReply) => reply.header('cache-control', 'public, max-age=60').send(await ctx.keys.publicJwks());
  const jwksSchema = { schema: { tags: ['token service'], summary: 'The public keys registry tokens are verified with', security: [], response: { 200: KeySet } } };
  app.get('/auth/jwks.json', jwksSchema, jwks);
  app.get('/auth/.well-known/jwks.json', jwksSchema, jwks);
}
