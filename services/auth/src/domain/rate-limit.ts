// Rate limits, growing lock-outs and the per-account guard behind every credential check, on
// rate-limiter-flexible: Redis in the distributed mode (shared by every auth replica), this
// process's memory in the all-in-one.
import { Redis } from 'ioredis';
import { RateLimiterMemory, RateLimiterRedis, RateLimiterRes, type RateLimiterAbstract } from 'rate-limiter-flexible';

export interface LimiterOptions {
  /** Distinguishes counters of different limits in a shared store. */
  keyPrefix: string;
  /** Points allowed per duration. */
  points: number;
  /** Window in seconds. */
  duration: number;
  /** Once over, the key stays refused this many seconds (0: until the window ends). */
  blockDuration?: number;
}

/** Where counters live: makes one limiter per kind of limit. */
export interface LimiterStore {
  create(options: LimiterOptions): RateLimiterAbstract;
  close(): Promise<void>;
}

/** Counters in this process's memory (all-in-one): expired keys are dropped by the library's timers. */
export function memoryLimiterStore(): LimiterStore {
  return { create: (o) => new RateLimiterMemory({ ...o, blockDuration: o.blockDuration ?? 0 }), close: async () => undefined };
}

/** Counters in Redis, shared by every auth replica. */
export function redisLimiterStore(url: string): LimiterStore {
  const redis = new Redis(url, { maxRetriesPerRequest: 2, enableOfflineQueue: true, lazyConnect: false });
  return {
    create: (o) => new RateLimiterRedis({ storeClient: redis, ...o, blockDuration: o.blockDuration ?? 0 }),
    close: async () => {
      redis.disconnect();
    },
  };
}

export type LimitDecision = { allowed: true } | { allowed: false; retryAfterSeconds: number };

const ALLOWED: LimitDecision = { allowed: true };
const refusedFor = (ms: number): LimitDecision => ({ allowed: false, retryAfterSeconds: Math.max(1, Math.ceil(ms / 1000)) });

export interface LoginGuardOptions {
  /** Failures of one (account, address) pair allowed before each further failure locks the pair for a growing time. */
  failuresBeforeDelay: number;
  /** Longest lock after repeated failures. */
  maxDelaySeconds?: number;
}

/** A failure count of one pair is kept this long after its last failure. */
const FAILURE_MEMORY_SECONDS = 24 * 3600;

/** Request-rate limits per key, growing lock-outs after repeated failures, and the per-account guard. */
export class RateLimiter {
  private readonly limiters = new Map<string, RateLimiterAbstract>();

  constructor(
    private readonly store: LimiterStore,
    private readonly guard: LoginGuardOptions,
  ) {}

  private limiter(kind: string, points: number, duration: number, blockDuration = 0): RateLimiterAbstract {
    const keyPrefix = `ds:auth:${kind}:${points}:${duration}:${blockDuration}`;
    let limiter = this.limiters.get(keyPrefix);
    if (!limiter) {
      limiter = this.store.create({ keyPrefix, points, duration, blockDuration });
      this.limiters.set(keyPrefix, limiter);
    }
    return limiter;
  }

  private static async consume(limiter: RateLimiterAbstract, key: string): Promise<LimitDecision> {
    try {
      await limiter.consume(key);
      return ALLOWED;
    } catch (err) {
      if (err instanceof RateLimiterRes) return refusedFor(err.msBeforeNext);
      throw err;
    }
  }

  /** Counts one request against limit per window; limit 0 turns the limit off. */
  async hit(key: string, limit: number, windowSeconds: number): Promise<LimitDecision> {
    if (limit <= 0) return ALLOWED;
    return RateLimiter.consume(this.limiter('rate', limit, windowSeconds), key);
  }

  /** Whether key has used up its limit in this window (or is blocked), without counting. */
  async over(key: string, limit: number, windowSeconds: number, blockSeconds = 0): Promise<LimitDecision> {
    if (limit <= 0) return ALLOWED;
    const res = await this.limiter('rate', limit, windowSeconds, blockSeconds).get(key);
    return res && res.consumedPoints >= limit ? refusedFor(res.msBeforeNext) : ALLOWED;
  }

  /** Counts one event against limit per window; past it the key is refused for blockSeconds. */
  async count(key: string, limit: number, windowSeconds: number, blockSeconds = 0): Promise<LimitDecision> {
    if (limit <= 0) return ALLOWED;
    return RateLimiter.consume(this.limiter('rate', limit, windowSeconds, blockSeconds), key);
  }

  /** Whether failures on this pair have locked it for now. */
  async locked(pair: string): Promise<LimitDecision> {
    const res = await this.limiter('lock', 1, 1).get(pair);
    return res && res.consumedPoints > 1 ? refusedFor(res.msBeforeNext) : ALLOWED;
  }

  /** Whether this pair has failed since its last success (within a day). */
  async hasFailed(pair: string): Promise<boolean> {
    const res = await this.limiter('fail', 1e9, FAILURE_MEMORY_SECONDS).get(pair);
    return res !== null && res.consumedPoints > 0;
  }

  /** Records a failure; past the threshold each failure locks the pair for twice as long as the last. */
  async failed(pair: string): Promise<void> {
    const res = await this.limiter('fail', 1e9, FAILURE_MEMORY_SECONDS).consume(pair);
    const over = res.consumedPoints - this.guard.failuresBeforeDelay;
    if (over < 0) return;
    const seconds = Math.min(this.guard.maxDelaySeconds ?? 900, 2 ** over);
    await this.limiter('lock', 1, 1).block(pair, seconds);
  }

  /** A success forgets the pair's failures and lock. */
  async succeeded(pair: string): Promise<void> {
    await this.limiter('fail', 1e9, FAILURE_MEMORY_SECONDS).delete(pair);
    await this.limiter('lock', 1, 1).delete(pair);
  }

  async close(): Promise<void> {
    await this.store.close();
  }
}
