// Rate limits and growing delays after failed logins, on a counter store that is Redis in the
// distributed mode (shared by every replica) and memory in all-in-one.
import { Redis } from 'ioredis';

export interface Counter {
  count: number;
  /** Milliseconds until the counter's window ends. */
  resetInMs: number;
}

export interface CounterStore {
  /** Adds one to key; a new key starts a window of windowMs. */
  increment(key: string, windowMs: number): Promise<Counter>;
  get(key: string): Promise<Counter | undefined>;
  /** Sets key to a count for exactly ttlMs (a lock), replacing any window it had. */
  set(key: string, count: number, ttlMs: number): Promise<void>;
  delete(key: string): Promise<void>;
  close(): Promise<void>;
}

/** Counters in this process's memory; expired entries are swept as they are met and periodically. */
export class MemoryCounterStore implements CounterStore {
  private readonly entries = new Map<string, { count: number; expiresAt: number }>();
  private readonly sweeper: NodeJS.Timeout;

  constructor(private readonly maxEntries = 100_000) {
    this.sweeper = setInterval(() => this.sweep(), 60_000);
    this.sweeper.unref();
  }

  private sweep(): void {
    const now = Date.now();
    for (const [k, v] of this.entries) if (v.expiresAt <= now) this.entries.delete(k);
  }

  private live(key: string): { count: number; expiresAt: number } | undefined {
    const e = this.entries.get(key);
    if (e && e.expiresAt <= Date.now()) {
      this.entries.delete(key);
      return undefined;
    }
    return e;
  }

  async increment(key: string, windowMs: number): Promise<Counter> {
    let e = this.live(key);
    if (!e) {
      // Bounded memory: under a flood of distinct keys, forget the oldest first.
      if (this.entries.size >= this.maxEntries) this.sweep();
      if (this.entries.size >= this.maxEntries) this.entries.delete(this.entries.keys().next().value as string);
      e = { count: 0, expiresAt: Date.now() + windowMs };
      this.entries.set(key, e);
    }
    e.count++;
    return { count: e.count, resetInMs: e.expiresAt - Date.now() };
  }

  async get(key: string): Promise<Counter | undefined> {
    const e = this.live(key);
    return e ? { count: e.count, resetInMs: e.expiresAt - Date.now() } : undefined;
  }

  async set(key: string, count: number, ttlMs: number): Promise<void> {
    this.entries.set(key, { count, expiresAt: Date.now() + ttlMs });
  }

  async delete(key: string): Promise<void> {
    this.entries.delete(key);
  }

  async close(): Promise<void> {
    clearInterval(this.sweeper);
    this.entries.clear();
  }
}

const INCREMENT = `local c = redis.call('INCR', KEYS[1])
if c == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
local t = redis.call('PTTL', KEYS[1])
if t < 0 then redis.call('PEXPIRE', KEYS[1], ARGV[1]); t = tonumber(ARGV[1]) end
return {c, t}`;

/** Counters in Redis, shared by every auth replica. */
export class RedisCounterStore implements CounterStore {
  private readonly redis: Redis;

  constructor(url: string, private readonly prefix = 'ds:auth:') {
    this.redis = new Redis(url, { maxRetriesPerRequest: 2, enableOfflineQueue: true, lazyConnect: false });
  }

  async increment(key: string, windowMs: number): Promise<Counter> {
    const [count, ttl] = (await this.redis.eval(INCREMENT, 1, this.prefix + key, String(windowMs))) as [number, number];
    return { count: Number(count), resetInMs: Number(ttl) };
  }

  async get(key: string): Promise<Counter | undefined> {
    const [v, ttl] = (await this.redis.multi().get(this.prefix + key).pttl(this.prefix + key).exec())?.map(([, r]) => r) ?? [];
    if (v === null || v === undefined || Number(ttl) < 0) return undefined;
    return { count: Number(v), resetInMs: Number(ttl) };
  }

  async set(key: string, count: number, ttlMs: number): Promise<void> {
    await this.redis.set(this.prefix + key, String(count), 'PX', Math.max(1, Math.ceil(ttlMs)));
  }

  async delete(key: string): Promise<void> {
    await this.redis.del(this.prefix + key);
  }

  async close(): Promise<void> {
    this.redis.disconnect();
  }
}

export type LimitDecision = { allowed: true } | { allowed: false; retryAfterSeconds: number };

export interface LoginGuardOptions {
  /** Failures allowed before each further failure locks the account (from that IP) for a growing time. */
  failuresBeforeDelay: number;
  /** Longest lock after repeated failures. */
  maxDelaySeconds?: number;
}

/** Request-rate limits per key, and growing lock-outs after repeated failures. */
export class RateLimiter {
  constructor(
    readonly store: CounterStore,
    private readonly guard: LoginGuardOptions,
  ) {}

  /** Counts one request against limit per window. */
  async hit(key: string, limit: number, windowSeconds: number): Promise<LimitDecision> {
    if (limit <= 0) return { allowed: true };
    const c = await this.store.increment(`rl:${key}`, windowSeconds * 1000);
    if (c.count <= limit) return { allowed: true };
    return { allowed: false, retryAfterSeconds: Math.max(1, Math.ceil(c.resetInMs / 1000)) };
  }

  /** Whether failures on this key have locked it for now. */
  async locked(key: string): Promise<LimitDecision> {
    const lock = await this.store.get(`lock:${key}`);
    if (!lock) return { allowed: true };
    return { allowed: false, retryAfterSeconds: Math.max(1, Math.ceil(lock.resetInMs / 1000)) };
  }

  /** Records a failure; past the threshold each failure locks the key for twice as long as the last. */
  async failed(key: string): Promise<void> {
    const failures = await this.store.increment(`fail:${key}`, 24 * 3600 * 1000);
    const over = failures.count - this.guard.failuresBeforeDelay;
    if (over < 0) return;
    const seconds = Math.min(this.guard.maxDelaySeconds ?? 900, 2 ** over);
    await this.store.set(`lock:${key}`, 1, seconds * 1000);
  }

  /** A success forgets the failures. */
  async succeeded(key: string): Promise<void> {
    await this.store.delete(`fail:${key}`);
    await this.store.delete(`lock:${key}`);
  }

  async close(): Promise<void> {
    await this.store.close();
  }
}
