// SQL for identity.docker_refresh_tokens: the identity tokens docker login keeps instead of a
// password. Each remembers the credential it came from, so revoking that credential revokes it.
import { sql, type Kysely } from '@docksphere/db';

export interface DockerRefreshTokenRow {
  id: string;
  token_hash: string;
  user_id: string | null;
  robot_id: string | null;
  access_token_id: string | null;
  service: string;
  client_id: string | null;
  created_at: Date;
  last_used_at: Date | null;
  revoked_at: Date | null;
}

export async function insertDockerRefreshToken(
  db: Kysely<any>,
  t: { tokenHash: string; userId: string | null; robotId: string | null; accessTokenId: string | null; service: string; clientId: string | undefined },
): Promise<void> {
  await db
    .withSchema('identity')
    .insertInto('docker_refresh_tokens')
    .values({
      id: crypto.randomUUID(),
      token_hash: t.tokenHash,
      user_id: t.userId,
      robot_id: t.robotId,
      access_token_id: t.accessTokenId,
      service: t.service,
      client_id: t.clientId?.slice(0, 200) ?? null,
    })
    .execute();
}

export async function findDockerRefreshToken(db: Kysely<any>, tokenHash: string): Promise<DockerRefreshTokenRow | undefined> {
  return (await db.withSchema('identity').selectFrom('docker_refresh_tokens').selectAll().where('token_hash', '=', tokenHash).executeTakeFirst()) as
    | DockerRefreshTokenRow
    | undefined;
}

export async function touchDockerRefreshToken(db: Kysely<any>, id: string): Promise<void> {
  await db.withSchema('identity').updateTable('docker_refresh_tokens').set({ last_used_at: sql`now()` }).where('id', '=', id).execute();
}

/** Revokes a user's Docker identity tokens; passwordOnly keeps those that came from access tokens. */
export async function revokeUserDockerRefreshTokens(db: Kysely<any>, userId: string, options: { passwordOnly: boolean }): Promise<void> {
  let q = db.withSchema('identity').updateTable('docker_refresh_tokens').set({ revoked_at: sql`now()` }).where('user_id', '=', userId).where('revoked_at', 'is', null);
  if (options.passwordOnly) q = q.where('access_token_id', 'is', null);
  await q.execute();
}
