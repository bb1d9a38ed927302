// The PostgreSQL side of cross-replica cache invalidation: one dedicated client LISTENing on the
// registry's channel, reconnecting with capped exponential backoff whenever the connection drops.
import pg from 'pg';
import type { Logger } from '@docksphere/kit';
import { CACHE_CHANNEL, parseCacheChange, type CacheInvalidationListener, type CacheSignal } from './cache-invalidation.ts';

export interface PgCacheListenerOptions {
  databaseUrl: string;
  logger?: Logger | undefined;
  /** First reconnect delay; doubles per failed attempt up to maxBackoffMs. */
  minBackoffMs?: number;
  maxBackoffMs?: number;
}

export class PgCacheInvalidationListener implements CacheInvalidationListener {
  readonly #subscribers = new Set<(signal: CacheSignal) => void>();
  /** The client of the current attempt; events from an abandoned client are ignored. */
  #client: pg.Client | undefined;
  #connected = false;
  #closed = false;
  #attempt = 0;
  #timer: NodeJS.Timeout | undefined;
  #connectedWaiters: (() => void)[] = [];

  constructor(private readonly options: PgCacheListenerOptions) {}

  get connected(): boolean {
    return this.#connected;
  }

  subscribe(onSignal: (signal: CacheSignal) => void): () => void {
    this.#subscribers.add(onSignal);
    return () => void this.#subscribers.delete(onSignal);
  }

  /** Connects in the background; until LISTEN is in place, `connected` is false and caches are bypassed. */
  start(): void {
    if (this.#client || this.#closed) return;
    void this.#connect();
  }

  /** Resolves once the listener is (re)connected, or rejects after timeoutMs (startup and tests). */
  whenConnected(timeoutMs: number): Promise<void> {
    if (this.#connected) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`cache invalidation listener not connected after ${timeoutMs} ms`)), timeoutMs);
      this.#connectedWaiters.push(() => {
        clearTimeout(timer);
        resolve();
      });
    });
  }

  async close(): Promise<void> {
    this.#closed = true;
    clearTimeout(this.#timer);
    const client = this.#client;
    this.#client = undefined;
    this.#connected = false;
    await client?.end().catch(() => undefined);
  }

  async #connect(): Promise<void> {
    const client = new pg.Client({ connectionString: this.options.databaseUrl, keepAlive: true });
    this.#client = client;
    client.on('error', (err) => this.#lost(client, err));
    client.on('end', () => this.#lost(client, undefined));
    client.on('notification', (msg) => {
      if (client !== this.#client || msg.channel !== CACHE_CHANNEL) return;
      const change = parseCacheChange(msg.payload);
      if (change === undefined) this.options.logger?.warn({ payload: msg.payload?.slice(0, 200) }, 'unreadable cache invalidation message: dropping every cached entry');
      this.#emit(change ?? 'reset');
    });
    try {
      await client.connect();
      await client.query(`LISTEN ${CACHE_CHANNEL}`);
    } catch (err) {
      if (client === this.#client) this.#lost(client, err);
      else await client.end().catch(() => undefined);
      return;
    }
    // Closed (or replaced) while connecting: this client is nobody's.
    if (client !== this.#client) {
      await client.end().catch(() => undefined);
      return;
    }
    this.#attempt = 0;
    this.#connected = true;
    // Anything cached before (nothing, as caches were bypassed) could predate a missed change.
    this.#emit('reset');
    this.options.logger?.info('cache invalidation listener connected');
    for (const wake of this.#connectedWaiters.splice(0)) wake();
  }

  #lost(client: pg.Client, err: unknown): void {
    if (client !== this.#client) return;
    this.#client = undefined;
    this.#connected = false;
    // Changes made from now until the next LISTEN are not heard: nothing cached may be trusted.
    this.#emit('reset');
    client.end().catch(() => undefined);
    if (this.#closed) return;
    const min = this.options.minBackoffMs ?? 100;
    const max = this.options.maxBackoffMs ?? 5000;
    const delay = Math.min(max, min * 2 ** this.#attempt) * (0.5 + Math.random() / 2);
    this.#attempt++;
    this.options.logger?.warn({ err, retryInMs: Math.round(delay) }, 'cache invalidation listener disconnected: caches bypassed until it reconnects');
    this.#timer = setTimeout(() => void this.#connect(), delay);
    this.#timer.unref();
  }

  #emit(signal: CacheSignal): void {
    for (const s of this.#subscribers) s(signal);
  }
}
