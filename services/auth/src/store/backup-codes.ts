// SQL for identity.backup_codes: 2FA recovery codes, stored as digests, each usable once.
import { sql, type Kysely } from '@docksphere/db';

export async function replaceBackupCodes(db: Kysely<any>, userId: string, codeHashes: string[]): Promise<void> {
  await db.withSchema('identity').deleteFrom('backup_codes').where('user_id', '=', userId).execute();
  if (codeHashes.length === 0) return;
  await db
    .withSchema('identity')
    .insertInto('backup_codes')
    .values(codeHashes.map((h) => ({ id: crypto.randomUUID(), user_id: userId, code_hash: h })))
    .execute();
}

/** Spends a matching unused code; true when one was spent. */
export async function spendBackupCode(db: Kysely<any>, userId: string, codeHash: string): Promise<boolean> {
  const res = await db
    .withSchema('identity')
    .updateTable('backup_codes')
    .set({ used_at: sql`now()` })
    .where('user_id', '=', userId)
    .where('code_hash', '=', codeHash)
    .where('used_at', 'is', null)
    .executeTakeFirst();
  return Number(res.numUpdatedRows) === 1;
}

export async function countUnusedBackupCodes(db: Kysely<any>, userId: string): Promise<number> {
  const row = await db
    .withSchema('identity')
    .selectFrom('backup_codes')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('user_id', '=', userId)
    .where('used_at', 'is', null)
    .executeTakeFirstOrThrow();
  return Number(row.n);
}
