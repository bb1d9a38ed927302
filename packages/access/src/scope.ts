// The Docker token scope grammar ("repository:team/app:pull,push") and the claims a registry
// token carries (the Docker token spec's "access" claim). Pure: no I/O.

/** One entry of a token's access claim, or one requested scope. */
export interface AccessEntry {
  /** "repository", "registry" (for "catalog"), or "repository(plugin)"-style typed resources. */
  type: string;
  name: string;
  actions: string[];
}

/** Claims of a registry bearer token, as the auth service signs them. */
export interface RegistryTokenClaims {
  iss: string;
  sub: string;
  aud: string | string[];
  exp: number;
  nbf?: number;
  iat?: number;
  jti?: string;
  access: AccessEntry[];
}

const TYPE = /^[a-z0-9]+(?:\([a-z0-9]+\))?$/;
const ACTION = /^(?:[a-z]+|\*)$/;

/**
 * Parses one scope: "type:name:actions". The name may itself hold a colon (a registry host
 * with a port), so type is up to the first colon and actions after the last one.
 */
export function parseScope(scope: string): AccessEntry | undefined {
  const first = scope.indexOf(':');
  const last = scope.lastIndexOf(':');
  if (first <= 0 || last === first) return undefined;
  const type = scope.slice(0, first);
  const name = scope.slice(first + 1, last);
  const actions = scope.slice(last + 1).split(',').filter((a) => a.length > 0);
  if (!TYPE.test(type) || name.length === 0 || name.length > 255) return undefined;
  if (!actions.every((a) => ACTION.test(a))) return undefined;
  return { type, name, actions: [...new Set(actions)] };
}

/** Parses a space-separated list of scopes (several `scope` parameters are joined the same way). */
export function parseScopes(scopes: readonly string[]): AccessEntry[] | undefined {
  const out: AccessEntry[] = [];
  for (const raw of scopes.flatMap((s) => s.split(' ')).filter(Boolean)) {
    const entry = parseScope(raw);
    if (!entry) return undefined;
    out.push(entry);
  }
  return out;
}

export function formatScope(entry: AccessEntry): string {
  return `${entry.type}:${entry.name}:${entry.actions.join(',')}`;
}

/** The actions the access entries grant on one resource ("*" grants every action). */
export function grantedActions(access: readonly AccessEntry[], type: string, name: string): Set<string> {
  const out = new Set<string>();
  for (const e of access) {
    if (e.type !== type || e.name !== name) continue;
    for (const a of e.actions) out.add(a);
  }
  return out;
}

export function allows(access: readonly AccessEntry[], type: string, name: string, action: string): boolean {
  const granted = grantedActions(access, type, name);
  return granted.has(action) || granted.has('*');
}

/** Actions present in both lists ("*" on either side stands for the other side's actions). */
export function intersectActions(requested: readonly string[], permitted: readonly string[]): string[] {
  if (permitted.includes('*')) return [...requested];
  if (requested.includes('*')) return [...permitted];
  return requested.filter((a) => permitted.includes(a));
}
