// SQL for identity.access_tokens: personal access tokens, stored as a digest with a short hint.
import { sql, type Kysely } from '@docksphere/db';

import type { TokenScope } from '@docksphere/access';

export type { TokenScope };

export interface AccessTokenRow {
  id: string;
  user_id: string;
  name: string;
  token_hash: string;
  token_hint: string;
  scopes: TokenScope[];
  expires_at: Date | null;
  last_used_at: Date | null;
  last_used_ip: string | null;
  created_at: Date;
  revoked_at: Date | null;
}

export interface AccessTokenView {
  id: string;
  name: string;
  hint: string;
  scopes: TokenScope[];
  expiresAt: string | null;
  lastUsedAt: string | null;
  lastUsedIp: string | null;
  createdAt: string;
  revokedAt: string | null;
}

const iso = (d: Date | null) => (d ? new Date(d).toISOString() : null);

export function accessTokenView(t: AccessTokenRow): AccessTokenView {
  return {
    id: t.id,
    name: t.name,
    hint: t.token_hint,
    scopes: t.scopes,
    expiresAt: iso(t.expires_at),
    lastUsedAt: iso(t.last_used_at),
    lastUsedIp: t.last_used_ip,
    createdAt: iso(t.created_at) as string,
    revokedAt: iso(t.revoked_at),
  };
}

function normalize(row: Record<string, unknown>): AccessTokenRow {
  const scopes = row.scopes;
  return { ...(row as unknown as AccessTokenRow), scopes: typeof scopes === 'string' ? (JSON.parse(scopes) as TokenScope[]) : (scopes as TokenScope[]) };
}

export async function insertAccessToken(
  db: Kysely<any>,
  t: { userId: string; name: string; tokenHash: string; hint: string; scopes: TokenScope[]; expiresAt: Date | null },
): Promise<AccessTokenRow> {
  const row = await db
    .withSchema('identity')
    .insertInto('access_tokens')
    .values({ id: crypto.randomUUID(), user_id: t.userId, name: t.name, token_hash: t.tokenHash, token_hint: t.hint, scopes: JSON.stringify(t.scopes), expires_at: t.expiresAt })
    .returningAll()
    .executeTakeFirstOrThrow();
  return normalize(row);
}

export async function findAccessTokenByHash(db: Kysely<any>, tokenHash: string): Promise<AccessTokenRow | undefined> {
  const row = await db.withSchema('identity').selectFrom('access_tokens').selectAll().where('token_hash', '=', tokenHash).executeTakeFirst();
  return row ? normalize(row) : undefined;
}

export async function findAccessToken(db: Kysely<any>, userId: string, id: string): Promise<AccessTokenRow | undefined> {
  const row = await db.withSchema('identity').selectFrom('access_tokens').selectAll().where('id', '=', id).where('user_id', '=', userId).executeTakeFirst();
  return row ? normalize(row) : undefined;
}

export async function findAccessTokenById(db: Kysely<any>, id: string): Promise<AccessTokenRow | undefined> {
  const row = await db.withSchema('identity').selectFrom('access_tokens').selectAll().where('id', '=', id).executeTakeFirst();
  return row ? normalize(row) : undefined;
}

export async function listAccessTokens(db: Kysely<any>, userId: string): Promise<AccessTokenRow[]> {
  return (await db.withSchema('identity').selectFrom('access_tokens').selectAll().where('user_id', '=', userId).orderBy('created_at', 'desc').limit(500).execute()).map(normalize);
}

export async function revokeAccessToken(db: Kysely<any>, id: string): Promise<boolean> {
  const res = await db.withSchema('identity').updateTable('access_tokens').set({ revoked_at: sql`now()` }).where('id', '=', id).where('revoked_at', 'is', null).executeTakeFirst();
  return Number(res.numUpdatedRows) === 1;
}

export async function touchAccessToken(db: Kysely<any>, id: string, ip: string | undefined): Promise<void> {
  await db.withSchema('identity').updateTable('access_tokens').set({ last_used_at: sql`now()`, last_used_ip: ip ?? null }).where('id', '=', id).execute();
}

export function accessTokenUsable(t: AccessTokenRow, now = new Date()): boolean {
  return t.revoked_at === null && (t.expires_at === null || new Date(t.expires_at) > now);
}
