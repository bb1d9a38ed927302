// Webhook signing secrets at rest: sealed with the configured SecretBox, bound to their
// subscription's id, opened only to sign a delivery; stored values are resealed at start-up.
import type { Kysely } from '@docksphere/db';
import { resealStoredSecrets, type Logger, type SealedSecret, type SecretBox } from '@docksphere/kit';
import { listUnsealedSecrets, replaceSealedSecret, type SubscriptionRow } from '../store/subscriptions.ts';

const context = (subscriptionId: string) => `audit.subscriptions.secret:${subscriptionId}`;

export function sealSigningSecret(box: SecretBox, subscriptionId: string, secret: string): SealedSecret {
  return box.seal(secret, context(subscriptionId));
}

/** The plain signing secret of a subscription (a value from before encryption is read as it is). */
export function signingSecretOf(box: SecretBox, sub: Pick<SubscriptionRow, 'id' | 'secret' | 'secret_key_id'>): string {
  if (sub.secret_key_id === null) return sub.secret;
  return box.open({ keyId: sub.secret_key_id, ciphertext: sub.secret }, context(sub.id));
}

/**
 * Encrypts the secrets still stored in plain text and reseals those under an older key with the
 * current one (the data migration of 004_sealed_secrets, and the second half of a key rotation).
 * Safe to run from several replicas at once: each row is replaced only if unchanged since read.
 */
export async function sealStoredSigningSecrets(db: Kysely<any>, box: SecretBox, logger: Logger): Promise<{ sealed: number; unreadable: number }> {
  // Nothing stored yet: no key is needed, so none is generated.
  const probe = await db.withSchema('audit').selectFrom('subscriptions').select('id').limit(1).executeTakeFirst();
  if (!probe) return { sealed: 0, unreadable: 0 };
  const rows = (await listUnsealedSecrets(db, box.currentKeyId)).map((r) => ({ id: r.id, value: r.secret, keyId: r.secret_key_id }));
  const { sealed, unreadable } = await resealStoredSecrets(box, rows, context, (id, previous, next) => replaceSealedSecret(db, id, previous, next));
  if (unreadable > 0) logger.error({ unreadable }, 'webhook signing secrets sealed with a key that is not configured: add the old key to SECRETS_KEY / SECRETS_KEY_FILE');
  if (sealed > 0) logger.info({ sealed, keyId: box.currentKeyId }, 'webhook signing secrets sealed with the current key');
  return { sealed, unreadable };
}
