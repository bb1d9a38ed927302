// SQL for identity.robots: CI accounts owned by a namespace, limited to repository patterns.
import { sql, type Kysely } from '@docksphere/db';
import type { TokenScope } from './access-tokens.ts';

export interface RobotRow {
  id: string;
  namespace: string;
  name: string;
  description: string;
  token_hash: string;
  token_hint: string;
  repository_patterns: string[];
  actions: TokenScope[];
  created_by: string;
  expires_at: Date | null;
  last_used_at: Date | null;
  last_used_ip: string | null;
  created_at: Date;
  revoked_at: Date | null;
}

export interface RobotView {
  id: string;
  namespace: string;
  name: string;
  login: string;
  description: string;
  hint: string;
  repositories: string[];
  actions: TokenScope[];
  expiresAt: string | null;
  lastUsedAt: string | null;
  lastUsedIp: string | null;
  createdAt: string;
}

const iso = (d: Date | null) => (d ? new Date(d).toISOString() : null);
const json = <T>(v: unknown): T => (typeof v === 'string' ? (JSON.parse(v) as T) : (v as T));

function normalize(row: Record<string, unknown>): RobotRow {
  return { ...(row as unknown as RobotRow), repository_patterns: json<string[]>(row.repository_patterns), actions: json<TokenScope[]>(row.actions) };
}

export function robotView(r: RobotRow): RobotView {
  return {
    id: r.id,
    namespace: r.namespace,
    name: r.name,
    login: `${r.namespace}+${r.name}`,
    description: r.description,
    hint: r.token_hint,
    repositories: r.repository_patterns,
    actions: r.actions,
    expiresAt: iso(r.expires_at),
    lastUsedAt: iso(r.last_used_at),
    lastUsedIp: r.last_used_ip,
    createdAt: iso(r.created_at) as string,
  };
}

export type InsertRobotResult = { created: true; robot: RobotRow } | { created: false };

export async function insertRobot(
  db: Kysely<any>,
  r: { namespace: string; name: string; description: string; tokenHash: string; hint: string; patterns: string[]; actions: TokenScope[]; createdBy: string; expiresAt: Date | null },
): Promise<InsertRobotResult> {
  const existing = await findRobot(db, r.namespace, r.name);
  if (existing) return { created: false };
  const row = await db
    .withSchema('identity')
    .insertInto('robots')
    .values({
      id: crypto.randomUUID(),
      namespace: r.namespace,
      name: r.name,
      description: r.description,
      token_hash: r.tokenHash,
      token_hint: r.hint,
      repository_patterns: JSON.stringify(r.patterns),
      actions: JSON.stringify(r.actions),
      created_by: r.createdBy,
      expires_at: r.expiresAt,
    })
    .returningAll()
    .executeTakeFirstOrThrow();
  return { created: true, robot: normalize(row) };
}

/** The live (not revoked) robot of that name in the namespace. */
export async function findRobot(db: Kysely<any>, namespace: string, name: string): Promise<RobotRow | undefined> {
  const row = await db
    .withSchema('identity')
    .selectFrom('robots')
    .selectAll()
    .where('namespace', '=', namespace)
    .where('name', '=', name)
    .where('revoked_at', 'is', null)
    .executeTakeFirst();
  return row ? normalize(row) : undefined;
}

export async function findRobotByTokenHash(db: Kysely<any>, tokenHash: string): Promise<RobotRow | undefined> {
  const row = await db.withSchema('identity').selectFrom('robots').selectAll().where('token_hash', '=', tokenHash).executeTakeFirst();
  return row ? normalize(row) : undefined;
}

export async function findRobotById(db: Kysely<any>, id: string): Promise<RobotRow | undefined> {
  const row = await db.withSchema('identity').selectFrom('robots').selectAll().where('id', '=', id).executeTakeFirst();
  return row ? normalize(row) : undefined;
}

export async function listRobots(db: Kysely<any>, namespace: string): Promise<RobotRow[]> {
  return (await db.withSchema('identity').selectFrom('robots').selectAll().where('namespace', '=', namespace).where('revoked_at', 'is', null).orderBy('name').limit(500).execute()).map(normalize);
}

export async function revokeRobot(db: Kysely<any>, id: string): Promise<void> {
  await db.withSchema('identity').updateTable('robots').set({ revoked_at: sql`now()` }).where('id', '=', id).where('revoked_at', 'is', null).execute();
}

export async function touchRobot(db: Kysely<any>, id: string, ip: string | undefined): Promise<void> {
  await db.withSchema('identity').updateTable('robots').set({ last_used_at: sql`now()`, last_used_ip: ip ?? null }).where('id', '=', id).execute();
}

export function robotUsable(r: RobotRow, now = new Date()): boolean {
  return r.revoked_at === null && (r.expires_at === null || new Date(r.expires_at) > now);
}
