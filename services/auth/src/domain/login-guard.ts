// Applies the rate limits and failure lock-outs around every credential check, and records
// the outcome as an event. Account keys use the name as typed, so unknown names are limited
// exactly like real ones.
import { ApiError } from '@docksphere/kit';
import type { AuthContext } from '../context.ts';
import { actor, recordEvent, type RequestOrigin } from './events.ts';
import type { LimitDecision } from './rate-limit.ts';

export type Channel = 'console' | 'docker';

export function rateLimited(retryAfterSeconds: number): ApiError {
  return new ApiError('RATE_LIMITED', 'too many attempts: try again later', { retryAfterSeconds }, { 'retry-after': String(retryAfterSeconds) });
}

function lockKey(username: string, ip: string | undefined): string {
  return `acct:${username.trim().toLowerCase().slice(0, 128)}|${ip ?? '-'}`;
}

/** Throws RATE_LIMITED (429 + Retry-After) when this attempt must not even be checked. */
export async function admitLogin(ctx: AuthContext, username: string, origin: RequestOrigin, channel: Channel): Promise<void> {
  const r = ctx.settings.rateLimit;
  const decisions: LimitDecision[] = [];
  if (channel === 'console') {
    decisions.push(await ctx.limiter.hit(`login:ip:${origin.ip ?? '-'}`, r.loginPerIpPerMinute, 60));
    decisions.push(await ctx.limiter.hit(`login:acct:${username.trim().toLowerCase().slice(0, 128)}`, r.loginPerAccountPerMinute, 60));
  } else {
    decisions.push(await ctx.limiter.hit(`token:ip:${origin.ip ?? '-'}`, r.tokenPerIpPerMinute, 60));
  }
  decisions.push(await ctx.limiter.locked(lockKey(username, origin.ip)));
  const refused = decisions.filter((d): d is Extract<LimitDecision, { allowed: false }> => !d.allowed);
  if (refused.length > 0) {
    const wait = Math.max(...refused.map((d) => d.retryAfterSeconds));
    await recordEvent(ctx.db, 'auth.login.failed', actor('anonymous', username.slice(0, 128), origin), { username: username.slice(0, 128), reason: 'rate-limited', channel });
    ctx.outboxWritten();
    throw rateLimited(wait);
  }
}

export type FailureReason = 'bad-credentials' | 'disabled' | 'two-factor-required' | 'two-factor-invalid';

export async function loginFailed(ctx: AuthContext, username: string, origin: RequestOrigin, channel: Channel, reason: FailureReason): Promise<void> {
  // Only wrong secrets count towards a lock-out; a right password on a disabled account does not.
  if (reason === 'bad-credentials' || reason === 'two-factor-invalid') await ctx.limiter.failed(lockKey(username, origin.ip));
  await recordEvent(ctx.db, 'auth.login.failed', actor('anonymous', username.slice(0, 128), origin), { username: username.slice(0, 128), reason, channel });
  ctx.outboxWritten();
}

export async function loginSucceeded(ctx: AuthContext, username: string, origin: RequestOrigin): Promise<void> {
  await ctx.limiter.succeeded(lockKey(username, origin.ip));
}
