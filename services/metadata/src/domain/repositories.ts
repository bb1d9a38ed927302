// Creating, transferring and deleting repositories: the rules shared by the API and the push consumer.
import { randomUUID } from 'node:crypto';
import type { Kysely } from '@docksphere/db';
import { deleteRepository, insertRepository, renameRepository, type RepositoryRow, type Visibility } from '../store/repositories.ts';
import { upsertRepositoryGrant } from '../store/grants.ts';
import type { NamespaceRow } from '../store/namespaces.ts';
import type { EventBatch } from '../routes/http.ts';

export interface NewRepository {
  namespace: NamespaceRow;
  name: string;
  visibility: Visibility;
  description: string;
  /** Who creates it: a user (id and name) or, for pushes by robots, only a name. */
  creator: { userId?: string | undefined; name: string };
  via: 'api' | 'push';
}

/**
 * Inserts the repository (no-op when it exists) and emits metadata.repository.created. A creator who
 * does not own the namespace (an organization member) gets admin on what they created.
 */
export async function createRepository(trx: Kysely<any>, events: EventBatch, repo: NewRepository): Promise<{ row: RepositoryRow; created: boolean }> {
  const result = await insertRepository(trx, { id: randomUUID(), namespace: repo.namespace.name, name: repo.name, visibility: repo.visibility, description: repo.description, createdBy: repo.creator.name });
  if (!result.created) return result;
  const ownsNamespace = repo.namespace.kind === 'user' && repo.namespace.user_id === repo.creator.userId;
  if (repo.creator.userId && !ownsNamespace) {
    const isOwner = await trx
      .withSchema('platform')
      .selectFrom('org_members')
      .select('role')
      .where('organization', '=', repo.namespace.name)
      .where('user_id', '=', repo.creator.userId)
      .where('role', '=', 'owner')
      .executeTakeFirst();
    if (!isOwner) {
      await upsertRepositoryGrant(trx, { id: randomUUID(), namespace: repo.namespace.name, repositoryId: result.row.id, userId: repo.creator.userId, level: 'admin', createdBy: repo.creator.name });
    }
  }
  events.add('metadata.repository.created', { repository: repo.name, namespace: repo.namespace.name, visibility: repo.visibility, via: repo.via });
  return result;
}

/** Moves the repository to another namespace; grants of the old namespace (users and its teams) do not travel. */
export async function transferRepository(trx: Kysely<any>, events: EventBatch, repo: RepositoryRow, target: NamespaceRow, newName: string): Promise<void> {
  await trx.withSchema('platform').deleteFrom('grants').where('repository_id', '=', repo.id).where('team_id', 'is not', null).execute();
  await trx.withSchema('platform').updateTable('grants').set({ namespace: target.name }).where('repository_id', '=', repo.id).execute();
  await renameRepository(trx, repo.id, target.name, newName);
  events.add('metadata.repository.transferred', { from: repo.name, to: newName });
}

export async function removeRepository(trx: Kysely<any>, events: EventBatch, repo: RepositoryRow): Promise<void> {
  await deleteRepository(trx, repo.id);
  events.add('metadata.repository.deleted', { repository: repo.name });
}
