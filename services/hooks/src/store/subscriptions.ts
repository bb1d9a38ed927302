// SQL for audit.subscriptions: webhook endpoints, their filters, secrets and failure counters.
import { sql, type Kysely } from '@docksphere/db';
import type { SealedSecret } from '@docksphere/kit';
import type { SubscriptionScope } from '../domain/webhook-filters.ts';

export interface SubscriptionRow {
  id: string;
  scope: SubscriptionScope;
  target: string | null;
  url: string;
  /** The signing secret sealed by SecretBox (see domain/signing-secrets.ts); plain text only when secret_key_id is null. */
  secret: string;
  secret_key_id: string | null;
  events: string[];
  description: string;
  active: boolean;
  consecutive_failures: number;
  disabled_at: Date | null;
  disabled_reason: string | null;
  last_delivery_at: Date | null;
  last_success_at: Date | null;
  created_by: string;
  created_at: Date;
  updated_at: Date;
}

/** What the API shows: everything but the secret. */
export interface SubscriptionView {
  id: string;
  scope: SubscriptionScope;
  target: string | null;
  url: string;
  events: string[];
  description: string;
  active: boolean;
  consecutiveFailures: number;
  disabledAt: string | null;
  disabledReason: string | null;
  lastDeliveryAt: string | null;
  lastSuccessAt: string | null;
  createdBy: string;
  createdAt: string;
  updatedAt: string;
}

const iso = (d: Date | string | null): string | null => (d === null ? null : new Date(d).toISOString());

function fromRow(row: Record<string, unknown>): SubscriptionRow {
  const events = row.events;
  return { ...(row as unknown as SubscriptionRow), events: typeof events === 'string' ? (JSON.parse(events) as string[]) : (events as string[]) };
}

export function subscriptionView(row: SubscriptionRow): SubscriptionView {
  return {
    id: row.id,
    scope: row.scope,
    target: row.target,
    url: row.url,
    events: row.events,
    description: row.description,
    active: row.active,
    consecutiveFailures: row.consecutive_failures,
    disabledAt: iso(row.disabled_at),
    disabledReason: row.disabled_reason,
    lastDeliveryAt: iso(row.last_delivery_at),
    lastSuccessAt: iso(row.last_success_at),
    createdBy: row.created_by,
    createdAt: iso(row.created_at)!,
    updatedAt: iso(row.updated_at)!,
  };
}

export async function insertSubscription(
  db: Kysely<any>,
  s: { id: string; scope: SubscriptionScope; target: string | null; url: string; secret: SealedSecret; events: string[]; description: string; active: boolean; createdBy: string },
): Promise<SubscriptionRow> {
  const row = await db
    .withSchema('audit')
    .insertInto('subscriptions')
    .values({ id: s.id, scope: s.scope, target: s.target, url: s.url, secret: s.secret.ciphertext, secret_key_id: s.secret.keyId, events: JSON.stringify(s.events), description: s.description, active: s.active, created_by: s.createdBy })
    .returningAll()
    .executeTakeFirstOrThrow();
  return fromRow(row);
}

export async function findSubscription(db: Kysely<any>, id: string): Promise<SubscriptionRow | undefined> {
  const row = await db.withSchema('audit').selectFrom('subscriptions').selectAll().where('id', '=', id).executeTakeFirst();
  return row ? fromRow(row) : undefined;
}

/** Subscriptions that may receive an event on this repository (or site-wide ones when repository is undefined). */
export async function candidateSubscriptions(db: Kysely<any>, repository: string | undefined, namespace: string | undefined): Promise<SubscriptionRow[]> {
  const rows = await db
    .withSchema('audit')
    .selectFrom('subscriptions')
    .selectAll()
    .where('active', '=', true)
    .where((eb) =>
      eb.or([
        eb('scope', '=', 'site'),
        ...(repository ? [eb.and([eb('scope', '=', 'repository'), eb('target', '=', repository)])] : []),
        ...(namespace ? [eb.and([eb('scope', '=', 'namespace'), eb('target', '=', namespace)])] : []),
      ]),
    )
    .execute();
  return rows.map(fromRow);
}

export async function listSubscriptions(
  db: Kysely<any>,
  filter: { scope?: SubscriptionScope | undefined; target?: string | undefined },
  page: { limit: number; after?: string | undefined },
): Promise<SubscriptionRow[]> {
  let q = db.withSchema('audit').selectFrom('subscriptions').selectAll();
  if (filter.scope) q = q.where('scope', '=', filter.scope);
  if (filter.target !== undefined) q = q.where('target', '=', filter.target);
  if (page.after) q = q.where('id', '>', page.after);
  return (await q.orderBy('id', 'asc').limit(page.limit).execute()).map(fromRow);
}

export async function updateSubscription(
  db: Kysely<any>,
  id: string,
  change: Partial<{ url: string; events: string[]; description: string; active: boolean; secret: SealedSecret }>,
): Promise<SubscriptionRow | undefined> {
  const values: Record<string, unknown> = { updated_at: sql`now()` };
  if (change.url !== undefined) values.url = change.url;
  if (change.events !== undefined) values.events = JSON.stringify(change.events);
  if (change.description !== undefined) values.description = change.description;
  if (change.secret !== undefined) Object.assign(values, { secret: change.secret.ciphertext, secret_key_id: change.secret.keyId });
  if (change.active !== undefined) {
    values.active = change.active;
    // Turning a subscription back on gives it a fresh start.
    if (change.active) Object.assign(values, { consecutive_failures: 0, disabled_at: null, disabled_reason: null });
  }
  const row = await db.withSchema('audit').updateTable('subscriptions').set(values).where('id', '=', id).returningAll().executeTakeFirst();
  return row ? fromRow(row) : undefined;
}

export async function deleteSubscription(db: Kysely<any>, id: string): Promise<boolean> {
  const result = await db.withSchema('audit').deleteFrom('subscriptions').where('id', '=', id).executeTakeFirst();
  return Number(result.numDeletedRows) > 0;
}

/** Records a delivery's final outcome on its subscription; resolves with the failure count after it. */
export async function recordSubscriptionOutcome(db: Kysely<any>, id: string, delivered: boolean): Promise<{ consecutiveFailures: number; active: boolean } | undefined> {
  const row = await db
    .withSchema('audit')
    .updateTable('subscriptions')
    .set(
      delivered
        ? { consecutive_failures: 0, last_delivery_at: sql`now()`, last_success_at: sql`now()` }
        : { consecutive_failures: sql`consecutive_failures + 1`, last_delivery_at: sql`now()` },
    )
    .where('id', '=', id)
    .returning(['consecutive_failures', 'active'])
    .executeTakeFirst();
  return row ? { consecutiveFailures: Number(row.consecutive_failures), active: Boolean(row.active) } : undefined;
}

/** Disables an active subscription; resolves true when this call did it (false: already off). */
export async function disableSubscription(db: Kysely<any>, id: string, reason: string): Promise<boolean> {
  const result = await db
    .withSchema('audit')
    .updateTable('subscriptions')
    .set({ active: false, disabled_at: sql`now()`, disabled_reason: reason.slice(0, 1000), updated_at: sql`now()` })
    .where('id', '=', id)
    .where('active', '=', true)
    .executeTakeFirst();
  return Number(result.numUpdatedRows) > 0;
}

/** Signing secrets not sealed with the current key (plain text from before encryption, or an older key). */
export async function listUnsealedSecrets(db: Kysely<any>, currentKeyId: string): Promise<{ id: string; secret: string; secret_key_id: string | null }[]> {
  return db
    .withSchema('audit')
    .selectFrom('subscriptions')
    .select(['id', 'secret', 'secret_key_id'])
    .where((eb) => eb.or([eb('secret_key_id', 'is', null), eb('secret_key_id', '!=', currentKeyId)]))
    .execute();
}

/** Replaces a stored secret only if it is still the one read (another replica or a rotation may have won). */
export async function replaceSealedSecret(db: Kysely<any>, id: string, previous: string, sealed: SealedSecret): Promise<boolean> {
  const result = await db
    .withSchema('audit')
    .updateTable('subscriptions')
    .set({ secret: sealed.ciphertext, secret_key_id: sealed.keyId })
    .where('id', '=', id)
    .where('secret', '=', previous)
    .executeTakeFirst();
  return Number(result.numUpdatedRows) > 0;
}
