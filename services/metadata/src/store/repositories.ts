// SQL of repositories: the row per repository, visible lists and ranked search.
import { sql, type Kysely } from '@docksphere/db';
import type { Viewer } from '../domain/viewer.ts';
import { readableBy } from './visibility.ts';

export type Visibility = 'public' | 'private';

export interface RepositoryRow {
  id: string;
  namespace: string;
  name: string;
  visibility: Visibility;
  description: string;
  created_by: string;
  created_at: Date;
  updated_at: Date;
  last_pushed_at: Date | null;
  pull_count: number;
  last_pulled_at: Date | null;
}

const COLUMNS = ['r.id', 'r.namespace', 'r.name', 'r.visibility', 'r.description', 'r.created_by', 'r.created_at', 'r.updated_at', 'r.last_pushed_at', 'r.pull_count', 'r.last_pulled_at'] as const;

export async function findRepository(db: Kysely<any>, name: string): Promise<RepositoryRow | undefined> {
  return db.withSchema('platform').selectFrom('repositories as r').select(COLUMNS).where('r.name', '=', name).executeTakeFirst() as Promise<RepositoryRow | undefined>;
}

/** Inserts the repository unless the name exists; the row either way, and whether it is new. */
export async function insertRepository(
  db: Kysely<any>,
  repo: { id: string; namespace: string; name: string; visibility: Visibility; description: string; createdBy: string },
): Promise<{ row: RepositoryRow; created: boolean }> {
  const inserted = await db
    .withSchema('platform')
    .insertInto('repositories')
    .values({ id: repo.id, namespace: repo.namespace, name: repo.name, visibility: repo.visibility, description: repo.description, created_by: repo.createdBy })
    .onConflict((oc) => oc.column('name').doNothing())
    .returning('id')
    .executeTakeFirst();
  return { row: (await findRepository(db, repo.name)) as RepositoryRow, created: inserted !== undefined };
}

export async function updateRepository(db: Kysely<any>, id: string, change: { visibility?: Visibility | undefined; description?: string | undefined }): Promise<void> {
  const set: Record<string, unknown> = { updated_at: sql`now()` };
  if (change.visibility !== undefined) set.visibility = change.visibility;
  if (change.description !== undefined) set.description = change.description;
  await db.withSchema('platform').updateTable('repositories').set(set).where('id', '=', id).execute();
}

export async function renameRepository(db: Kysely<any>, id: string, namespace: string, name: string): Promise<void> {
  await db.withSchema('platform').updateTable('repositories').set({ namespace, name, updated_at: sql`now()` }).where('id', '=', id).execute();
}

export async function deleteRepository(db: Kysely<any>, id: string): Promise<void> {
  await db.withSchema('platform').deleteFrom('repositories').where('id', '=', id).execute();
}

export async function repositoriesInNamespace(db: Kysely<any>, namespace: string): Promise<RepositoryRow[]> {
  return (await db.withSchema('platform').selectFrom('repositories as r').select(COLUMNS).where('r.namespace', '=', namespace).orderBy('r.name').execute()) as RepositoryRow[];
}

export interface RepositoryListOptions {
  viewer: Viewer;
  namespace?: string | undefined;
  /** Only repositories the viewer owns or holds a grant on (the dashboard's "my repositories"). */
  mineOnly?: boolean | undefined;
  /** Only names or descriptions containing this text. */
  q?: string | undefined;
  after?: string | undefined;
  limit: number;
}

/** Repositories the viewer may read, by name. */
export async function listRepositories(db: Kysely<any>, options: RepositoryListOptions): Promise<RepositoryRow[]> {
  let query = db
    .withSchema('platform')
    .selectFrom('repositories as r')
    .select(COLUMNS)
    .where((eb) => readableBy(eb, options.viewer, { mineOnly: options.mineOnly }))
    .orderBy('r.name')
    .limit(options.limit + 1);
  if (options.q) {
    const like = `%${options.q.toLowerCase().replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
    query = query.where((eb) => eb.or([eb('r.name', 'like', like), eb(eb.fn('lower', ['r.description']), 'like', like)]));
  }
  if (options.namespace !== undefined) query = query.where('r.namespace', '=', options.namespace);
  if (options.after !== undefined) query = query.where('r.name', '>', options.after);
  return (await query.execute()) as RepositoryRow[];
}

export interface SearchRow extends RepositoryRow {
  score: number;
}

/**
 * Ranked search over name and description among what the viewer may read. The score is an integer
 * (exact name, last component, name substring, full-text rank of the description) so the cursor
 * (score, name) is exact.
 */
export async function searchRepositories(db: Kysely<any>, viewer: Viewer, q: string, after: readonly [number, string] | undefined, limit: number): Promise<SearchRow[]> {
  const needle = q.toLowerCase();
  const like = `%${needle.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
  const score = sql<number>`(
    (case when r.name = ${needle} then 1000 else 0 end)
    + (case when r.name like ${`%/${needle.replace(/[\\%_]/g, (c) => `\\${c}`)}`} then 400 else 0 end)
    + (case when r.name like ${like} then 200 else 0 end)
    + (case when lower(r.description) like ${like} then 50 else 0 end)
    + floor(ts_rank(r.search, plainto_tsquery('simple', ${q})) * 100)::int
  )`;
  const inner = db
    .withSchema('platform')
    .selectFrom('repositories as r')
    .select(COLUMNS)
    .select(score.as('score'))
    .where((eb) => readableBy(eb, viewer))
    .where((eb) => eb.or([eb('r.name', 'like', like), eb(eb.fn('lower', ['r.description']), 'like', like), sql<boolean>`r.search @@ plainto_tsquery('simple', ${q})`]));
  let query = db.selectFrom(inner.as('s')).selectAll().orderBy('score', 'desc').orderBy('name').limit(limit + 1);
  if (after) {
    const [s, name] = after;
    query = query.where((eb) => eb.or([eb('score', '<', s), eb.and([eb('score', '=', s), eb('name', '>', name)])]));
  }
  return (await query.execute()) as SearchRow[];
}
