// How long the registry's in-process caches trust an answer without hearing of a change. Writes
// on this replica and announced writes of other replicas invalidate at once; these periods are
// only the safety net for changes nobody announces (direct database edits).

export interface CachePeriods {
  /** Tag resolutions are fresh this long (then served once more while one query refreshes them). */
  tagMs: number;
  /** A cached manifest is re-checked this often. */
  manifestMs: number;
  /** Blob links are trusted this long. */
  blobLinkMs: number;
}

export const DEFAULT_CACHE_PERIODS: CachePeriods = { tagMs: 500, manifestMs: 2500, blobLinkMs: 2000 };
