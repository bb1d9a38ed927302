// SQL of versioned documents: one Markdown document per repository, and the global documentation
// pages. Every edit is a new version with its author and time; the newest is current.
import { sql, type Kysely } from '@docksphere/db';

export interface DocVersionRow {
  version: number;
  markdown: string;
  html: string;
  author_name: string;
  created_at: Date;
}

export async function currentRepositoryDoc(db: Kysely<any>, repositoryId: string): Promise<DocVersionRow | undefined> {
  return (await db
    .withSchema('platform')
    .selectFrom('repository_docs')
    .select(['version', 'markdown', 'html', 'author_name', 'created_at'])
    .where('repository_id', '=', repositoryId)
    .orderBy('version', 'desc')
    .limit(1)
    .executeTakeFirst()) as DocVersionRow | undefined;
}

export async function repositoryDocVersion(db: Kysely<any>, repositoryId: string, version: number): Promise<DocVersionRow | undefined> {
  return (await db
    .withSchema('platform')
    .selectFrom('repository_docs')
    .select(['version', 'markdown', 'html', 'author_name', 'created_at'])
    .where('repository_id', '=', repositoryId)
    .where('version', '=', version)
    .executeTakeFirst()) as DocVersionRow | undefined;
}

/** Appends a version; undefined when baseVersion is given and is no longer the newest (an edit conflict). */
export async function appendRepositoryDoc(
  db: Kysely<any>,
  doc: { repositoryId: string; markdown: string; html: string; authorId: string; authorName: string; baseVersion: number | undefined },
): Promise<number | undefined> {
  // Serialises concurrent edits of one document: the version numbers stay dense and the check holds.
  await sql`select pg_advisory_xact_lock(hashtext(${`docksphere.doc.${doc.repositoryId}`}))`.execute(db);
  const current = await currentRepositoryDoc(db, doc.repositoryId);
  const latest = current?.version ?? 0;
  if (doc.baseVersion !== undefined && doc.baseVersion !== latest) return undefined;
  await db
    .withSchema('platform')
    .insertInto('repository_docs')
    .values({ repository_id: doc.repositoryId, version: latest + 1, markdown: doc.markdown, html: doc.html, author_id: doc.authorId, author_name: doc.authorName })
    .execute();
  return latest + 1;
}

export async function listRepositoryDocVersions(db: Kysely<any>, repositoryId: string, before: number | undefined, limit: number): Promise<Omit<DocVersionRow, 'markdown' | 'html'>[]> {
  let query = db
    .withSchema('platform')
    .selectFrom('repository_docs')
    .select(['version', 'author_name', 'created_at'])
    .where('repository_id', '=', repositoryId)
    .orderBy('version', 'desc')
    .limit(limit + 1);
  if (before !== undefined) query = query.where('version', '<', before);
  return (await query.execute()) as Omit<DocVersionRow, 'markdown' | 'html'>[];
}

export interface PageRow {
  slug: string;
  title: string;
  position: number;
  current_version: number;
  updated_at: Date;
}

export async function listPages(db: Kysely<any>, after: readonly [number, string] | undefined, limit: number): Promise<PageRow[]> {
  let query = db.withSchema('platform').selectFrom('pages').select(['slug', 'title', 'position', 'current_version', 'updated_at']).orderBy('position').orderBy('slug').limit(limit + 1);
  if (after) {
    const [pos, slug] = after;
    query = query.where((eb) => eb.or([eb('position', '>', pos), eb.and([eb('position', '=', pos), eb('slug', '>', slug)])]));
  }
  return (await query.execute()) as PageRow[];
}

export async function findPage(db: Kysely<any>, slug: string): Promise<PageRow | undefined> {
  return (await db.withSchema('platform').selectFrom('pages').select(['slug', 'title', 'position', 'current_version', 'updated_at']).where('slug', '=', slug).executeTakeFirst()) as PageRow | undefined;
}

export interface PageVersionRow extends DocVersionRow {
  title: string;
}

export async function pageVersion(db: Kysely<any>, slug: string, version: number): Promise<PageVersionRow | undefined> {
  return (await db
    .withSchema('platform')
    .selectFrom('page_versions')
    .select(['version', 'title', 'markdown', 'html', 'author_name', 'created_at'])
    .where('slug', '=', slug)
    .where('version', '=', version)
    .executeTakeFirst()) as PageVersionRow | undefined;
}

/** Creates the page or appends a version; undefined on an edit conflict (baseVersion is not the newest). */
export async function savePage(
  db: Kysely<any>,
  page: { slug: string; title: string; position: number | undefined; markdown: string; html: string; authorId: string; authorName: string; baseVersion: number | undefined },
): Promise<number | undefined> {
  await sql`select pg_advisory_xact_lock(hashtext(${`docksphere.page.${page.slug}`}))`.execute(db);
  const current = await findPage(db, page.slug);
  const latest = current?.current_version ?? 0;
  if (page.baseVersion !== undefined && page.baseVersion !== latest) return undefined;
  const version = latest + 1;
  if (current) {
    await db
      .withSchema('platform')
      .updateTable('pages')
      .set({ title: page.title, current_version: version, updated_at: sql`now()`, ...(page.position !== undefined ? { position: page.position } : {}) })
      .where('slug', '=', page.slug)
      .execute();
  } else {
    await db.withSchema('platform').insertInto('pages').values({ slug: page.slug, title: page.title, position: page.position ?? 0, current_version: version }).execute();
  }
  await db
    .withSchema('platform')
    .insertInto('page_versions')
    .values({ slug: page.slug, version, title: page.title, markdown: page.markdown, html: page.html, author_id: page.authorId, author_name: page.authorName })
    .execute();
  return version;
}

export async function listPageVersions(db: Kysely<any>, slug: string, before: number | undefined, limit: number): Promise<{ version: number; title: string; author_name: string; created_at: Date }[]> {
  let query = db.withSchema('platform').selectFrom('page_versions').select(['version', 'title', 'author_name', 'created_at']).where('slug', '=', slug).orderBy('version', 'desc').limit(limit + 1);
  if (before !== undefined) query = query.where('version', '<', before);
  return (await query.execute()) as { version: number; title: string; author_name: string; created_at: Date }[];
}

export async function deletePage(db: Kysely<any>, slug: string): Promise<boolean> {
  const result = await db.withSchema('platform').deleteFrom('pages').where('slug', '=', slug).executeTakeFirst();
  return Number(result.numDeletedRows) > 0;
}
