// A bounded least-recently-used map with optional per-entry expiry and a byte budget: the
// in-process caches of the hot read paths (tokens, tag resolution, manifests, blob links).

export interface LruOptions<V> {
  /** Most entries kept. */
  maxEntries: number;
  /** Most total weight kept (bytes for manifests); default: unbounded by weight. */
  maxWeight?: number;
  weigh?: (value: V) => number;
  /** Called for an entry pushed out by the bounds (not for delete()), to free what it holds. */
  onEvict?: (value: V) => void;
}

interface Entry<V> {
  value: V;
  expiresAt: number;
  weight: number;
}

export class Lru<K, V> {
  readonly #map = new Map<K, Entry<V>>();
  #weight = 0;

  constructor(private readonly options: LruOptions<V>) {}

  get(key: K, now = Date.now()): V | undefined {
    const e = this.#map.get(key);
    if (e === undefined) return undefined;
    if (e.expiresAt <= now) {
      this.delete(key);
      return undefined;
    }
    // Re-insert to mark as most recently used (Map keeps insertion order).
    this.#map.delete(key);
    this.#map.set(key, e);
    return e.value;
  }

  /** Stores value until expiresAt (ms since epoch; Infinity = until evicted). */
  set(key: K, value: V, expiresAt = Infinity): void {
    const weight = this.options.weigh?.(value) ?? 0;
    if (this.options.maxWeight !== undefined && weight > this.options.maxWeight) return;
    this.delete(key);
    this.#map.set(key, { value, expiresAt, weight });
    this.#weight += weight;
    while (this.#map.size > this.options.maxEntries || (this.options.maxWeight !== undefined && this.#weight > this.options.maxWeight)) {
      const oldest = this.#map.keys().next();
      if (oldest.done) break;
      const evicted = this.#map.get(oldest.value);
      this.delete(oldest.value);
      if (evicted) this.options.onEvict?.(evicted.value);
    }
  }

  delete(key: K): void {
    const e = this.#map.get(key);
    if (e === undefined) return;
    this.#map.delete(key);
    this.#weight -= e.weight;
  }

  /** Removes every entry whose key matches. */
  deleteWhere(match: (key: K) => boolean): void {
    for (const key of [...this.#map.keys()]) if (match(key)) this.delete(key);
  }

  get size(): number {
    return this.#map.size;
  }
}
