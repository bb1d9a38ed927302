// Removing a user from metadata: their repositories are transferred to another namespace or
// removed, then their namespace, memberships and grants go with the user row.
import type { Kysely } from '@docksphere/db';
import type { EventBatch } from '../routes/http.ts';
import type { NamespaceRow } from '../store/namespaces.ts';
import { findRepository, repositoriesInNamespace } from '../store/repositories.ts';
import { deleteUserRow, type UserRow } from '../store/users.ts';
import { splitRepositoryName } from './names.ts';
import { removeRepository, transferRepository } from './repositories.ts';

export type RepositoryDisposal = { repositories: 'remove' } | { repositories: 'transfer'; to: NamespaceRow };

/** Returns the names that could not be transferred because the target already has them (nothing changed then). */
export async function removeUser(trx: Kysely<any>, events: EventBatch, user: UserRow, disposal: RepositoryDisposal): Promise<{ conflicts: string[] }> {
  const repositories = await repositoriesInNamespace(trx, user.username);
  if (disposal.repositories === 'transfer') {
    const conflicts: string[] = [];
    for (const repo of repositories) {
      const target = `${disposal.to.name}/${splitRepositoryName(repo.name)?.path}`;
      if (await findRepository(trx, target)) conflicts.push(target);
    }
    if (conflicts.length > 0) return { conflicts };
    for (const repo of repositories) await transferRepository(trx, events, repo, disposal.to, `${disposal.to.name}/${splitRepositoryName(repo.name)?.path}`);
  } else {
    for (const repo of repositories) await removeRepository(trx, events, repo);
  }
  await deleteUserRow(trx, user.id);
  events.add('metadata.user.removed', { userId: user.id, username: user.username, repositories: disposal.repositories === 'transfer' ? 'transferred' : 'removed', ...(disposal.repositories === 'transfer' ? { to: disposal.to.name } : {}) });
  return { conflicts: [] };
}
