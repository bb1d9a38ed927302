// SQL of namespaces: one per user (named after the username) and one per organization.
import type { Kysely } from '@docksphere/db';
import { escapeLike } from './users.ts';

export type RepositoryCreation = 'owners' | 'members';

export interface NamespaceRow {
  name: string;
  kind: 'user' | 'org';
  user_id: string | null;
  display_name: string;
  description: string;
  repository_creation: RepositoryCreation;
  created_at: Date;
}

export async function findNamespace(db: Kysely<any>, name: string): Promise<NamespaceRow | undefined> {
  return (await db.withSchema('platform').selectFrom('namespaces').selectAll().where('name', '=', name).executeTakeFirst()) as NamespaceRow | undefined;
}

/** Creates the user's namespace unless it exists; false when the name is taken by an organization. */
export async function ensureUserNamespace(db: Kysely<any>, userId: string, username: string): Promise<boolean> {
  const existing = await findNamespace(db, username);
  if (existing) return existing.kind === 'user' && existing.user_id === userId;
  // A user renamed in auth keeps one namespace row: the old one goes with its repositories still on it.
  const inserted = await db
    .withSchema('platform')
    .insertInto('namespaces')
    .values({ name: username, kind: 'user', user_id: userId })
    .onConflict((oc) => oc.doNothing())
    .returning('name')
    .executeTakeFirst();
  return inserted !== undefined;
}

export async function insertOrganization(db: Kysely<any>, org: { name: string; displayName: string; description: string; repositoryCreation: RepositoryCreation }): Promise<boolean> {
  const row = await db
    .withSchema('platform')
    .insertInto('namespaces')
    .values({ name: org.name, kind: 'org', display_name: org.displayName, description: org.description, repository_creation: org.repositoryCreation })
    .onConflict((oc) => oc.column('name').doNothing())
    .returning('name')
    .executeTakeFirst();
  return row !== undefined;
}

export async function updateOrganization(db: Kysely<any>, name: string, change: { displayName?: string | undefined; description?: string | undefined; repositoryCreation?: RepositoryCreation | undefined }): Promise<void> {
  const set: Record<string, unknown> = {};
  if (change.displayName !== undefined) set.display_name = change.displayName;
  if (change.description !== undefined) set.description = change.description;
  if (change.repositoryCreation !== undefined) set.repository_creation = change.repositoryCreation;
  if (Object.keys(set).length === 0) return;
  await db.withSchema('platform').updateTable('namespaces').set(set).where('name', '=', name).execute();
}

export async function deleteNamespace(db: Kysely<any>, name: string): Promise<void> {
  await db.withSchema('platform').deleteFrom('namespaces').where('name', '=', name).execute();
}

export interface OrganizationListRow extends NamespaceRow {
  member_count: number;
  repository_count: number;
}

/** Organizations by name; with memberOf, only those the user belongs to. */
export async function listOrganizations(db: Kysely<any>, options: { memberOf?: string | undefined; name?: string | undefined; q?: string | undefined; after?: string | undefined; limit: number }): Promise<OrganizationListRow[]> {
  let query = db
    .withSchema('platform')
    .selectFrom('namespaces as n')
    .selectAll('n')
    .select((eb) => eb.selectFrom('org_members as m').whereRef('m.organization', '=', 'n.name').select(eb.fn.countAll<number>().as('c')).as('member_count'))
    .select((eb) => eb.selectFrom('repositories as r').whereRef('r.namespace', '=', 'n.name').select(eb.fn.countAll<number>().as('c')).as('repository_count'))
    .where('n.kind', '=', 'org')
    .orderBy('n.name')
    .limit(options.limit + 1);
  if (options.memberOf) query = query.where('n.name', 'in', db.withSchema('platform').selectFrom('org_members').select('organization').where('user_id', '=', options.memberOf));
  if (options.name !== undefined) query = query.where('n.name', '=', options.name);
  if (options.q) query = query.where('n.name', 'like', `%${escapeLike(options.q.toLowerCase())}%`);
  if (options.after !== undefined) query = query.where('n.name', '>', options.after);
  return (await query.execute()) as OrganizationListRow[];
}
