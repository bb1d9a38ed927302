// Ships the user guide (docs/user-guide/*.md) as the first documentation pages: each file becomes a
// page once, the first time this service sees it; later edits and deletions by admins stand.
import { existsSync } from 'node:fs';
import { readFile, readdir } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { sql, type Kysely } from '@docksphere/db';
import { renderMarkdown } from './markdown.ts';
import { savePage } from '../store/documents.ts';

/** docs/user-guide found by walking up from this module (source tree and bundled dist alike). */
export function findUserGuideDir(from = path.dirname(fileURLToPath(import.meta.url))): string | undefined {
  for (let dir = from; ; dir = path.dirname(dir)) {
    const candidate = path.join(dir, 'docs', 'user-guide');
    if (existsSync(candidate)) return candidate;
    if (path.dirname(dir) === dir) return undefined;
  }
}

/** "01-push-and-pull.md" -> position 1, slug "push-and-pull"; the title is the first "# " heading. */
export async function seedUserGuide(db: Kysely<any>, dir: string | undefined): Promise<string[]> {
  if (!dir || !existsSync(dir)) return [];
  const seeded: string[] = [];
  for (const file of (await readdir(dir)).filter((f) => /^\d+-[a-z0-9-]+\.md$/.test(f)).sort()) {
    const m = /^(\d+)-([a-z0-9-]+)\.md$/.exec(file) as RegExpExecArray;
    const slug = m[2] as string;
    const markdown = await readFile(path.join(dir, file), 'utf8');
    const title = /^# (.+)$/m.exec(markdown)?.[1]?.trim() ?? slug;
    const created = await db.transaction().execute(async (trx) => {
      const marked = await sql`insert into platform.seeded_pages (slug) values (${slug}) on conflict do nothing returning slug`.execute(trx);
      if (marked.rows.length === 0) return false;
      await savePage(trx, { slug, title, position: Number(m[1]), markdown, html: renderMarkdown(markdown), authorId: 'system', authorName: 'DockSphere', baseVersion: undefined });
      return true;
    });
    if (created) seeded.push(slug);
  }
  return seeded;
}
