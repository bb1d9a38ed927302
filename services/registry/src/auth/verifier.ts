// Verifies registry bearer tokens (Docker token spec, jwt.md): signature by a trusted key with an
// asymmetric algorithm, iss, aud, exp/nbf with a little clock skew, and a well-formed access claim.
// Verified tokens are cached until they expire so verification stays off the hot path.
import { errors as joseErrors, jwtVerify, type JSONWebKeySet, type JWTPayload } from 'jose';
import { authKeySource, SIGNING_ALGORITHMS } from '@docksphere/kit';
import type { AccessEntry, RegistryTokenClaims } from '@docksphere/access';
import { Lru } from '../domain/lru.ts';

export type TokenVerification = { ok: true; claims: RegistryTokenClaims } | { ok: false; reason: string };

export interface TokenVerifier {
  verify(token: string): Promise<TokenVerification>;
}

export interface TokenVerifierOptions {
  issuer: string;
  /** The registry's service name: tokens must name it in aud. */
  audience: string;
  /** The auth service's JWKS endpoint (distributed mode); fetched, cached and refreshed on unknown kid. */
  jwksUrl?: string | undefined;
  /** A PEM public key or certificate file. */
  publicKeyFile?: string | undefined;
  /** An in-process key set (all-in-one). */
  jwks?: (() => Promise<JSONWebKeySet>) | undefined;
  /** Most verified tokens kept in the cache. */
  cacheSize?: number;
}

/** Asymmetric algorithms only: "none" and HS* (which would let a public key act as a shared secret) are refused. */
export const ALLOWED_ALGORITHMS = SIGNING_ALGORITHMS;
const CLOCK_SKEW_SECONDS = 30;
const MAX_TOKEN_LENGTH = 16 * 1024;

function readAccess(v: unknown): AccessEntry[] | undefined {
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v) || v.length > 1000) return undefined;
  const out: AccessEntry[] = [];
  for (const e of v) {
    if (typeof e !== 'object' || e === null) return undefined;
    const { type, name, actions } = e as Record<string, unknown>;
    if (typeof type !== 'string' || typeof name !== 'string') return undefined;
    if (!Array.isArray(actions) || !actions.every((a) => typeof a === 'string')) return undefined;
    out.push({ type, name, actions: actions as string[] });
  }
  return out;
}

function reasonOf(err: unknown): string {
  if (err instanceof joseErrors.JWTExpired) return 'token expired';
  if (err instanceof joseErrors.JWTClaimValidationFailed) return `token claim "${err.claim}" invalid: ${err.reason}`;
  if (err instanceof joseErrors.JOSEAlgNotAllowed) return 'token signing algorithm not allowed';
  if (err instanceof joseErrors.JWSSignatureVerificationFailed) return 'token signature invalid';
  if (err instanceof joseErrors.JWKSNoMatchingKey) return 'token signed by an unknown key';
  if (err instanceof joseErrors.JOSEError) return `token invalid (${err.code})`;
  return 'token could not be verified';
}

export function createTokenVerifier(opts: TokenVerifierOptions): TokenVerifier {
  const getKey = authKeySource(opts);
  const cache = new Lru<string, RegistryTokenClaims>({ maxEntries: opts.cacheSize ?? 10_000 });
  return {
    async verify(token) {
      const now = Date.now();
      const hit = cache.get(token, now);
      if (hit) {
        // nbf may still be ahead for a token cached right after issue; exp is the cache expiry.
        if (hit.nbf !== undefined && hit.nbf > now / 1000 + CLOCK_SKEW_SECONDS) return { ok: false, reason: 'token not yet valid' };
        return { ok: true, claims: hit };
      }
      if (token.length > MAX_TOKEN_LENGTH) return { ok: false, reason: 'token too long' };
      let payload: JWTPayload;
      try {
        ({ payload } = await jwtVerify(token, getKey, {
          issuer: opts.issuer,
          audience: opts.audience,
          algorithms: [...ALLOWED_ALGORITHMS],
          clockTolerance: CLOCK_SKEW_SECONDS,
          requiredClaims: ['exp'],
        }));
      } catch (err) {
        return { ok: false, reason: reasonOf(err) };
      }
      const access = readAccess(payload.access);
      if (!access) return { ok: false, reason: 'token access claim malformed' };
      if (payload.sub !== undefined && typeof payload.sub !== 'string') return { ok: false, reason: 'token sub claim malformed' };
      const claims: RegistryTokenClaims = {
        iss: payload.iss as string,
        sub: payload.sub ?? '',
        aud: payload.aud as string | string[],
        exp: payload.exp as number,
        ...(payload.nbf !== undefined ? { nbf: payload.nbf } : {}),
        ...(payload.iat !== undefined ? { iat: payload.iat } : {}),
        ...(payload.jti !== undefined ? { jti: payload.jti } : {}),
        access,
      };
      cache.set(token, claims, (claims.exp + CLOCK_SKEW_SECONDS) * 1000);
      return { ok: true, claims };
    },
  };
}
