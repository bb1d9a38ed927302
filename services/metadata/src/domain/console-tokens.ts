// Verifies the console access JWTs the auth service signs (audience "docksphere-console") with the
// keys it publishes, and reads the caller's identity from them.
import { createLocalJWKSet, createRemoteJWKSet, jwtVerify, type JSONWebKeySet, type JWTVerifyGetKey } from 'jose';

/** The auth service's console audience (CONSOLE_AUDIENCE there; services do not import each other). */
export const CONSOLE_AUDIENCE = 'docksphere-console';
const ALGORITHMS = ['ES256', 'ES384', 'RS256', 'RS384', 'PS256'];
const MAX_TOKEN_LENGTH = 16 * 1024;

export interface ConsoleClaims {
  userId: string;
  username: string;
  admin: boolean;
}

export interface ConsoleTokenVerifier {
  /** The identity the token names, or undefined when it is not a valid console token. */
  verify(token: string): Promise<ConsoleClaims | undefined>;
}

export interface ConsoleTokenOptions {
  issuer: string;
  /** In-process key set (all-in-one: () => keys.publicJwks()). */
  jwks?: (() => Promise<JSONWebKeySet>) | undefined;
  /** The auth service's JWKS URL (distributed). */
  jwksUrl?: string | undefined;
}

function keySource(options: ConsoleTokenOptions): JWTVerifyGetKey {
  if (options.jwks) {
    const load = options.jwks;
    let cached: { set: JSONWebKeySet; getKey: JWTVerifyGetKey } | undefined;
    return async (header, token) => {
      const set = await load();
      if (cached?.set !== set) cached = { set, getKey: createLocalJWKSet(set) };
      return cached.getKey(header, token);
    };
  }
  if (options.jwksUrl) return createRemoteJWKSet(new URL(options.jwksUrl), { cacheMaxAge: 10 * 60_000, cooldownDuration: 30_000 });
  throw new Error('console token verification needs jwks or jwksUrl (AUTH_JWKS_URL)');
}

export function createConsoleTokenVerifier(options: ConsoleTokenOptions): ConsoleTokenVerifier {
  const getKey = keySource(options);
  return {
    async verify(token) {
      if (token.length > MAX_TOKEN_LENGTH) return undefined;
      try {
        const { payload } = await jwtVerify(token, getKey, { issuer: options.issuer, audience: CONSOLE_AUDIENCE, algorithms: ALGORITHMS, clockTolerance: 30 });
        if (typeof payload.sub !== 'string' || typeof payload.username !== 'string') return undefined;
        return { userId: payload.sub, username: payload.username, admin: payload.admin === true };
      } catch {
        return undefined;
      }
    },
  };
}
