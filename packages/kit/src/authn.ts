// The one authentication layer of the platform API (/api/*): reads the credential a request carries
// (console session as bearer JWT or cookie, personal access token or robot token as Bearer or as the
// Basic password), verifies it once per request against the auth service (its keys, its session
// and token state, cached for a few seconds at most) and decorates the request with the principal.
// Also the auth service's key source (JWKS) and the one client of metadata's POST /internal/access.
import { createHash, timingSafeEqual } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { createLocalJWKSet, createRemoteJWKSet, errors as joseErrors, importSPKI, importX509, jwtVerify, type JSONWebKeySet, type JWTVerifyGetKey } from 'jose';
import { LRUCache } from 'lru-cache';
import {
  ANONYMOUS_PRINCIPAL,
  BACKGROUND_HEADER,
  CONSOLE_AUDIENCE,
  CSRF_HEADER,
  SESSION_COOKIES,
  apiScopeFor,
  isStateChanging,
  missingScope,
  sessionProblem,
  tokenProblem,
  type AccessEntry,
  type ApiScope,
  type Principal,
  type SessionState,
  type Subject,
  type TokenState,
} from '@docksphere/access';
import { ApiError } from './errors.ts';

declare module 'fastify' {
  interface FastifyRequest {
    /** Who is calling: verified on first use, then the same answer for the rest of the request. */
    principal(): Promise<Principal>;
  }
}

/** Asymmetric algorithms only: "none" and HS* (which would let a public key act as a shared secret) are refused. */
export const SIGNING_ALGORITHMS = ['ES256', 'ES384', 'RS256', 'RS384', 'PS256'] as const;
const MAX_JWT_LENGTH = 16 * 1024;
const MAX_SECRET_LENGTH = 512;
const CLOCK_TOLERANCE_SECONDS = 30;

export interface KeySourceOptions {
  /** An in-process key set (all-in-one: () => keys.publicJwks()). */
  jwks?: (() => Promise<JSONWebKeySet>) | undefined;
  /** The auth service's JWKS endpoint (distributed): fetched, cached, refreshed on an unknown kid. */
  jwksUrl?: string | undefined;
  /** A PEM public key or certificate file. */
  publicKeyFile?: string | undefined;
}

/** Where the auth service's public keys come from, for jose's jwtVerify. */
export function authKeySource(options: KeySourceOptions): JWTVerifyGetKey {
  if (options.jwks) {
    const load = options.jwks;
    let cached: { set: JSONWebKeySet; getKey: JWTVerifyGetKey } | undefined;
    return async (header, token) => {
      const set = await load();
      if (cached?.set !== set) cached = { set, getKey: createLocalJWKSet(set) };
      return cached.getKey(header, token);
    };
  }
  if (options.jwksUrl) {
    const remote = createRemoteJWKSet(new URL(options.jwksUrl), { cacheMaxAge: 10 * 60_000, cooldownDuration: 30_000 });
    return (header, token) => remote(header, token);
  }
  if (options.publicKeyFile) {
    const file = options.publicKeyFile;
    let pem: Promise<string> | undefined;
    const keys = new Map<string, ReturnType<typeof importSPKI>>();
    return async (header) => {
      pem ??= readFile(file, 'utf8');
      const text = await pem;
      const alg = header.alg;
      let key = keys.get(alg);
      if (!key) {
        key = text.includes('BEGIN CERTIFICATE') ? importX509(text, alg) : importSPKI(text, alg);
        keys.set(alg, key);
        key.catch(() => keys.delete(alg));
      }
      return key;
    };
  }
  throw new Error('verifying auth tokens needs a key source: jwks, jwksUrl (AUTH_JWKS_URL) or publicKeyFile');
}

/** The auth service's word on a session or an opaque token (in-process, or over /internal/auth/*). */
export interface CredentialAuthority {
  /** The session's state; `touch` counts this request as activity for the idle timeout. */
  session(sessionId: string, touch: boolean): Promise<SessionState & { csrfDigest?: string }>;
  /** What a personal access token or robot token resolves to. */
  token(secret: string, ip: string | undefined): Promise<TokenState>;
}

/** Checks x-internal-secret of an /internal/* call; without a configured secret every call is refused. */
export function requireInternalSecret(expected: string | undefined, presented: string | string[] | undefined): void {
  if (!expected) throw new ApiError('FORBIDDEN', 'internal routes are disabled: set INTERNAL_SECRET');
  const a = Buffer.from(typeof presented === 'string' ? presented : '');
  const b = Buffer.from(expected);
  if (a.length !== b.length || !timingSafeEqual(a, b)) throw new ApiError('UNAUTHORIZED', 'wrong or missing x-internal-secret');
}

async function postInternal<T>(baseUrl: string, path: string, internalSecret: string | undefined, body: unknown, timeoutMs: number): Promise<T> {
  const res = await fetch(new URL(path, baseUrl), {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(internalSecret ? { 'x-internal-secret': internalSecret } : {}) },
    body: JSON.stringify(body),
    signal: AbortSignal.timeout(timeoutMs),
  });
  if (!res.ok) throw new Error(`${path} answered ${res.status}`);
  return (await res.json()) as T;
}

/** The auth service's /internal/auth/* routes, asked over HTTP (distributed mode). */
export function httpCredentialAuthority(options: { authUrl: string; internalSecret: string | undefined; timeoutMs?: number }): CredentialAuthority {
  const timeout = options.timeoutMs ?? 5000;
  return {
    session: (sessionId, touch) => postInternal(options.authUrl, '/internal/auth/session', options.internalSecret, { sessionId, touch }, timeout),
    token: (secret, ip) => postInternal(options.authUrl, '/internal/auth/token', options.internalSecret, { token: secret, ...(ip ? { ip } : {}) }, timeout),
  };
}

/**
 * Remembers answers for a few seconds, so a page's burst of requests costs one round trip while a
 * logout, a revoked token or a disabled account is seen everywhere within `ttlMs`.
 */
export function cachedAuthority(inner: CredentialAuthority, options: { ttlMs?: number; max?: number } = {}): CredentialAuthority {
  const ttl = options.ttlMs ?? 2000;
  const sessions = new LRUCache<string, SessionState & { csrfDigest?: string }>({ max: options.max ?? 10_000, ttl });
  const tokens = new LRUCache<string, TokenState>({ max: options.max ?? 10_000, ttl });
  return {
    async session(sessionId, touch) {
      const key = `${touch ? 't' : 'b'}:${sessionId}`;
      const hit = sessions.get(key);
      if (hit) return hit;
      const state = await inner.session(sessionId, touch);
      sessions.set(key, state);
      return state;
    },
    async token(secret, ip) {
      const key = createHash('sha256').update(secret).digest('hex');
      const hit = tokens.get(key);
      if (hit) return hit;
      const state = await inner.token(secret, ip);
      tokens.set(key, state);
      return state;
    },
  };
}

/** Which actions a subject holds on requested resources: metadata's permission model. */
export interface AccessDecider {
  /** The actions the subject holds on each requested resource (may hold more than asked: callers intersect). */
  decide(subject: Subject, requested: AccessEntry[]): Promise<AccessEntry[]>;
}

/** Metadata's POST /internal/access over HTTP; a failure is an error (the caller answers 503), never a grant. */
export function httpAccessDecider(options: { metadataUrl: string; internalSecret: string | undefined; timeoutMs?: number }): AccessDecider {
  return {
    async decide(subject, requested) {
      if (requested.length === 0) return [];
      const body = await postInternal<{ granted?: unknown }>(options.metadataUrl, '/internal/access', options.internalSecret, { subject, requested }, options.timeoutMs ?? 5000);
      if (!Array.isArray(body.granted)) throw new Error('metadata /internal/access answered without a granted list');
      return body.granted.filter(
        (e): e is AccessEntry =>
          typeof e === 'object' && e !== null && typeof e.type === 'string' && typeof e.name === 'string' && Array.isArray(e.actions) && e.actions.every((a: unknown) => typeof a === 'string'),
      );
    },
  };
}

export interface AuthLayerOptions {
  /** The auth service's issuer (AUTH_ISSUER). */
  issuer: string;
  keys: JWTVerifyGetKey;
  authority: CredentialAuthority;
}

const unauthorized = (message: string, error = 'invalid_token') => new ApiError('UNAUTHORIZED', message, undefined, { 'www-authenticate': `Bearer realm="DockSphere API", error="${error}"` });

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

const csrfMissing = () =>
  new ApiError('FORBIDDEN', `missing CSRF token: cookie-authenticated writes must send the ${CSRF_HEADER} header with the value of the ${SESSION_COOKIES.csrf} cookie`, { reason: 'csrf' });

function digestEqual(secret: string, digest: string): boolean {
  const a = Buffer.from(createHash('sha256').update(secret, 'utf8').digest('hex'));
  const b = Buffer.from(digest);
  return a.length === b.length && timingSafeEqual(a, b);
}

const looksLikeJwt = (s: string) => /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/.test(s);

async function consoleSession(options: AuthLayerOptions, request: FastifyRequest, token: string, via: 'cookie' | 'bearer'): Promise<Principal> {
  if (token.length > MAX_JWT_LENGTH) throw unauthorized('invalid session token');
  let sub: string | undefined;
  let sid: unknown;
  try {
    const { payload } = await jwtVerify(token, options.keys, {
      issuer: options.issuer,
      audience: CONSOLE_AUDIENCE,
      algorithms: [...SIGNING_ALGORITHMS],
      clockTolerance: CLOCK_TOLERANCE_SECONDS,
      requiredClaims: ['exp', 'sub'],
    });
    sub = payload.sub;
    sid = payload.sid;
  } catch (err) {
    if (err instanceof joseErrors.JWTExpired) throw unauthorized('session expired: refresh it (POST /api/auth/session/refresh) or log in again');
    if (err instanceof joseErrors.JOSEError && !(err instanceof joseErrors.JWKSTimeout)) throw unauthorized('invalid session token: log in again');
    throw new ApiError('UNAVAILABLE', 'cannot verify sessions right now (auth keys unreachable); try again');
  }
  // A console token names a session that must exist and be live.
  if (typeof sid !== 'string' || sid.length === 0 || sid.length > 128) throw unauthorized('invalid session token: log in again');
  const background = request.headers[BACKGROUND_HEADER] === '1' || request.headers[BACKGROUND_HEADER] === 'true';
  let state: Awaited<ReturnType<CredentialAuthority['session']>>;
  try {
    state = await options.authority.session(sid, !background);
  } catch (err) {
    request.log.error({ err: { message: (err as Error).message } }, 'session check failed');
    throw new ApiError('UNAVAILABLE', 'cannot check sessions right now (auth service unreachable); try again');
  }
  if (state.status !== 'live') throw unauthorized(sessionProblem(state.status));
  if (state.user.id !== sub) throw unauthorized('invalid session token: log in again');
  if (via === 'cookie' && isStateChanging(request.method)) {
    const csrf = request.headers[CSRF_HEADER];
    if (typeof csrf !== 'string' || csrf.length === 0) throw csrfMissing();
    const cookie = cookieOf(request, SESSION_COOKIES.csrf);
    const matches = state.csrfDigest ? digestEqual(csrf, state.csrfDigest) : cookie !== undefined && cookie.length === csrf.length && timingSafeEqual(Buffer.from(cookie), Buffer.from(csrf));
    if (!matches) throw new ApiError('FORBIDDEN', `wrong CSRF token: send the ${CSRF_HEADER} header with the value of the ${SESSION_COOKIES.csrf} cookie`, { reason: 'csrf' });
  }
  return { subject: state.user, credential: { kind: 'session', sessionId: sid, via } };
}

async function opaqueToken(options: AuthLayerOptions, request: FastifyRequest, secret: string, basicUser: string | undefined): Promise<Principal> {
  if (secret.length > MAX_SECRET_LENGTH) throw unauthorized('unknown token');
  let state: TokenState;
  try {
    state = await options.authority.token(secret, request.ip);
  } catch (err) {
    request.log.error({ err: { message: (err as Error).message } }, 'token check failed');
    throw new ApiError('UNAVAILABLE', 'cannot check tokens right now (auth service unreachable); try again');
  }
  if (state.status !== 'valid') throw unauthorized(tokenProblem(state.status));
  if (basicUser !== undefined) {
    const s = state.principal.subject;
    const name = s.kind === 'user' ? s.username : s.kind === 'robot' ? `${s.namespace}+${s.name}` : '';
    if (basicUser.trim().toLowerCase() !== name) throw unauthorized('the token does not belong to this username');
  }
  return state.principal;
}

/** Reads and verifies the request's credential: anonymous when it carries none, an error when it is bad. */
async function authenticate(options: AuthLayerOptions, request: FastifyRequest): Promise<Principal> {
  const header = request.headers.authorization;
  let principal: Principal;
  if (typeof header === 'string' && header.trim() !== '') {
    const space = header.indexOf(' ');
    const scheme = (space < 0 ? header : header.slice(0, space)).toLowerCase();
    const value = space < 0 ? '' : header.slice(space + 1).trim();
    if (scheme === 'bearer') {
      if (!value) throw unauthorized('empty bearer token');
      principal = looksLikeJwt(value) ? await consoleSession(options, request, value, 'bearer') : await opaqueToken(options, request, value, undefined);
    } else if (scheme === 'basic') {
      const decoded = Buffer.from(value, 'base64').toString('utf8');
      const colon = decoded.indexOf(':');
      const password = colon < 0 ? '' : decoded.slice(colon + 1);
      // Passwords are for logging in (with 2FA where enabled), never for scripts.
      if (!/^ds[pr]_/.test(password)) throw unauthorized('passwords are not accepted on the API: send a personal access token or robot token (as Bearer, or as the Basic password)', 'invalid_request');
      principal = await opaqueToken(options, request, password, decoded.slice(0, colon));
    } else throw unauthorized(`unsupported authorization scheme "${scheme}": use Bearer`, 'invalid_request');
  } else {
    const cookie = cookieOf(request, SESSION_COOKIES.access);
    if (!cookie) return ANONYMOUS_PRINCIPAL;
    principal = await consoleSession(options, request, cookie, 'cookie');
  }
  const lacking = missingScope(principal, apiScopeFor(request.method));
  if (lacking) throw scopeError(lacking);
  return principal;
}

function scopeError(scope: ApiScope): ApiError {
  return new ApiError('FORBIDDEN', `this token lacks the scope ${scope}`, { requiredScope: scope });
}

/** Refuses a token credential without `scope` (sessions are limited by their user's rights only). */
export function requireScope(principal: Principal, scope: ApiScope): void {
  const lacking = missingScope(principal, scope);
  if (lacking) throw scopeError(lacking);
}

/**
 * Registers the layer in this plugin's scope: every request gets `request.principal()`, which
 * verifies the credential on first call and answers the same principal for the rest of the request.
 */
export function registerAuthLayer(app: FastifyInstance, options: AuthLayerOptions): void {
  if (!app.hasRequestDecorator('principal')) app.decorateRequest('principal', undefined as unknown as FastifyRequest['principal']);
  app.addHook('onRequest', async (request) => {
    // A cross-site form (urlencoded, multipart, text/plain: the only bodies a page elsewhere can
    // send with our cookies) is refused before its body is read; JSON writes are checked on use.
    if (isStateChanging(request.method) && request.headers.authorization === undefined && request.headers[CSRF_HEADER] === undefined && cookieOf(request, SESSION_COOKIES.access)) {
      const type = request.headers['content-type'] ?? '';
      if (!/^application\/(?:[\w.+-]+\+)?json\b/i.test(type)) throw csrfMissing();
    }
    let verified: Promise<Principal> | undefined;
    request.principal = () => (verified ??= authenticate(options, request));
  });
}
