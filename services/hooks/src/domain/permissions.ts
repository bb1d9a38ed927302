// Who administers what, for reading audit entries and managing webhooks: site admins everything;
// otherwise the metadata service decides (POST /internal/access), or, without it, the built-in
// rule that a user administers their own namespace.
import type { ConsoleUser } from './console-auth.ts';

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

interface AccessEntry {
  type: string;
  name: string;
  actions: string[];
}

/**
 * Asks metadata's POST /internal/access (as the auth service's HttpAccessPolicy does). Repository
 * admin = holds "delete" (metadata: admin = pull, push and delete) or "*" on repository:<name>;
 * namespace admin = holds "admin" or "*" on namespace:<name>. A failure is an error (503), never a grant.
 */
export class MetadataAdminPolicy implements AdminPolicy {
  constructor(
    private readonly metadataUrl: string,
    private readonly internalSecret: string | undefined,
    private readonly timeoutMs = 5000,
  ) {}

  async isRepositoryAdmin(user: ConsoleUser, repository: string): Promise<boolean> {
    if (user.admin) return true;
    const granted = await this.ask(user, { type: 'repository', name: repository, actions: ['delete'] });
    return granted.some((e) => e.type === 'repository' && e.name === repository && (e.actions.includes('delete') || e.actions.includes('*')));
  }

  async isNamespaceAdmin(user: ConsoleUser, namespace: string): Promise<boolean> {
    if (user.admin) return true;
    const granted = await this.ask(user, { type: 'namespace', name: namespace, actions: ['admin'] });
    return granted.some((e) => e.type === 'namespace' && e.name === namespace && (e.actions.includes('admin') || e.actions.includes('*')));
  }

  private async ask(user: ConsoleUser, requested: AccessEntry): Promise<AccessEntry[]> {
    const res = await fetch(new URL('/internal/access', this.metadataUrl), {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(this.internalSecret ? { 'x-internal-secret': this.internalSecret } : {}) },
      body: JSON.stringify({ subject: { kind: 'user', id: user.id, username: user.username, admin: user.admin, groups: [] }, requested: [requested] }),
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
