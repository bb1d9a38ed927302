// Checks a second factor: a TOTP code (each time step accepted once) or an unused backup code.
import type { AuthContext } from '../context.ts';
import { spendBackupCode } from '../store/backup-codes.ts';
import { claimTotpStep, type UserRow } from '../store/users.ts';
import { backupCodeDigest, matchingStep } from './totp.ts';

export type SecondFactor = { code?: string | undefined; backupCode?: string | undefined };

export type SecondFactorResult = { ok: true; usedBackupCode: boolean } | { ok: false };

export async function checkSecondFactor(ctx: AuthContext, user: UserRow, factor: SecondFactor, options: { allowBackupCode: boolean }): Promise<SecondFactorResult> {
  if (!user.totp_secret) return { ok: false };
  if (factor.code !== undefined) {
    const step = matchingStep(user.totp_secret, factor.code.replace(/\s/g, ''));
    if (step !== undefined && (await claimTotpStep(ctx.db, user.id, step))) return { ok: true, usedBackupCode: false };
    return { ok: false };
  }
  if (factor.backupCode !== undefined && options.allowBackupCode) {
    if (await spendBackupCode(ctx.db, user.id, backupCodeDigest(user.id, factor.backupCode))) return { ok: true, usedBackupCode: true };
  }
  return { ok: false };
}
