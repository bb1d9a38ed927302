// SQL for identity.sessions: console logins, each with a rotating refresh secret and a CSRF secret.
import { sql, type Kysely } from '@docksphere/db';

export interface SessionRow {
  id: string;
  user_id: string;
  refresh_hash: string;
  previous_refresh_hash: string | null;
  csrf_hash: string;
  ip: string | null;
  user_agent: string | null;
  created_at: Date;
  last_used_at: Date;
  expires_at: Date;
  revoked_at: Date | null;
}

export async function insertSession(
  db: Kysely<any>,
  s: { id: string; userId: string; refreshHash: string; csrfHash: string; ip: string | undefined; userAgent: string | undefined; expiresAt: Date },
): Promise<void> {
  await db
    .withSchema('identity')
    .insertInto('sessions')
    .values({
      id: s.id,
      user_id: s.userId,
      refresh_hash: s.refreshHash,
      csrf_hash: s.csrfHash,
      ip: s.ip ?? null,
      user_agent: s.userAgent?.slice(0, 512) ?? null,
      expires_at: s.expiresAt,
    })
    .execute();
}

export async function findSession(db: Kysely<any>, id: string): Promise<SessionRow | undefined> {
  return (await db.withSchema('identity').selectFrom('sessions').selectAll().where('id', '=', id).executeTakeFirst()) as SessionRow | undefined;
}

/** Swaps the refresh secret only if it is still the one presented: two racing refreshes cannot both win. */
export async function rotateRefresh(db: Kysely<any>, id: string, expectedHash: string, nextHash: string, expiresAt: Date): Promise<boolean> {
  const res = await db
    .withSchema('identity')
    .updateTable('sessions')
    .set({ previous_refresh_hash: expectedHash, refresh_hash: nextHash, expires_at: expiresAt })
    .where('id', '=', id)
    .where('refresh_hash', '=', expectedHash)
    .where('revoked_at', 'is', null)
    .executeTakeFirst();
  return Number(res.numUpdatedRows) === 1;
}

/** Counts a request as activity (idle timeout); at most one write per session every 30 s. */
export async function touchSession(db: Kysely<any>, id: string): Promise<void> {
  await db
    .withSchema('identity')
    .updateTable('sessions')
    .set({ last_used_at: sql`now()` })
    .where('id', '=', id)
    .where('last_used_at', '<', sql<Date>`now() - interval '30 seconds'`)
    .execute();
}

export async function revokeSession(db: Kysely<any>, id: string): Promise<void> {
  await db.withSchema('identity').updateTable('sessions').set({ revoked_at: sql`now()` }).where('id', '=', id).where('revoked_at', 'is', null).execute();
}

/** Revokes every live session of a user, except one when given (the caller's own). */
export async function revokeUserSessions(db: Kysely<any>, userId: string, except?: string): Promise<number> {
  let q = db.withSchema('identity').updateTable('sessions').set({ revoked_at: sql`now()` }).where('user_id', '=', userId).where('revoked_at', 'is', null);
  if (except) q = q.where('id', '!=', except);
  const res = await q.executeTakeFirst();
  return Number(res.numUpdatedRows);
}

export async function listUserSessions(db: Kysely<any>, userId: string): Promise<SessionRow[]> {
  return (await db
    .withSchema('identity')
    .selectFrom('sessions')
    .selectAll()
    .where('user_id', '=', userId)
    .where('revoked_at', 'is', null)
    .where('expires_at', '>', sql<Date>`now()`)
    .orderBy('created_at', 'desc')
    .limit(100)
    .execute()) as SessionRow[];
}
