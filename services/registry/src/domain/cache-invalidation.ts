// Cross-replica cache invalidation: what a change message says, how a write announces one inside its
// transaction (pg_notify, delivered at commit), and the listener interface the /v2 caches consult.
import { sql, type Transaction } from '@docksphere/db';

/** The PostgreSQL NOTIFY channel every registry replica listens on. */
export const CACHE_CHANNEL = 'docksphere_registry_cache';

/**
 * One committed change another replica may have cached: a manifest deleted (its tags went with it),
 * a tag moved or deleted, a blob unlinked from a repository, or a whole repository removed or
 * renamed (metadata's lifecycle events, applied by one replica's consumer).
 */
export interface CacheChange {
  repository: string;
  kind: 'manifest' | 'tag' | 'blob' | 'repository';
  /** The digest (manifest, blob) or tag name; empty for a repository. */
  key: string;
}

/**
 * What a cache is told: a change, or 'reset' when changes may have been missed (the listener
 * connected, disconnected or got a message it could not read), so everything cached must go.
 */
export type CacheSignal = CacheChange | 'reset';

/** The source of other replicas' changes; in-process (PGlite) deployments have none. */
export interface CacheInvalidationListener {
  /**
   * True only while changes are being heard. When false, caches answer from the database: a change
   * made meanwhile by another replica would go unnoticed, so correctness never depends on the listener.
   */
  readonly connected: boolean;
  /** Registers a cache; the returned function unregisters it (plugin close). */
  subscribe(onSignal: (signal: CacheSignal) => void): () => void;
}

const KINDS: ReadonlySet<string> = new Set(['manifest', 'tag', 'blob', 'repository']);

/** Parses a NOTIFY payload; undefined when it is not a well-formed change. */
export function parseCacheChange(payload: string | undefined): CacheChange | undefined {
  if (payload === undefined) return undefined;
  let v: unknown;
  try {
    v = JSON.parse(payload);
  } catch {
    return undefined;
  }
  if (typeof v !== 'object' || v === null) return undefined;
  const { repository, kind, key } = v as Record<string, unknown>;
  if (typeof repository !== 'string' || typeof kind !== 'string' || !KINDS.has(kind) || typeof key !== 'string') return undefined;
  return { repository, kind: kind as CacheChange['kind'], key };
}

/**
 * Queues the change inside the writer's transaction: Postgres delivers it to every listener when the
 * transaction commits, and never if it rolls back. (Repository names, tags and digests are short, far
 * below the 8,000-byte payload limit.)
 */
export async function notifyCacheChange(trx: Transaction<any>, change: CacheChange): Promise<void> {
  const payload = JSON.stringify({ repository: change.repository, kind: change.kind, key: change.key });
  await sql`select pg_notify(${CACHE_CHANNEL}, ${payload})`.execute(trx);
}
