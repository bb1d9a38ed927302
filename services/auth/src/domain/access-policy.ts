// Which actions an identity holds on the resources it asks for. The metadata service decides
// (POST /internal/access, through @docksphere/kit's httpAccessDecider); without it, the built-in
// rule: own namespace, admin everywhere.
import type { AccessEntry, Subject } from '@docksphere/access';
import type { AccessDecider } from '@docksphere/kit';
import { matchesRepositoryPattern } from './repository-patterns.ts';

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
export class BuiltinAccessPolicy implements AccessDecider {
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
