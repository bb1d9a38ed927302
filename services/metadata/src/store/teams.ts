// SQL of teams inside organizations and their members (maintainers manage the team's members).
import type { Kysely } from '@docksphere/db';

export type TeamRole = 'maintainer' | 'member';

export interface TeamRow {
  id: string;
  organization: string;
  name: string;
  description: string;
  ldap_group: string | null;
  created_at: Date;
}

/** Teams the user is in: by membership, or by an LDAP group the team is mapped to. */
export async function teamIdsOfUser(db: Kysely<any>, userId: string, groups: readonly string[]): Promise<string[]> {
  let query = db.withSchema('platform').selectFrom('teams').select('id').where((eb) => {
    const direct = eb('id', 'in', eb.selectFrom('team_members').select('team_id').where('user_id', '=', userId));
    return groups.length > 0 ? eb.or([direct, eb('ldap_group', 'in', [...groups])]) : direct;
  });
  query = query.orderBy('id');
  return (await query.execute()).map((r) => r.id as string);
}

export async function findTeam(db: Kysely<any>, organization: string, name: string): Promise<TeamRow | undefined> {
  return (await db.withSchema('platform').selectFrom('teams').selectAll().where('organization', '=', organization).where('name', '=', name).executeTakeFirst()) as TeamRow | undefined;
}

export async function insertTeam(db: Kysely<any>, team: { id: string; organization: string; name: string; description: string; ldapGroup: string | undefined }): Promise<boolean> {
  const row = await db
    .withSchema('platform')
    .insertInto('teams')
    .values({ id: team.id, organization: team.organization, name: team.name, description: team.description, ldap_group: team.ldapGroup ?? null })
    .onConflict((oc) => oc.columns(['organization', 'name']).doNothing())
    .returning('id')
    .executeTakeFirst();
  return row !== undefined;
}

export async function updateTeam(db: Kysely<any>, id: string, change: { name?: string | undefined; description?: string | undefined; ldapGroup?: string | null | undefined }): Promise<void> {
  const set: Record<string, unknown> = {};
  if (change.name !== undefined) set.name = change.name;
  if (change.description !== undefined) set.description = change.description;
  if (change.ldapGroup !== undefined) set.ldap_group = change.ldapGroup;
  if (Object.keys(set).length === 0) return;
  await db.withSchema('platform').updateTable('teams').set(set).where('id', '=', id).execute();
}

export async function deleteTeam(db: Kysely<any>, id: string): Promise<void> {
  await db.withSchema('platform').deleteFrom('teams').where('id', '=', id).execute();
}

export interface TeamListRow extends TeamRow {
  member_count: number;
}

export async function listTeams(db: Kysely<any>, options: { organization?: string | undefined; ids?: readonly string[] | undefined; after?: readonly [string, string] | undefined; limit: number }): Promise<TeamListRow[]> {
  let query = db
    .withSchema('platform')
    .selectFrom('teams as t')
    .selectAll('t')
    .select((eb) => eb.selectFrom('team_members as m').whereRef('m.team_id', '=', 't.id').select(eb.fn.countAll<number>().as('c')).as('member_count'))
    .orderBy('t.organization')
    .orderBy('t.name')
    .limit(options.limit + 1);
  if (options.organization !== undefined) query = query.where('t.organization', '=', options.organization);
  if (options.ids !== undefined) {
    if (options.ids.length === 0) return [];
    query = query.where('t.id', 'in', [...options.ids]);
  }
  if (options.after) {
    const [org, name] = options.after;
    query = query.where((eb) => eb.or([eb('t.organization', '>', org), eb.and([eb('t.organization', '=', org), eb('t.name', '>', name)])]));
  }
  return (await query.execute()) as TeamListRow[];
}

export async function teamRoleOf(db: Kysely<any>, teamId: string, userId: string): Promise<TeamRole | undefined> {
  const row = await db.withSchema('platform').selectFrom('team_members').select('role').where('team_id', '=', teamId).where('user_id', '=', userId).executeTakeFirst();
  return row?.role as TeamRole | undefined;
}

export async function setTeamMember(db: Kysely<any>, teamId: string, userId: string, role: TeamRole): Promise<void> {
  await db
    .withSchema('platform')
    .insertInto('team_members')
    .values({ team_id: teamId, user_id: userId, role })
    .onConflict((oc) => oc.columns(['team_id', 'user_id']).doUpdateSet({ role }))
    .execute();
}

export async function removeTeamMember(db: Kysely<any>, teamId: string, userId: string): Promise<boolean> {
  const result = await db.withSchema('platform').deleteFrom('team_members').where('team_id', '=', teamId).where('user_id', '=', userId).executeTakeFirst();
  return Number(result.numDeletedRows) > 0;
}

export interface TeamMemberRow {
  user_id: string;
  username: string;
  display_name: string;
  role: TeamRole;
}

export async function listTeamMembers(db: Kysely<any>, teamId: string, after: string | undefined, limit: number): Promise<TeamMemberRow[]> {
  let query = db
    .withSchema('platform')
    .selectFrom('team_members as m')
    .innerJoin('users as u', 'u.id', 'm.user_id')
    .select(['m.user_id', 'u.username', 'u.display_name', 'm.role'])
    .where('m.team_id', '=', teamId)
    .orderBy('u.username')
    .limit(limit + 1);
  if (after !== undefined) query = query.where('u.username', '>', after);
  return (await query.execute()) as TeamMemberRow[];
}
