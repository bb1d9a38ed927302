// Applies the rate limits, failure lock-outs and the per-account guard around every credential
// check (console, docker token service, LDAP through both), and records the outcome as an event.
// Account keys use the name as typed, so unknown names are limited exactly like real ones.
import { ApiError } from '@docksphere/kit';
import type { AuthContext } from '../context.ts';
import { actor, recordEvent, type RequestOrigin } from './events.ts';
import type { LimitDecision } from './rate-limit.ts';

export type Channel = 'console' | 'docker';

export function rateLimited(retryAfterSeconds: number): ApiError {
  return new ApiError('RATE_LIMITED', 'too many attempts: try again later', { retryAfterSeconds }, { 'retry-after': String(retryAfterSeconds) });
}

const accountKey = (username: string) => username.trim().toLowerCase().slice(0, 128);
const pairKey = (username: string, ip: string | undefined) => `${accountKey(username)}|${ip ?? '-'}`;

/**
 * Throws RATE_LIMITED (429 + Retry-After) when this attempt must not even be checked:
 * - console only: too many attempts from this address this minute;
 * - too many failures from this address this minute, on any account and channel;
 * - this (account, address) pair is locked after repeated failures (growing delays);
 * - the account is under attack (too many failures from all addresses) and this address has
 *   failed on it: an address that has not failed is still checked, so the real user's right
 *   password (and, with 2FA, code) from their own machine gets in while the attack is slowed to
 *   one guess per address.
 */
export async function admitLogin(ctx: AuthContext, username: string, origin: RequestOrigin, channel: Channel): Promise<void> {
  const r = ctx.settings.rateLimit;
  const ip = origin.ip ?? '-';
  const pair = pairKey(username, origin.ip);
  const decisions: LimitDecision[] = [];
  if (channel === 'console') decisions.push(await ctx.limiter.hit(`login:ip:${ip}`, r.loginPerIpPerMinute, 60));
  decisions.push(await ctx.limiter.over(`fail:ip:${ip}`, r.failuresPerIpPerMinute, 60));
  decisions.push(await ctx.limiter.locked(pair));
  const guard = await ctx.limiter.over(`fail:acct:${accountKey(username)}`, r.loginPerAccountPerMinute, 60, r.accountGuardSeconds);
  if (!guard.allowed && (await ctx.limiter.hasFailed(pair))) decisions.push(guard);
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
  if (reason === 'bad-credentials' || reason === 'two-factor-invalid') {
    const r = ctx.settings.rateLimit;
    await ctx.limiter.failed(pairKey(username, origin.ip));
    await ctx.limiter.count(`fail:ip:${origin.ip ?? '-'}`, r.failuresPerIpPerMinute, 60);
    await ctx.limiter.count(`fail:acct:${accountKey(username)}`, r.loginPerAccountPerMinute, 60, r.accountGuardSeconds);
  }
  await recordEvent(ctx.db, 'auth.login.failed', actor('anonymous', username.slice(0, 128), origin), { username: username.slice(0, 128), reason, channel });
  ctx.outboxWritten();
}

export async function loginSucceeded(ctx: AuthContext, username: string, origin: RequestOrigin): Promise<void> {
  await ctx.limiter.succeeded(pairKey(username, origin.ip));
}
