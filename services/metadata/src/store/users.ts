// SQL of the user mirror (what metadata learned about auth's users) and their profiles.
import { sql, type Kysely } from '@docksphere/db';

export interface UserRow {
  id: string;
  username: string;
  admin: boolean;
  disabled: boolean;
  ldap_groups: string[];
  display_name: string;
  bio: string;
  avatar_type: string | null;
  avatar_updated_at: Date | null;
  created_at: Date;
}

const COLUMNS = ['id', 'username', 'admin', 'disabled', 'ldap_groups', 'display_name', 'bio', 'avatar_type', 'avatar_updated_at', 'created_at'] as const;

export async function findUserById(db: Kysely<any>, id: string): Promise<UserRow | undefined> {
  return db.withSchema('platform').selectFrom('users').select(COLUMNS).where('id', '=', id).executeTakeFirst();
}

export async function findUserByUsername(db: Kysely<any>, username: string): Promise<UserRow | undefined> {
  return db.withSchema('platform').selectFrom('users').select(COLUMNS).where('username', '=', username).executeTakeFirst();
}

export interface UserFacts {
  id: string;
  username: string;
  admin?: boolean | undefined;
  disabled?: boolean | undefined;
  ldapGroups?: readonly string[] | undefined;
}

/**
 * Records what an event or a request told us about a user, writing only when something changed
 * (it runs on every token request). A different user that held the username before (deleted in
 * auth, name reused) loses it. Returns the row and whether it was new.
 */
export async function rememberUser(db: Kysely<any>, facts: UserFacts): Promise<{ user: UserRow; created: boolean }> {
  const existing = await findUserById(db, facts.id);
  if (existing) {
    const changes: Record<string, unknown> = {};
    if (existing.username !== facts.username) changes.username = facts.username;
    if (facts.admin !== undefined && existing.admin !== facts.admin) changes.admin = facts.admin;
    if (facts.disabled !== undefined && existing.disabled !== facts.disabled) changes.disabled = facts.disabled;
    if (facts.ldapGroups !== undefined && !sameSet(existing.ldap_groups, facts.ldapGroups)) changes.ldap_groups = [...facts.ldapGroups];
    if (Object.keys(changes).length === 0) return { user: existing, created: false };
    if (changes.username !== undefined) await releaseUsername(db, facts.username, facts.id);
    await db.withSchema('platform').updateTable('users').set({ ...changes, updated_at: sql`now()` }).where('id', '=', facts.id).execute();
    return { user: { ...existing, ...(changes as Partial<UserRow>) }, created: false };
  }
  await releaseUsername(db, facts.username, facts.id);
  const row = await db
    .withSchema('platform')
    .insertInto('users')
    .values({ id: facts.id, username: facts.username, admin: facts.admin ?? false, disabled: facts.disabled ?? false, ldap_groups: [...(facts.ldapGroups ?? [])] })
    .onConflict((oc) => oc.column('id').doNothing())
    .returning(COLUMNS)
    .executeTakeFirst();
  if (!row) return { user: (await findUserById(db, facts.id)) as UserRow, created: false };
  return { user: row, created: true };
}

function sameSet(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((x) => b.includes(x));
}

/** A stale mirror row holding a username auth has given to someone else is renamed out of the way. */
async function releaseUsername(db: Kysely<any>, username: string, newOwnerId: string): Promise<void> {
  await db
    .withSchema('platform')
    .updateTable('users')
    .set({ username: sql`'~' || id` })
    .where('username', '=', username)
    .where('id', '<>', newOwnerId)
    .execute();
}

export async function updateProfile(db: Kysely<any>, id: string, change: { displayName?: string | undefined; bio?: string | undefined }): Promise<void> {
  const set: Record<string, unknown> = { updated_at: sql`now()` };
  if (change.displayName !== undefined) set.display_name = change.displayName;
  if (change.bio !== undefined) set.bio = change.bio;
  await db.withSchema('platform').updateTable('users').set(set).where('id', '=', id).execute();
}

export async function setAvatar(db: Kysely<any>, id: string, avatar: { bytes: Uint8Array; type: string } | undefined): Promise<void> {
  await db
    .withSchema('platform')
    .updateTable('users')
    .set({ avatar: avatar ? Buffer.from(avatar.bytes) : null, avatar_type: avatar?.type ?? null, avatar_updated_at: avatar ? sql`now()` : null })
    .where('id', '=', id)
    .execute();
}

export async function getAvatar(db: Kysely<any>, username: string): Promise<{ bytes: Uint8Array; type: string; updatedAt: Date } | undefined> {
  const row = await db
    .withSchema('platform')
    .selectFrom('users')
    .select(['avatar', 'avatar_type', 'avatar_updated_at'])
    .where('username', '=', username)
    .where('avatar', 'is not', null)
    .executeTakeFirst();
  if (!row) return undefined;
  return { bytes: row.avatar as Uint8Array, type: row.avatar_type as string, updatedAt: new Date(row.avatar_updated_at) };
}

/** Users by username, optionally those whose username or display name contains q. */
export async function listUsers(db: Kysely<any>, options: { q?: string | undefined; after?: string | undefined; limit: number }): Promise<(UserRow & { repository_count: number })[]> {
  let query = db
    .withSchema('platform')
    .selectFrom('users as u')
    .select(COLUMNS.map((c) => `u.${c}` as const))
    .select((eb) => eb.selectFrom('repositories as r').whereRef('r.namespace', '=', 'u.username').select(eb.fn.countAll<number>().as('n')).as('repository_count'))
    .where('u.username', 'not like', '~%')
    .orderBy('u.username')
    .limit(options.limit + 1);
  if (options.q) {
    const like = `%${escapeLike(options.q.toLowerCase())}%`;
    query = query.where((eb) => eb.or([eb('u.username', 'like', like), eb(eb.fn('lower', ['u.display_name']), 'like', like)]));
  }
  if (options.after !== undefined) query = query.where('u.username', '>', options.after);
  return (await query.execute()) as (UserRow & { repository_count: number })[];
}

export function escapeLike(s: string): string {
  return s.replace(/[\\%_]/g, (c) => `\\${c}`);
}

export async function deleteUserRow(db: Kysely<any>, id: string): Promise<void> {
  await db.withSchema('platform').deleteFrom('users').where('id', '=', id).execute();
}
