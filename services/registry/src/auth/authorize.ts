// Decides whether a request may do what it asks: a verified bearer token whose access claim grants
// every action the request needs, or a 401 challenge naming the scope to ask the token service for.
import { allows, formatScope, type AccessEntry } from '@docksphere/access';
import type { ChallengeConfig } from './challenge.ts';
import { unauthorized } from './challenge.ts';
import type { TokenVerifier } from './verifier.ts';

/** Who is calling and what their token grants ('all' when authentication is off). */
export interface Principal {
  /** The token's sub ("" when the token service issued it anonymously). */
  subject: string;
  access: readonly AccessEntry[] | 'all';
}

export interface Requirement {
  type: 'repository' | 'registry';
  name: string;
  /** Every one of these must be granted. */
  actions: string[];
  /** The actions the challenge asks for (push requests ask "pull,push", as docker does). */
  scopeActions: string[];
  /**
   * Scopes the challenge asks for as well without requiring them: pull on a mount's `from`, so a
   * client that follows the challenge gets a token able to mount (without it the upload falls back to 202).
   */
  optionalScopes?: AccessEntry[];
}

export function principalAllows(p: Principal, type: string, name: string, action: string): boolean {
  return p.access === 'all' || allows(p.access, type, name, action);
}

/** Repository names the principal may pull from (for mounts without `from`), or 'any'. */
export function pullableRepositories(p: Principal): string[] | 'any' {
  if (p.access === 'all') return 'any';
  return p.access.filter((e) => e.type === 'repository' && (e.actions.includes('pull') || e.actions.includes('*'))).map((e) => e.name);
}

/** The challenge's scope attribute: the required scope first, then the optional ones, space-separated (as distribution does). */
function challengeScope(need: Requirement): string {
  const required = formatScope({ type: need.type, name: need.name, actions: need.scopeActions });
  if (!need.optionalScopes || need.optionalScopes.length === 0) return required;
  return [required, ...need.optionalScopes.map(formatScope)].join(' ');
}

const ANONYMOUS_ALL: Principal = { subject: '', access: 'all' };

export class Authorizer {
  constructor(
    private readonly verifier: TokenVerifier | undefined,
    private readonly challenge: ChallengeConfig,
  ) {}

  get enabled(): boolean {
    return this.verifier !== undefined;
  }

  /** Resolves with the caller, or throws UNAUTHORIZED with the right challenge. */
  async authorize(authorization: string | undefined, need: Requirement | undefined): Promise<Principal> {
    if (!this.verifier) return ANONYMOUS_ALL;
    const scope = need ? challengeScope(need) : undefined;
    const neededDetail = need?.actions.map((action) => ({ type: need.type, name: need.name, action }));
    const m = authorization === undefined ? null : /^Bearer\s+([A-Za-z0-9._~+/=-]+)\s*$/i.exec(authorization);
    if (!m) {
      // Missing, Basic, or garbage: a plain challenge (tokens only at /v2).
      const message = authorization === undefined ? 'authentication required' : 'a bearer token is required';
      throw unauthorized(this.challenge, scope, authorization === undefined ? undefined : 'invalid_token', message, neededDetail);
    }
    const result = await this.verifier.verify(m[1] as string);
    if (!result.ok) throw unauthorized(this.challenge, scope, 'invalid_token', result.reason, neededDetail);
    const principal: Principal = { subject: result.claims.sub, access: result.claims.access };
    if (need) {
      for (const action of need.actions) {
        if (!principalAllows(principal, need.type, need.name, action)) {
          throw unauthorized(this.challenge, scope, 'insufficient_scope', `token does not grant ${action} on ${need.type}:${need.name}`, neededDetail);
        }
      }
    }
    return principal;
  }
}
