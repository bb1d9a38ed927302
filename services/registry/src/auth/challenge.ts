// The WWW-Authenticate challenge a 401 carries (Docker token spec, token.md): where to get a token,
// for which service, and the scope this request needs.
import { RegistryError } from '@docksphere/oci';

export interface ChallengeConfig {
  realm: string;
  service: string;
}

function quoted(v: string): string {
  return v.replace(/["\\]/g, '');
}

export function challengeHeader(cfg: ChallengeConfig, scope: string | undefined, error?: 'invalid_token' | 'insufficient_scope'): string {
  let h = `Bearer realm="${quoted(cfg.realm)}",service="${quoted(cfg.service)}"`;
  if (scope !== undefined) h += `,scope="${quoted(scope)}"`;
  if (error !== undefined) h += `,error="${error}"`;
  return h;
}

/** UNAUTHORIZED with the challenge; detail lists the access the request needed (as distribution does). */
export function unauthorized(
  cfg: ChallengeConfig,
  scope: string | undefined,
  error: 'invalid_token' | 'insufficient_scope' | undefined,
  message: string,
  needed?: { type: string; name: string; action: string }[],
): RegistryError {
  return new RegistryError('UNAUTHORIZED', message, needed, {
    headers: { 'www-authenticate': challengeHeader(cfg, scope, error), 'docker-distribution-api-version': 'registry/2.0' },
  });
}
