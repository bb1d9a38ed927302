// SQL of the repository view fed by registry events: manifests, tags, tag history, pull counts and
// daily push/pull statistics. The registry's own tables are never read.
import { sql, type Kysely } from '@docksphere/db';
import type { Viewer } from '../domain/viewer.ts';
import { readableBy } from './visibility.ts';

export interface PushedManifest {
  repositoryId: string;
  digest: string;
  mediaType: string;
  size: number;
  totalSize: number;
  platforms: string[];
  artifactType: string | undefined;
  tag: string | undefined;
  at: Date;
  actor: string;
}

function day(at: Date): string {
  return at.toISOString().slice(0, 10);
}

export async function recordPush(db: Kysely<any>, push: PushedManifest): Promise<void> {
  const p = db.withSchema('platform');
  await p
    .insertInto('manifests')
    .values({
      repository_id: push.repositoryId,
      digest: push.digest,
      media_type: push.mediaType,
      size: push.size,
      total_size: push.totalSize,
      platforms: push.platforms,
      artifact_type: push.artifactType ?? null,
      pushed_at: push.at,
      pushed_by: push.actor,
    })
    .onConflict((oc) => oc.columns(['repository_id', 'digest']).doUpdateSet({ media_type: push.mediaType, size: push.size, total_size: push.totalSize, platforms: push.platforms }))
    .execute();
  await p.updateTable('repositories').set({ last_pushed_at: push.at }).where('id', '=', push.repositoryId).where((eb) => eb.or([eb('last_pushed_at', 'is', null), eb('last_pushed_at', '<', push.at)])).execute();
  if (push.tag === undefined) return;
  await p
    .insertInto('tags')
    .values({ repository_id: push.repositoryId, tag: push.tag, digest: push.digest, pushed_at: push.at, pushed_by: push.actor })
    .onConflict((oc) => oc.columns(['repository_id', 'tag']).doUpdateSet({ digest: push.digest, pushed_at: push.at, pushed_by: push.actor }))
    .execute();
  await p.insertInto('tag_history').values({ repository_id: push.repositoryId, tag: push.tag, digest: push.digest, action: 'pushed', at: push.at, actor: push.actor }).execute();
  await bumpDaily(db, day(push.at), 'pushes');
}

export async function recordTagDeleted(db: Kysely<any>, repositoryId: string, tag: string, digest: string, at: Date, actor: string): Promise<void> {
  const p = db.withSchema('platform');
  const removed = await p.deleteFrom('tags').where('repository_id', '=', repositoryId).where('tag', '=', tag).executeTakeFirst();
  if (Number(removed.numDeletedRows) > 0) await p.insertInto('tag_history').values({ repository_id: repositoryId, tag, digest, action: 'deleted', at, actor }).execute();
}

export async function recordManifestDeleted(db: Kysely<any>, repositoryId: string, digest: string): Promise<void> {
  await db.withSchema('platform').deleteFrom('manifests').where('repository_id', '=', repositoryId).where('digest', '=', digest).execute();
}

/**
 * One manifest fetched. Every fetch counts for the manifest; the repository, the tag and the daily
 * total count image pulls: by tag, or by the digest of a tagged manifest or an index (an index's
 * children fetched after it are the same pull).
 */
export async function recordPull(db: Kysely<any>, pull: { repositoryId: string; digest: string; reference: string; at: Date; count?: number }): Promise<void> {
  const p = db.withSchema('platform');
  // A coalesced event stands for count pulls (the registry groups identical pulls per flush window).
  const n = pull.count ?? 1;
  const byTag = !pull.reference.includes(':');
  const manifest = await p
    .updateTable('manifests')
    .set({ pull_count: sql`pull_count + ${n}`, last_pulled_at: pull.at })
    .where('repository_id', '=', pull.repositoryId)
    .where('digest', '=', pull.digest)
    .returning(['platforms'])
    .executeTakeFirst();
  let counts = byTag;
  if (byTag) {
    await p.updateTable('tags').set({ pull_count: sql`pull_count + ${n}`, last_pulled_at: pull.at }).where('repository_id', '=', pull.repositoryId).where('tag', '=', pull.reference).execute();
  } else {
    const tagged = await p.selectFrom('tags').select('tag').where('repository_id', '=', pull.repositoryId).where('digest', '=', pull.digest).limit(1).executeTakeFirst();
    counts = tagged !== undefined || ((manifest?.platforms as string[] | undefined)?.length ?? 0) > 0;
  }
  if (!counts) return;
  await p.updateTable('repositories').set({ pull_count: sql`pull_count + ${n}`, last_pulled_at: pull.at }).where('id', '=', pull.repositoryId).execute();
  await bumpDaily(db, day(pull.at), 'pulls', n);
}

async function bumpDaily(db: Kysely<any>, date: string, column: 'pushes' | 'pulls', n = 1): Promise<void> {
  await db
    .withSchema('platform')
    .insertInto('daily_stats')
    .values({ day: date, pushes: column === 'pushes' ? n : 0, pulls: column === 'pulls' ? n : 0 })
    .onConflict((oc) => oc.column('day').doUpdateSet({ [column]: sql`daily_stats.${sql.ref(column)} + ${n}` }))
    .execute();
}

export interface TagViewRow {
  tag: string;
  digest: string;
  pushed_at: Date;
  pushed_by: string;
  pull_count: number;
  last_pulled_at: Date | null;
  media_type: string | null;
  size: number | null;
  total_size: number | null;
  platforms: string[] | null;
  artifact_type: string | null;
}

export type TagSort = 'name' | 'pushed' | 'semver';

/** Where the previous page ended: the last tag's name, its push time and name, or an offset (semver). */
export type TagCursor = { sort: 'name'; after: string } | { sort: 'pushed'; pushedAt: string; tag: string } | { sort: 'semver'; offset: number };

export interface TagListOptions {
  sort: TagSort;
  /** Only tags whose name contains this text (case-insensitive). */
  contains?: string | undefined;
  cursor?: TagCursor | undefined;
  limit: number;
}

/** "v1.2.3-rc.1" -> major 1, minor 2, patch 3, prerelease "rc.1"; tags that are no version sort last. */
const SEMVER = '^v?(\\d{1,9})(?:\\.(\\d{1,9}))?(?:\\.(\\d{1,9}))?(?:-([0-9A-Za-z.-]+))?$';

export async function listTags(db: Kysely<any>, repositoryId: string, options: TagListOptions): Promise<Array<TagViewRow & { pushed_key: string }>> {
  let query = db
    .withSchema('platform')
    .selectFrom('tags as t')
    .leftJoin('manifests as m', (j) => j.onRef('m.repository_id', '=', 't.repository_id').onRef('m.digest', '=', 't.digest'))
    .select(['t.tag', 't.digest', 't.pushed_at', 't.pushed_by', 't.pull_count', 't.last_pulled_at', 'm.media_type', 'm.size', 'm.total_size', 'm.platforms', 'm.artifact_type'])
    // The push time as the database has it (microseconds), for an exact keyset cursor.
    .select(sql<string>`t.pushed_at::text`.as('pushed_key'))
    .where('t.repository_id', '=', repositoryId)
    .limit(options.limit + 1);
  if (options.contains) {
    const pattern = `%${options.contains.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
    query = query.where(sql<boolean>`t.tag ilike ${pattern}`);
  }
  const cursor = options.cursor;
  if (options.sort === 'name') {
    query = query.orderBy('t.tag');
    if (cursor?.sort === 'name') query = query.where('t.tag', '>', cursor.after);
  } else if (options.sort === 'pushed') {
    query = query.orderBy('t.pushed_at', 'desc').orderBy('t.tag');
    if (cursor?.sort === 'pushed') {
      query = query.where(sql<boolean>`(t.pushed_at < ${cursor.pushedAt}::timestamptz or (t.pushed_at = ${cursor.pushedAt}::timestamptz and t.tag > ${cursor.tag}))`);
    }
  } else {
    query = query
      .orderBy(sql`(t.tag ~ ${SEMVER}) desc`)
      .orderBy(sql`(regexp_match(t.tag, ${SEMVER}))[1]::bigint desc nulls last`)
      .orderBy(sql`coalesce((regexp_match(t.tag, ${SEMVER}))[2]::bigint, 0) desc`)
      .orderBy(sql`coalesce((regexp_match(t.tag, ${SEMVER}))[3]::bigint, 0) desc`)
      // A release sorts above its pre-releases.
      .orderBy(sql`(regexp_match(t.tag, ${SEMVER}))[4] is null desc`)
      .orderBy(sql`(regexp_match(t.tag, ${SEMVER}))[4] desc`)
      .orderBy('t.tag');
    if (cursor?.sort === 'semver') query = query.offset(cursor.offset);
  }
  return (await query.execute()) as Array<TagViewRow & { pushed_key: string }>;
}

export interface HistoryRow {
  id: number;
  tag: string;
  digest: string;
  action: 'pushed' | 'deleted';
  at: Date;
  actor: string;
}

export async function tagHistory(db: Kysely<any>, repositoryId: string, tag: string, before: number | undefined, limit: number): Promise<HistoryRow[]> {
  let query = db
    .withSchema('platform')
    .selectFrom('tag_history')
    .select(['id', 'tag', 'digest', 'action', 'at', 'actor'])
    .where('repository_id', '=', repositoryId)
    .where('tag', '=', tag)
    .orderBy('id', 'desc')
    .limit(limit + 1);
  if (before !== undefined) query = query.where('id', '<', before);
  return (await query.execute()) as HistoryRow[];
}

export interface RecentPushRow {
  id: number;
  repository: string;
  tag: string;
  digest: string;
  at: Date;
  actor: string;
}

/** The latest tag pushes into the repositories the viewer owns or holds grants on. */
export async function recentPushes(db: Kysely<any>, viewer: Viewer, limit: number): Promise<RecentPushRow[]> {
  return (await db
    .withSchema('platform')
    .selectFrom('tag_history as h')
    .innerJoin('repositories as r', 'r.id', 'h.repository_id')
    .select(['h.id', 'r.name as repository', 'h.tag', 'h.digest', 'h.at', 'h.actor'])
    .where('h.action', '=', 'pushed')
    .where((eb) => readableBy(eb, viewer, { mineOnly: true }))
    .orderBy('h.at', 'desc')
    .orderBy('h.id', 'desc')
    .limit(limit)
    .execute()) as RecentPushRow[];
}

export interface SiteStats {
  repositories: number;
  publicRepositories: number;
  organizations: number;
  users: number;
  teams: number;
  /** Sum of the totals of image manifests (an index's total is its children's): logical bytes, before blob de-duplication. */
  storageBytes: number;
  days: { day: string; pushes: number; pulls: number }[];
}

export async function siteStats(db: Kysely<any>, days: number): Promise<SiteStats> {
  const p = db.withSchema('platform');
  const counts = await sql<{ repositories: number; public_repositories: number; organizations: number; users: number; teams: number; storage: number }>`
    select
      (select count(*) from platform.repositories)::int as repositories,
      (select count(*) from platform.repositories where visibility = 'public')::int as public_repositories,
      (select count(*) from platform.namespaces where kind = 'org')::int as organizations,
      (select count(*) from platform.users where username not like '~%')::int as users,
      (select count(*) from platform.teams)::int as teams,
      (select coalesce(sum(total_size), 0) from platform.manifests where cardinality(platforms) = 0)::bigint as storage`.execute(db);
  const since = new Date(Date.now() - (days - 1) * 86_400_000).toISOString().slice(0, 10);
  const rows = await p.selectFrom('daily_stats').select(['day', 'pushes', 'pulls']).where('day', '>=', since).orderBy('day').execute();
  const c = counts.rows[0] as { repositories: number; public_repositories: number; organizations: number; users: number; teams: number; storage: number };
  return {
    repositories: Number(c.repositories),
    publicRepositories: Number(c.public_repositories),
    organizations: Number(c.organizations),
    users: Number(c.users),
    teams: Number(c.teams),
    storageBytes: Number(c.storage),
    days: rows.map((r) => ({ day: typeof r.day === 'string' ? r.day.slice(0, 10) : new Date(r.day).toISOString().slice(0, 10), pushes: Number(r.pushes), pulls: Number(r.pulls) })),
  };
}
