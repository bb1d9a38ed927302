// Cursor pagination, one format for every platform API list: `?limit=&cursor=` in, a page
// `{ items, nextCursor }` out. The cursor is opaque to clients (base64url of a JSON array naming the
// last item's sort key), so a page never skips or repeats rows when others are inserted meanwhile.
import { Type, type TSchema } from 'typebox';
import { ApiError } from './errors.ts';

export interface Page<T> {
  items: T[];
  /** Pass as ?cursor= to get the next page; absent on the last page. */
  nextCursor?: string;
}

const MAX_CURSOR_LENGTH = 2048;

export function encodeCursor(key: readonly (string | number)[]): string {
  return Buffer.from(JSON.stringify(key)).toString('base64url');
}

/** Reads a cursor made by encodeCursor with `arity` keys of the given kinds; a bad one is a 400. */
export function decodeCursor(cursor: string | undefined, kinds: readonly ('string' | 'number')[]): (string | number)[] | undefined {
  if (cursor === undefined || cursor === '') return undefined;
  const bad = () => new ApiError('VALIDATION_FAILED', 'invalid cursor: pass back the nextCursor of a previous page');
  if (cursor.length > MAX_CURSOR_LENGTH) throw bad();
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw bad();
  }
  if (!Array.isArray(parsed) || parsed.length !== kinds.length || !parsed.every((v, i) => typeof v === kinds[i])) throw bad();
  return parsed as (string | number)[];
}

/** Turns limit+1 fetched rows into a page, the cursor built from the last row shown. */
export function pageOf<Row, T>(rows: Row[], limit: number, key: (row: Row) => (string | number)[], map: (row: Row) => T): Page<T> {
  const shown = rows.slice(0, limit);
  const page: Page<T> = { items: shown.map(map) };
  if (rows.length > limit && shown.length > 0) page.nextCursor = encodeCursor(key(shown[shown.length - 1] as Row));
  return page;
}

export const DEFAULT_PAGE_SIZE = 50;

export function pageLimit(limit: number | undefined, max: number): number {
  return Math.min(limit ?? Math.min(DEFAULT_PAGE_SIZE, max), max);
}

/** ?limit=&cursor= of every list. */
export const PageQuery = {
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000, description: 'page size (each list has its own maximum and default)' })),
  cursor: Type.Optional(Type.String({ maxLength: MAX_CURSOR_LENGTH, description: 'the nextCursor of the previous page' })),
};

/** The page envelope of a list of `item`. */
export function PageOf<T extends TSchema>(item: T) {
  return Type.Object({
    items: Type.Array(item),
    nextCursor: Type.Optional(Type.String({ description: 'pass as ?cursor= for the next page; absent on the last page' })),
  });
}
