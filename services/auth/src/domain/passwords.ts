// Password hashing with argon2id, and the password policy. Unknown accounts are checked against
// a dummy hash so a wrong username costs the same time as a wrong password.
import argon2 from 'argon2';
import type { AuthContext } from '../context.ts';
import type { UserRow } from '../store/users.ts';

export const MIN_PASSWORD_LENGTH = 10;
export const MAX_PASSWORD_LENGTH = 256;

// OWASP's argon2id baseline: 19 MiB, 2 iterations, 1 lane.
const OPTIONS = { type: argon2.argon2id, memoryCost: 19 * 1024, timeCost: 2, parallelism: 1 } as const;

export async function hashPassword(password: string): Promise<string> {
  return argon2.hash(password, OPTIONS);
}

let dummyHash: Promise<string> | undefined;

/** Verifies a password against its hash; with no hash, burns the same time and answers false. */
export async function verifyPassword(hash: string | null | undefined, password: string): Promise<boolean> {
  if (password.length > MAX_PASSWORD_LENGTH) return false;
  if (!hash) {
    dummyHash ??= argon2.hash('docksphere-dummy-password', OPTIONS);
    await argon2.verify(await dummyHash, password).catch(() => false);
    return false;
  }
  try {
    return await argon2.verify(hash, password);
  } catch {
    return false;
  }
}

/** Why a new password is refused, or undefined when it is acceptable. */
export function passwordProblem(password: string, username?: string): string | undefined {
  if (password.length < MIN_PASSWORD_LENGTH) return `password must be at least ${MIN_PASSWORD_LENGTH} characters`;
  if (password.length > MAX_PASSWORD_LENGTH) return `password must be at most ${MAX_PASSWORD_LENGTH} characters`;
  if (username && password.toLowerCase() === username.toLowerCase()) return 'password must differ from the username';
  return undefined;
}

/** Re-checks the signed-in user's password before a sensitive change (the directory's, for LDAP users). */
export async function confirmPassword(ctx: AuthContext, user: UserRow, password: string): Promise<boolean> {
  if (user.source === 'ldap') return ctx.ldap !== undefined && (await ctx.ldap.login(user.username, password)).ok;
  return verifyPassword(user.password_hash, password);
}
