// Who administers what, for reading audit entries and managing webhooks: site admins everything;
// otherwise the metadata service decides (POST /internal/access), or, without it, the built-in
// rule that a user administers their own namespace.
import type { Subject } from '@docksphere/access';
import type { AccessDecider } from '@docksphere/kit';

/** A signed-in user, as the auth layer verified them (with their LDAP groups). */
export type ConsoleUser = Extract<Subject, { kind: 'user' }>;

export interface AdminPolicy {
  /** Whether the user may read the repository's audit entries and manage its webhooks (admin on it). */
  isRepositoryAdmin(user: ConsoleUser, repository: string): Promise<boolean>;
  /** Whether the user may manage the namespace's webhooks and read its entries. */
  isNamespaceAdmin(user: ConsoleUser, namespace: string): Promise<boolean>;
}

function namespaceOf(repository: string): string {
  const slash = repository.indexOf('/');
  return slash < 0 ? repository : repository.slice(0, slash);
}

/** The rule used without a metadata service: a user administers the namespace named after them. */
export class OwnNamespacePolicy implements AdminPolicy {
  async isRepositoryAdmin(user: ConsoleUser, repository: string): Promise<boolean> {
    return user.admin || namespaceOf(repository) === user.username;
  }
  async isNamespaceAdmin(user: ConsoleUser, namespace: string): Promise<boolean> {
    return user.admin || namespace === user.username;
  }
}

/**
 * Asks metadata's permission model (POST /internal/access in the distributed mode, in-process in
 * the all-in-one) with the user's real LDAP groups. Repository admin = holds "delete" (metadata:
 * admin = pull, push and delete) or "*" on repository:<name>; namespace admin = holds "admin" or "*"
 * on namespace:<name>. A failure is an error (503), never a grant.
 */
export class MetadataAdminPolicy implements AdminPolicy {
  constructor(private readonly decider: AccessDecider) {}

  async isRepositoryAdmin(user: ConsoleUser, repository: string): Promise<boolean> {
    if (user.admin) return true;
    const granted = await this.decider.decide(user, [{ type: 'repository', name: repository, actions: ['delete'] }]);
    return granted.some((e) => e.type === 'repository' && e.name === repository && (e.actions.includes('delete') || e.actions.includes('*')));
  }

  async isNamespaceAdmin(user: ConsoleUser, namespace: string): Promise<boolean> {
    if (user.admin) return true;
    const granted = await this.decider.decide(user, [{ type: 'namespace', name: namespace, actions: ['admin'] }]);
    return granted.some((e) => e.type === 'namespace' && e.name === namespace && (e.actions.includes('admin') || e.actions.includes('*')));
  }
}
