// Retry delays for webhook deliveries: exponential, capped, with jitter so endpoints that failed
// together are not retried in lockstep.

export interface BackoffSettings {
  baseMs: number;
  maxMs: number;
}

/** Delay before the attempt after `failedAttempt` (1 = the first attempt failed): in [d/2, d] where d = min(max, base * 2^(n-1)). */
export function retryDelayMs(failedAttempt: number, settings: BackoffSettings, random: () => number = Math.random): number {
  const exponent = Math.min(Math.max(failedAttempt - 1, 0), 30);
  const ceiling = Math.min(settings.maxMs, settings.baseMs * 2 ** exponent);
  return Math.round(ceiling / 2 + random() * (ceiling / 2));
}
