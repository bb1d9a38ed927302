// SQL of organization membership: owners administer the organization and all its repositories.
import type { Kysely } from '@docksphere/db';

export type OrgRole = 'owner' | 'member';

export async function orgRolesOfUser(db: Kysely<any>, userId: string): Promise<Map<string, OrgRole>> {
  const rows = await db.withSchema('platform').selectFrom('org_members').select(['organization', 'role']).where('user_id', '=', userId).execute();
  return new Map(rows.map((r) => [r.organization as string, r.role as OrgRole]));
}

export async function setOrgMember(db: Kysely<any>, organization: string, userId: string, role: OrgRole): Promise<void> {
  await db
    .withSchema('platform')
    .insertInto('org_members')
    .values({ organization, user_id: userId, role })
    .onConflict((oc) => oc.columns(['organization', 'user_id']).doUpdateSet({ role }))
    .execute();
}

/** Removes the member and their team memberships in the organization; false when they were not a member. */
export async function removeOrgMember(db: Kysely<any>, organization: string, userId: string): Promise<boolean> {
  await db
    .withSchema('platform')
    .deleteFrom('team_members')
    .where('user_id', '=', userId)
    .where('team_id', 'in', db.withSchema('platform').selectFrom('teams').select('id').where('organization', '=', organization))
    .execute();
  const result = await db.withSchema('platform').deleteFrom('org_members').where('organization', '=', organization).where('user_id', '=', userId).executeTakeFirst();
  return Number(result.numDeletedRows) > 0;
}

export async function countOwners(db: Kysely<any>, organization: string): Promise<number> {
  const row = await db
    .withSchema('platform')
    .selectFrom('org_members')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('organization', '=', organization)
    .where('role', '=', 'owner')
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

export interface MemberRow {
  user_id: string;
  username: string;
  display_name: string;
  role: OrgRole;
  created_at: Date;
}

export async function listOrgMembers(db: Kysely<any>, organization: string, after: string | undefined, limit: number): Promise<MemberRow[]> {
  let query = db
    .withSchema('platform')
    .selectFrom('org_members as m')
    .innerJoin('users as u', 'u.id', 'm.user_id')
    .select(['m.user_id', 'u.username', 'u.display_name', 'm.role', 'm.created_at'])
    .where('m.organization', '=', organization)
    .orderBy('u.username')
    .limit(limit + 1);
  if (after !== undefined) query = query.where('u.username', '>', after);
  return (await query.execute()) as MemberRow[];
}
