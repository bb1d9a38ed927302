// SQL for identity.invites: sign-up codes an admin hands out when sign-up is invite-only.
import { sql, type Kysely } from '@docksphere/db';

export async function insertInvite(db: Kysely<any>, i: { codeHash: string; email: string | undefined; createdBy: string; expiresAt: Date }): Promise<string> {
  const id = crypto.randomUUID();
  await db.withSchema('identity').insertInto('invites').values({ id, code_hash: i.codeHash, email: i.email ?? null, created_by: i.createdBy, expires_at: i.expiresAt }).execute();
  return id;
}

/** Spends an invite for a new user; the email must match when the invite names one. */
export async function spendInvite(db: Kysely<any>, codeHash: string, email: string, userId: string): Promise<boolean> {
  const res = await db
    .withSchema('identity')
    .updateTable('invites')
    .set({ used_at: sql`now()`, used_by: userId })
    .where('code_hash', '=', codeHash)
    .where('used_at', 'is', null)
    .where('expires_at', '>', sql<Date>`now()`)
    .where((eb) => eb.or([eb('email', 'is', null), eb(sql`lower(email)`, '=', email.toLowerCase())]))
    .executeTakeFirst();
  return Number(res.numUpdatedRows) === 1;
}
