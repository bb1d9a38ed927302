// Who is calling the hooks API: a console access JWT signed by the auth service (audience
// "docksphere-console"), verified against the auth service's JWKS.
import { createLocalJWKSet, createRemoteJWKSet, jwtVerify, type JSONWebKeySet, type JWTVerifyGetKey } from 'jose';

/** The audience of console access tokens; the same value as CONSOLE_AUDIENCE in @docksphere/auth (services do not import each other). */
export const CONSOLE_AUDIENCE = 'docksphere-console';

export interface ConsoleUser {
  id: string;
  username: string;
  admin: boolean;
}

export interface ConsoleAuthOptions {
  /** The auth service's issuer (config.registry.auth.issuer). */
  issuer: string;
  /** An in-process key set (all-in-one: () => keys.publicJwks()). */
  jwks?: (() => Promise<JSONWebKeySet>) | undefined;
  /** The auth service's JWKS URL (distributed). */
  jwksUrl?: string | undefined;
}

const ALGORITHMS = ['ES256', 'ES384', 'RS256', 'RS384', 'PS256'];
const MAX_TOKEN_LENGTH = 16 * 1024;

export type ConsoleTokenVerifier = (token: string) => Promise<ConsoleUser | undefined>;

export function createConsoleVerifier(options: ConsoleAuthOptions): ConsoleTokenVerifier {
  let getKey: JWTVerifyGetKey;
  if (options.jwks) {
    const load = options.jwks;
    let cached: { set: JSONWebKeySet; getKey: JWTVerifyGetKey } | undefined;
    getKey = async (header, token) => {
      const set = await load();
      if (cached?.set !== set) cached = { set, getKey: createLocalJWKSet(set) };
      return cached.getKey(header, token);
    };
  } else if (options.jwksUrl) {
    const remote = createRemoteJWKSet(new URL(options.jwksUrl), { cacheMaxAge: 10 * 60_000, cooldownDuration: 30_000 });
    getKey = (header, token) => remote(header, token);
  } else throw new Error('console token verification needs jwks or jwksUrl');

  return async (token) => {
    if (token.length > MAX_TOKEN_LENGTH) return undefined;
    try {
      const { payload } = await jwtVerify(token, getKey, { issuer: options.issuer, audience: CONSOLE_AUDIENCE, algorithms: ALGORITHMS, clockTolerance: 30, requiredClaims: ['exp', 'sub'] });
      if (typeof payload.sub !== 'string' || typeof payload.username !== 'string') return undefined;
      return { id: payload.sub, username: payload.username, admin: payload.admin === true };
    } catch {
      return undefined;
    }
  };
}
