// SQL for identity.users: accounts, their password hash, admin and disabled flags, 2FA state.
import { sql, type Kysely } from '@docksphere/db';

export interface UserRow {
  id: string;
  username: string;
  email: string;
  display_name: string;
  password_hash: string | null;
  source: 'local' | 'ldap';
  is_admin: boolean;
  disabled: boolean;
  /** The TOTP seed sealed by SecretBox (domain/totp-secrets.ts); plain text only when totp_secret_key_id is null. */
  totp_secret: string | null;
  totp_secret_key_id: string | null;
  totp_enabled: boolean;
  totp_last_step: number | null;
  ldap_groups: string[];
  created_at: Date;
  updated_at: Date;
}

/** What the API shows of a user: never a hash or a secret. */
export interface UserView {
  id: string;
  username: string;
  email: string;
  displayName: string;
  source: 'local' | 'ldap';
  admin: boolean;
  disabled: boolean;
  twoFactorEnabled: boolean;
  createdAt: string;
}

export function userView(u: UserRow): UserView {
  return {
    id: u.id,
    username: u.username,
    email: u.email,
    displayName: u.display_name,
    source: u.source,
    admin: u.is_admin,
    disabled: u.disabled,
    twoFactorEnabled: u.totp_enabled,
    createdAt: new Date(u.created_at).toISOString(),
  };
}

function normalize(row: Record<string, unknown>): UserRow {
  const groups = row.ldap_groups;
  return { ...(row as unknown as UserRow), ldap_groups: typeof groups === 'string' ? (JSON.parse(groups) as string[]) : ((groups as string[]) ?? []) };
}

export async function findUserByUsername(db: Kysely<any>, username: string): Promise<UserRow | undefined> {
  const row = await db.withSchema('identity').selectFrom('users').selectAll().where('username', '=', username.toLowerCase()).executeTakeFirst();
  return row ? normalize(row) : undefined;
}

export async function findUserById(db: Kysely<any>, id: string): Promise<UserRow | undefined> {
  const row = await db.withSchema('identity').selectFrom('users').selectAll().where('id', '=', id).executeTakeFirst();
  return row ? normalize(row) : undefined;
}

export async function findUserByEmail(db: Kysely<any>, email: string): Promise<UserRow | undefined> {
  const row = await db.withSchema('identity').selectFrom('users').selectAll().where(sql`lower(email)`, '=', email.toLowerCase()).executeTakeFirst();
  return row ? normalize(row) : undefined;
}

export async function countUsers(db: Kysely<any>): Promise<number> {
  const row = await db.withSchema('identity').selectFrom('users').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
  return Number(row.n);
}

export async function listUsers(db: Kysely<any>, options: { limit: number; after?: string | undefined }): Promise<UserRow[]> {
  let q = db.withSchema('identity').selectFrom('users').selectAll().orderBy('username').limit(options.limit);
  if (options.after) q = q.where('username', '>', options.after);
  return (await q.execute()).map(normalize);
}

export interface NewUser {
  username: string;
  email: string;
  displayName: string;
  passwordHash: string | null;
  source: 'local' | 'ldap';
  admin: boolean;
  ldapGroups?: string[];
}

export type CreateUserResult = { created: true; user: UserRow } | { created: false; conflict: 'username' | 'email' };

/** Inserts a user; a taken username or email is an expected outcome, not an exception. */
export async function insertUser(db: Kysely<any>, u: NewUser): Promise<CreateUserResult> {
  const taken = await db
    .withSchema('identity')
    .selectFrom('users')
    .select(['username', 'email'])
    .where((eb) => eb.or([eb('username', '=', u.username), eb(sql`lower(email)`, '=', u.email.toLowerCase())]))
    .execute();
  if (taken.some((r) => r.username === u.username)) return { created: false, conflict: 'username' };
  if (taken.length > 0) return { created: false, conflict: 'email' };
  const row = await db
    .withSchema('identity')
    .insertInto('users')
    .values({
      id: crypto.randomUUID(),
      username: u.username,
      email: u.email,
      display_name: u.displayName,
      password_hash: u.passwordHash,
      source: u.source,
      is_admin: u.admin,
      ldap_groups: JSON.stringify(u.ldapGroups ?? []),
    })
    .returningAll()
    .executeTakeFirstOrThrow();
  return { created: true, user: normalize(row) };
}

export async function updateUser(
  db: Kysely<any>,
  id: string,
  changes: Partial<{
    email: string;
    display_name: string;
    password_hash: string | null;
    is_admin: boolean;
    disabled: boolean;
    totp_secret: string | null;
    totp_secret_key_id: string | null;
    totp_enabled: boolean;
    totp_last_step: number | null;
    ldap_groups: string[];
  }>,
): Promise<void> {
  const values: Record<string, unknown> = { ...changes, updated_at: sql`now()` };
  if (changes.ldap_groups) values.ldap_groups = JSON.stringify(changes.ldap_groups);
  await db.withSchema('identity').updateTable('users').set(values).where('id', '=', id).execute();
}

/** Records a used TOTP step only if it is newer than the last one: a code works once. */
export async function claimTotpStep(db: Kysely<any>, id: string, step: number): Promise<boolean> {
  const res = await db
    .withSchema('identity')
    .updateTable('users')
    .set({ totp_last_step: step })
    .where('id', '=', id)
    .where((eb) => eb.or([eb('totp_last_step', 'is', null), eb('totp_last_step', '<', step)]))
    .executeTakeFirst();
  return Number(res.numUpdatedRows) === 1;
}

/** Deletes an account: its sessions, tokens and codes go by cascade, its namespace's robots here. */
export async function deleteUserAccount(db: Kysely<any>, user: { id: string; username: string }): Promise<void> {
  await db.withSchema('identity').deleteFrom('robots').where('namespace', '=', user.username).execute();
  await db.withSchema('identity').deleteFrom('users').where('id', '=', user.id).execute();
}

/** TOTP seeds not sealed with the current key (plain text from before encryption, or an older key). */
export async function listUnsealedTotpSecrets(db: Kysely<any>, currentKeyId: string): Promise<{ id: string; totp_secret: string; totp_secret_key_id: string | null }[]> {
  return db
    .withSchema('identity')
    .selectFrom('users')
    .select(['id', 'totp_secret', 'totp_secret_key_id'])
    .where('totp_secret', 'is not', null)
    .where((eb) => eb.or([eb('totp_secret_key_id', 'is', null), eb('totp_secret_key_id', '!=', currentKeyId)]))
    .execute();
}

/** Replaces a stored seed only if it is still the one read (a concurrent enrolment or replica may have won). */
export async function replaceSealedTotpSecret(db: Kysely<any>, id: string, previous: string, sealed: { ciphertext: string; keyId: string }): Promise<boolean> {
  const result = await db
    .withSchema('identity')
    .updateTable('users')
    .set({ totp_secret: sealed.ciphertext, totp_secret_key_id: sealed.keyId })
    .where('id', '=', id)
    .where('totp_secret', '=', previous)
    .executeTakeFirst();
  return Number(result.numUpdatedRows) > 0;
}
