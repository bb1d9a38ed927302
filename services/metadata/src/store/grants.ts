// SQL of grants: read/write/admin on one repository to a user or team, and namespace-wide team
// grants over a name pattern.
import type { Kysely } from '@docksphere/db';
import type { Level } from '../domain/levels.ts';

export interface GrantRow {
  id: string;
  namespace: string;
  repository_id: string | null;
  pattern: string | null;
  match_exact: string | null;
  match_prefix: string | null;
  user_id: string | null;
  team_id: string | null;
  level: Level;
  created_by: string;
  created_at: Date;
}

/** Grants that can apply to the user on one repository (or, before it exists, on its name in the namespace). */
export async function grantsForUser(db: Kysely<any>, userId: string, teamIds: readonly string[], repositoryId: string | undefined, namespace: string): Promise<GrantRow[]> {
  return (await db
    .withSchema('platform')
    .selectFrom('grants')
    .selectAll()
    .where('namespace', '=', namespace)
    .where((eb) => {
      const mine = teamIds.length > 0 ? eb.or([eb('user_id', '=', userId), eb('team_id', 'in', [...teamIds])]) : eb('user_id', '=', userId);
      const target = repositoryId ? eb.or([eb('repository_id', '=', repositoryId), eb('pattern', 'is not', null)]) : eb('pattern', 'is not', null);
      return eb.and([mine, target]);
    })
    .execute()) as GrantRow[];
}

export async function upsertRepositoryGrant(
  db: Kysely<any>,
  grant: { id: string; namespace: string; repositoryId: string; userId?: string | undefined; teamId?: string | undefined; level: Level; createdBy: string },
): Promise<GrantRow> {
  const existing = await db
    .withSchema('platform')
    .selectFrom('grants')
    .selectAll()
    .where('repository_id', '=', grant.repositoryId)
    .where(grant.userId ? 'user_id' : 'team_id', '=', (grant.userId ?? grant.teamId) as string)
    .executeTakeFirst();
  if (existing) {
    return (await db.withSchema('platform').updateTable('grants').set({ level: grant.level }).where('id', '=', existing.id).returningAll().executeTakeFirstOrThrow()) as GrantRow;
  }
  return (await db
    .withSchema('platform')
    .insertInto('grants')
    .values({ id: grant.id, namespace: grant.namespace, repository_id: grant.repositoryId, user_id: grant.userId ?? null, team_id: grant.teamId ?? null, level: grant.level, created_by: grant.createdBy })
    .returningAll()
    .executeTakeFirstOrThrow()) as GrantRow;
}

export async function upsertPatternGrant(
  db: Kysely<any>,
  grant: { id: string; namespace: string; pattern: string; exact: string | undefined; prefix: string | undefined; teamId: string; level: Level; createdBy: string },
): Promise<GrantRow> {
  return (await db
    .withSchema('platform')
    .insertInto('grants')
    .values({
      id: grant.id,
      namespace: grant.namespace,
      pattern: grant.pattern,
      match_exact: grant.exact ?? null,
      match_prefix: grant.prefix ?? null,
      team_id: grant.teamId,
      level: grant.level,
      created_by: grant.createdBy,
    })
    .onConflict((oc) => oc.columns(['namespace', 'pattern', 'team_id']).where('pattern', 'is not', null).doUpdateSet({ level: grant.level }))
    .returningAll()
    .executeTakeFirstOrThrow()) as GrantRow;
}

export async function findGrant(db: Kysely<any>, id: string): Promise<GrantRow | undefined> {
  return (await db.withSchema('platform').selectFrom('grants').selectAll().where('id', '=', id).executeTakeFirst()) as GrantRow | undefined;
}

export async function deleteGrant(db: Kysely<any>, id: string): Promise<void> {
  await db.withSchema('platform').deleteFrom('grants').where('id', '=', id).execute();
}

export interface GrantListRow extends GrantRow {
  username: string | null;
  team_name: string | null;
  team_organization: string | null;
}

export async function listGrants(db: Kysely<any>, options: { id?: string | undefined; repositoryId?: string | undefined; patternsOf?: string | undefined; after?: string | undefined; limit: number }): Promise<GrantListRow[]> {
  let query = db
    .withSchema('platform')
    .selectFrom('grants as g')
    .leftJoin('users as u', 'u.id', 'g.user_id')
    .leftJoin('teams as t', 't.id', 'g.team_id')
    .selectAll('g')
    .select(['u.username', 't.name as team_name', 't.organization as team_organization'])
    .orderBy('g.id')
    .limit(options.limit + 1);
  if (options.id) query = query.where('g.id', '=', options.id);
  if (options.repositoryId) query = query.where('g.repository_id', '=', options.repositoryId);
  if (options.patternsOf) query = query.where('g.namespace', '=', options.patternsOf).where('g.pattern', 'is not', null);
  if (options.after !== undefined) query = query.where('g.id', '>', options.after);
  return (await query.execute()) as GrantListRow[];
}
