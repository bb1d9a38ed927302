// SQL for identity.password_resets: one-time links, stored as a digest, spent atomically.
import { sql, type Kysely } from '@docksphere/db';

export async function insertPasswordReset(db: Kysely<any>, r: { userId: string; tokenHash: string; expiresAt: Date }): Promise<void> {
  await db.withSchema('identity').insertInto('password_resets').values({ id: crypto.randomUUID(), user_id: r.userId, token_hash: r.tokenHash, expires_at: r.expiresAt }).execute();
}

/** Marks the link used and returns its user, only if it was unused and unexpired: a link works once. */
export async function spendPasswordReset(db: Kysely<any>, tokenHash: string): Promise<string | undefined> {
  const row = await db
    .withSchema('identity')
    .updateTable('password_resets')
    .set({ used_at: sql`now()` })
    .where('token_hash', '=', tokenHash)
    .where('used_at', 'is', null)
    .where('expires_at', '>', sql<Date>`now()`)
    .returning('user_id')
    .executeTakeFirst();
  return row?.user_id as string | undefined;
}

/** A completed reset voids the user's other outstanding links. */
export async function voidPasswordResets(db: Kysely<any>, userId: string): Promise<void> {
  await db.withSchema('identity').updateTable('password_resets').set({ used_at: sql`now()` }).where('user_id', '=', userId).where('used_at', 'is', null).execute();
}
