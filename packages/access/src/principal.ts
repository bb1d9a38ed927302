// Who calls the platform API (/api/*): the subject a credential proves, the credential itself and
// what it is limited to, the console's cookie and header names, and the API scopes. Pure, no I/O:
// the auth service issues these, every service's auth layer reads them.

/** Audience of console access JWTs, distinct from the registry's so neither is accepted by the other. */
export const CONSOLE_AUDIENCE = 'docksphere-console';

/** The console session cookies the auth service sets. */
export const SESSION_COOKIES = {
  /** The short-lived console access JWT (HttpOnly, SameSite=Lax). */
  access: 'ds_access',
  /** "<session id>.<secret>", sent only to the session endpoints (HttpOnly, SameSite=Strict). */
  refresh: 'ds_refresh',
  /** The CSRF secret the console's script echoes in CSRF_HEADER (readable, SameSite=Strict). */
  csrf: 'ds_csrf',
} as const;

/** Double-submit CSRF header: cookie-authenticated writes must carry the CSRF cookie's value. */
export const CSRF_HEADER = 'x-csrf-token';

/** A request the console makes on its own (polling): it does not count as activity for the idle timeout. */
export const BACKGROUND_HEADER = 'x-docksphere-background';

/** Scopes a personal access token or robot token may hold on the registry (/v2 via /auth/token). */
export const REPOSITORY_SCOPES = ['pull', 'push', 'delete'] as const;
/**
 * Scopes for the platform API: api:read lists and reads, api:write also changes (implies
 * api:read), admin uses the site-admin API when the owner is a site admin (implies both).
 */
export const API_SCOPES = ['api:read', 'api:write', 'admin'] as const;
export const TOKEN_SCOPES = [...REPOSITORY_SCOPES, ...API_SCOPES] as const;

export type RepositoryScope = (typeof REPOSITORY_SCOPES)[number];
export type ApiScope = (typeof API_SCOPES)[number];
export type TokenScope = (typeof TOKEN_SCOPES)[number];

/** The wire type of a subject, as sent to metadata's POST /internal/access. */
export type Subject =
  | { kind: 'anonymous' }
  | { kind: 'user'; id: string; username: string; admin: boolean; /** LDAP groups (team names). */ groups: string[] }
  | { kind: 'robot'; id: string; namespace: string; name: string; repositoryPatterns: string[]; actions: string[] };

/** The credential a request carried. */
export type Credential =
  | { kind: 'none' }
  | { kind: 'session'; sessionId: string; via: 'cookie' | 'bearer' }
  | { kind: 'access-token'; tokenId: string; scopes: string[] }
  | { kind: 'robot-token'; robotId: string; scopes: string[] };

export interface Principal {
  subject: Subject;
  credential: Credential;
}

export const ANONYMOUS_PRINCIPAL: Principal = { subject: { kind: 'anonymous' }, credential: { kind: 'none' } };

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/** Whether a request with this method may change state (and so needs CSRF proof and api:write). */
export function isStateChanging(method: string): boolean {
  return !SAFE_METHODS.has(method.toUpperCase());
}

/** The API scope a request with this method needs from a token. */
export function apiScopeFor(method: string): ApiScope {
  return isStateChanging(method) ? 'api:write' : 'api:read';
}

const IMPLIED: Record<ApiScope, readonly ApiScope[]> = {
  'api:read': ['api:read', 'api:write', 'admin'],
  'api:write': ['api:write', 'admin'],
  admin: ['admin'],
};

/**
 * The API scope the principal's credential lacks for `needed`, or undefined when it has it.
 * Sessions and anonymous callers are not limited by scopes (their subject's rights apply).
 */
export function missingScope(principal: Principal, needed: ApiScope): ApiScope | undefined {
  const c = principal.credential;
  if (c.kind !== 'access-token' && c.kind !== 'robot-token') return undefined;
  return IMPLIED[needed].some((s) => c.scopes.includes(s)) ? undefined : needed;
}

/** An actor as audit entries and webhook payloads show it. */
export interface ActorName {
  /** "user:<id>", "robot:<id>", "token:<id>" (a credential acting alone), "anonymous" or "system". */
  subject: string;
  /** The display name: a username, "namespace+robot". */
  name?: string;
}

/** The actor of the principal's changes. */
export function actorOf(principal: Principal): ActorName {
  const s = principal.subject;
  if (s.kind === 'anonymous') return { subject: 'anonymous' };
  if (s.kind === 'user') return { subject: `user:${s.id}`, name: s.username };
  return { subject: `robot:${s.id}`, name: `${s.namespace}+${s.name}` };
}

/** How a console session ended or why it is not usable; a live session names its user. */
export type SessionState =
  | { status: 'live'; user: Extract<Subject, { kind: 'user' }> }
  | { status: 'expired' | 'idle' | 'revoked' | 'unknown' | 'disabled' };

/** What an opaque token (personal access token, robot token) resolves to. */
export type TokenState = { status: 'valid'; principal: Principal } | { status: 'unknown' | 'revoked' | 'expired' | 'disabled' };

/** The message a caller sees for a session that is not live. */
export function sessionProblem(status: Exclude<SessionState['status'], 'live'>): string {
  switch (status) {
    case 'idle':
      return 'session ended after inactivity: log in again';
    case 'revoked':
      return 'session was logged out: log in again';
    case 'disabled':
      return 'this account is disabled';
    case 'unknown':
      return 'no such session: log in again';
    default:
      return 'session expired: log in again';
  }
}

/** The message a caller sees for a token that does not resolve. */
export function tokenProblem(status: Exclude<TokenState['status'], 'valid'>): string {
  switch (status) {
    case 'revoked':
      return 'this token was revoked';
    case 'expired':
      return 'this token expired';
    case 'disabled':
      return 'the account of this token is disabled';
    default:
      return 'unknown token';
  }
}
