// The access a registry token carries: what was asked, intersected with what the identity holds
// and with what the credential (access token, robot) allows. Never more than any of the three.
import { intersectActions, type AccessEntry } from '@docksphere/access';
import type { AccessDecider } from '@docksphere/kit';
import type { CredentialLimits, Subject } from './subject.ts';
import { matchesRepositoryPattern } from './repository-patterns.ts';

function isRepository(type: string): boolean {
  return type === 'repository' || type.startsWith('repository(');
}

/** What a credential's own limits allow on one requested resource. */
function credentialAllows(subject: Subject, limits: CredentialLimits | undefined, entry: AccessEntry): string[] {
  let allowed: string[] = ['*'];
  if (subject.kind === 'robot') {
    if (!isRepository(entry.type) || !subject.repositoryPatterns.some((p) => matchesRepositoryPattern(p, entry.name))) return [];
    allowed = [...subject.actions];
  }
  if (limits) {
    if (isRepository(entry.type)) allowed = intersectActions(allowed, limits.actions);
    // Listing the catalog is a read: an access token with pull may do it if the identity may.
    else if (entry.type === 'registry' && entry.name === 'catalog') allowed = limits.actions.includes('pull') ? allowed : [];
    else allowed = [];
  }
  return allowed;
}

/** The access entries to sign: requested ∩ identity's rights (policy) ∩ credential limits, empties dropped. */
export async function grantAccess(policy: AccessDecider, subject: Subject, limits: CredentialLimits | undefined, requested: AccessEntry[]): Promise<AccessEntry[]> {
  // Anonymous callers are the policy's to judge too: metadata grants them pull on public repositories.
  if (requested.length === 0) return [];
  const decided = await policy.decide(subject, requested);
  const out: AccessEntry[] = [];
  for (const entry of requested) {
    const held = decided.filter((d) => d.type === entry.type && d.name === entry.name).flatMap((d) => d.actions);
    let actions = intersectActions(entry.actions, held);
    // "*" survives only where both sides allow everything; spell out nothing we cannot.
    actions = intersectActions(actions, credentialAllows(subject, limits, entry));
    actions = [...new Set(actions)];
    if (actions.length === 0) continue;
    // Resource classes are deprecated: sign "repository", which registries compare against.
    const type = isRepository(entry.type) ? 'repository' : entry.type;
    const existing = out.find((e) => e.type === type && e.name === entry.name);
    if (existing) existing.actions = [...new Set([...existing.actions, ...actions])];
    else out.push({ type, name: entry.name, actions });
  }
  return out;
}
