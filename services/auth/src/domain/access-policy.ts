// Which actions an identity holds on the resources it asks for. The metadata service decides
// (POST /internal/access); until it runs, the built-in rule: own namespace, admin everywhere.
import type { AccessEntry } from '@docksphere/access';
import type { Subject } from './subject.ts';
import { matchesRepositoryPattern } from './repository-patterns.ts';

export interface AccessPolicy {
  /** The actions the subject holds on each requested resource (may hold more than asked: callers intersect). */
  decide(subject: Subject, requested: AccessEntry[]): Promise<AccessEntry[]>;
}

/** Actions a namespace owner holds on its own repositories. */
export const OWNER_ACTIONS = ['pull', 'push', 'delete'] as const;

/** LDAP group grants: group (team) name -> repository pattern -> actions. */
export interface GroupGrant {
  group: string;
  pattern: string;
  actions: string[];
}

/** Parses "dev=foo/img/*:pull,push;ops=*:pull" (LDAP_GROUP_GRANTS). */
export function parseGroupGrants(text: string | undefined): GroupGrant[] {
  if (!text) return [];
  const grants: GroupGrant[] = [];
  for (const part of text.split(';').map((p) => p.trim()).filter(Boolean)) {
    const m = /^([^=]+)=([^:]+):([a-z,*]+)$/.exec(part);
    if (!m) throw new Error(`LDAP_GROUP_GRANTS: cannot read "${part}" (expected group=pattern:actions)`);
    grants.push({ group: m[1]!.trim(), pattern: m[2]!.trim(), actions: m[3]!.split(',').filter(Boolean) });
  }
  return grants;
}

function isRepository(type: string): boolean {
  // "repository(plugin)" is the same resource as "repository" (resource classes are deprecated).
  return type === 'repository' || type.startsWith('repository(');
}

/** The built-in rule used until the metadata service decides. */
export class BuiltinAccessPolicy implements AccessPolicy {
  constructor(private readonly groupGrants: readonly GroupGrant[] = []) {}

  async decide(subject: Subject, requested: AccessEntry[]): Promise<AccessEntry[]> {
    if (subject.kind === 'anonymous') return [];
    const out: AccessEntry[] = [];
    for (const entry of requested) {
      const actions = new Set<string>();
      if (subject.kind === 'user' && subject.admin) {
        actions.add('*');
      } else if (isRepository(entry.type)) {
        const namespace = subject.kind === 'user' ? subject.username : subject.namespace;
        if (entry.name.startsWith(`${namespace}/`)) for (const a of OWNER_ACTIONS) actions.add(a);
        if (subject.kind === 'user') {
          for (const g of this.groupGrants) {
            if (subject.groups.includes(g.group) && matchesRepositoryPattern(g.pattern, entry.name)) for (const a of g.actions) actions.add(a);
          }
        }
      }
      if (actions.size > 0) out.push({ type: entry.type, name: entry.name, actions: [...actions] });
    }
    return out;
  }
}

/** Asks the metadata service; a failure is an error (the token endpoint answers 503), never a grant. */
export class HttpAccessPolicy implements AccessPolicy {
  constructor(
    private readonly metadataUrl: string,
    private readonly internalSecret: string | undefined,
    private readonly timeoutMs = 5000,
  ) {}

  async decide(subject: Subject, requested: AccessEntry[]): Promise<AccessEntry[]> {
    if (requested.length === 0) return [];
    const res = await fetch(new URL('/internal/access', this.metadataUrl), {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(this.internalSecret ? { 'x-internal-secret': this.internalSecret } : {}) },
      body: JSON.stringify({ subject, requested }),
      signal: AbortSignal.timeout(this.timeoutMs),
    });
    if (!res.ok) throw new Error(`metadata /internal/access answered ${res.status}`);
    const body = (await res.json()) as { granted?: unknown };
    if (!Array.isArray(body.granted)) throw new Error('metadata /internal/access answered without a granted list');
    return body.granted.filter(
      (e): e is AccessEntry =>
        typeof e === 'object' && e !== null && typeof e.type === 'string' && typeof e.name === 'string' && Array.isArray(e.actions) && e.actions.every((a: unknown) => typeof a === 'string'),
    );
  }
}
