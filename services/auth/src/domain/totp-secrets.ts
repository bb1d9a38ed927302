// TOTP seeds at rest: sealed with the configured SecretBox, bound to their user's id, opened only
// to check a code; stored seeds are resealed at start-up.
import type { Kysely } from '@docksphere/db';
import { resealStoredSecrets, type Logger, type SecretBox } from '@docksphere/kit';
import { listUnsealedTotpSecrets, replaceSealedTotpSecret, type UserRow } from '../store/users.ts';

const context = (userId: string) => `identity.users.totp_secret:${userId}`;

/** The columns to store for a new seed. */
export function sealTotpSecret(box: SecretBox, userId: string, secret: string): { totp_secret: string; totp_secret_key_id: string } {
  const sealed = box.seal(secret, context(userId));
  return { totp_secret: sealed.ciphertext, totp_secret_key_id: sealed.keyId };
}

/** The plain seed of a user with one (a seed from before encryption is read as it is). */
export function totpSecretOf(box: SecretBox, user: Pick<UserRow, 'id' | 'totp_secret' | 'totp_secret_key_id'>): string {
  if (user.totp_secret === null) throw new Error('the user has no TOTP secret');
  if (user.totp_secret_key_id === null) return user.totp_secret;
  return box.open({ keyId: user.totp_secret_key_id, ciphertext: user.totp_secret }, context(user.id));
}

/**
 * Encrypts the seeds still stored in plain text and reseals those under an older key with the
 * current one (the data migration of 002_sealed_totp_secrets, and the second half of a key
 * rotation). Safe from several replicas at once: a row is replaced only if unchanged since read.
 */
export async function sealStoredTotpSecrets(db: Kysely<any>, box: SecretBox, logger: Logger): Promise<{ sealed: number; unreadable: number }> {
  // No seed stored yet: no key is needed, so none is generated.
  const probe = await db.withSchema('identity').selectFrom('users').select('id').where('totp_secret', 'is not', null).limit(1).executeTakeFirst();
  if (!probe) return { sealed: 0, unreadable: 0 };
  const rows = (await listUnsealedTotpSecrets(db, box.currentKeyId)).map((r) => ({ id: r.id, value: r.totp_secret, keyId: r.totp_secret_key_id }));
  const { sealed, unreadable } = await resealStoredSecrets(box, rows, context, (id, previous, next) => replaceSealedTotpSecret(db, id, previous, next));
  if (unreadable > 0) logger.error({ unreadable }, 'TOTP secrets sealed with a key that is not configured: add the old key to SECRETS_KEY / SECRETS_KEY_FILE');
  if (sealed > 0) logger.info({ sealed, keyId: box.currentKeyId }, 'TOTP secrets sealed with the current key');
  return { sealed, unreadable };
}
