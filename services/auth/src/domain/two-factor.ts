// Checks a second factor: a TOTP code (each time step accepted once) or an unused backup code.
import { ApiError } from '@docksphere/kit';
import type { AuthContext } from '../context.ts';
import { spendBackupCode } from '../store/backup-codes.ts';
import { claimTotpStep, type UserRow } from '../store/users.ts';
import { backupCodeDigest, matchingStep } from './totp.ts';
import { totpSecretOf } from './totp-secrets.ts';

export type SecondFactor = { code?: string | undefined; backupCode?: string | undefined };

export type SecondFactorResult = { ok: true; usedBackupCode: boolean } | { ok: false };

export async function checkSecondFactor(ctx: AuthContext, user: UserRow, factor: SecondFactor, options: { allowBackupCode: boolean }): Promise<SecondFactorResult> {
  if (!user.totp_secret) return { ok: false };
  if (factor.code !== undefined) {
    let seed: string;
    try {
      seed = totpSecretOf(ctx.secrets, user);
    } catch (err) {
      // Not the user's mistake: the server lacks the key (or the row was altered). Say so, count no failure.
      ctx.logger.error({ userId: user.id, err: { message: (err as Error).message } }, 'cannot open a TOTP secret');
      throw new ApiError('UNAVAILABLE', 'two-factor codes cannot be checked right now: the server cannot read its stored secrets');
    }
    const step = matchingStep(seed, factor.code.replace(/\s/g, ''));
    if (step !== undefined && (await claimTotpStep(ctx.db, user.id, step))) return { ok: true, usedBackupCode: false };
    return { ok: false };
  }
  if (factor.backupCode !== undefined && options.allowBackupCode) {
    if (await spendBackupCode(ctx.db, user.id, backupCodeDigest(user.id, factor.backupCode))) return { ok: true, usedBackupCode: true };
  }
  return { ok: false };
}
