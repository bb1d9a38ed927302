// Creating accounts: the one path signup, admin creation and bootstrap share, so the same
// username, email and password rules hold everywhere.
import { ApiError } from '@docksphere/kit';
import type { Kysely } from '@docksphere/db';
import { insertUser, type UserRow } from '../store/users.ts';
import { hashPassword, passwordProblem } from './passwords.ts';
import { usernameProblem } from './usernames.ts';
import { actor, recordEvent, type RequestOrigin } from './events.ts';

export const EMAIL_PATTERN = '^[^\\s@]{1,64}@[^\\s@]{1,255}$';
const EMAIL = new RegExp(EMAIL_PATTERN);

export interface AccountInput {
  username: string;
  email: string;
  displayName?: string | undefined;
  password: string;
  admin?: boolean;
}

/** Validates and inserts a local account with its creation event; throws ApiError on bad input. */
export async function createLocalAccount(
  db: Kysely<any>,
  input: AccountInput,
  source: 'signup' | 'admin' | 'bootstrap',
  who: { subject: string; name?: string | undefined; origin: RequestOrigin },
): Promise<UserRow> {
  const username = input.username.trim().toLowerCase();
  const problem = usernameProblem(username) ?? (EMAIL.test(input.email) ? undefined : 'email is not a valid address') ?? passwordProblem(input.password, username);
  if (problem) throw new ApiError('VALIDATION_FAILED', problem);
  const passwordHash = await hashPassword(input.password);
  const res = await insertUser(db, { username, email: input.email.trim(), displayName: input.displayName?.trim() || username, passwordHash, source: 'local', admin: input.admin ?? false });
  if (!res.created) throw new ApiError('CONFLICT', res.conflict === 'username' ? 'that username is taken' : 'that email is already registered');
  await recordEvent(db, 'auth.user.created', actor(who.subject, who.name, who.origin), { userId: res.user.id, username, source });
  return res.user;
}
