// SQL for audit.deliveries and audit.delivery_attempts: the delivery log, leases that keep one
// attempt at a time per delivery, and the pending deliveries a sweep hands back to the queue.
import { sql, type Kysely } from '@docksphere/db';

export type DeliveryState = 'pending' | 'delivered' | 'failed';

export interface DeliveryRow {
  id: string;
  seq: number;
  subscription_id: string;
  event_id: string;
  event_type: string;
  body: string;
  state: DeliveryState;
  attempts: number;
  next_attempt_at: Date;
  lease_until: Date | null;
  last_status: number | null;
  last_error: string | null;
  redelivery_of: string | null;
  created_at: Date;
  completed_at: Date | null;
}

export interface AttemptRow {
  delivery_id: string;
  attempt: number;
  started_at: Date;
  duration_ms: number;
  url: string;
  remote_address: string | null;
  request_headers: Record<string, string> | string;
  status: number | null;
  response_headers: Record<string, string> | string | null;
  response_body: string | null;
  error: string | null;
}

const iso = (d: Date | string | null): string | null => (d === null ? null : new Date(d).toISOString());
const json = <T>(v: T | string | null): T | null => (typeof v === 'string' ? (JSON.parse(v) as T) : v);

export function deliveryView(row: DeliveryRow) {
  return {
    id: row.id,
    subscriptionId: row.subscription_id,
    eventId: row.event_id,
    eventType: row.event_type,
    state: row.state,
    attempts: Number(row.attempts),
    nextAttemptAt: row.state === 'pending' ? iso(row.next_attempt_at) : null,
    lastStatus: row.last_status,
    lastError: row.last_error,
    redeliveryOf: row.redelivery_of,
    createdAt: iso(row.created_at)!,
    completedAt: iso(row.completed_at),
  };
}

export function attemptView(row: AttemptRow) {
  return {
    attempt: row.attempt,
    startedAt: iso(row.started_at)!,
    durationMs: row.duration_ms,
    url: row.url,
    remoteAddress: row.remote_address,
    requestHeaders: json<Record<string, string>>(row.request_headers) ?? {},
    status: row.status,
    responseHeaders: json<Record<string, string>>(row.response_headers),
    responseBody: row.response_body,
    error: row.error,
  };
}

/** Inserts a delivery; resolves undefined when this event already has its delivery to this subscription. */
export async function insertDelivery(
  db: Kysely<any>,
  d: { id: string; subscriptionId: string; eventId: string; eventType: string; body: string; redeliveryOf?: string | undefined },
): Promise<string | undefined> {
  const row = await db
    .withSchema('audit')
    .insertInto('deliveries')
    .values({ id: d.id, subscription_id: d.subscriptionId, event_id: d.eventId, event_type: d.eventType, body: d.body, state: 'pending', redelivery_of: d.redeliveryOf ?? null })
    .onConflict((oc) => oc.columns(['subscription_id', 'event_id']).where('redelivery_of', 'is', null).doNothing())
    .returning('id')
    .executeTakeFirst();
  return row?.id as string | undefined;
}

export type LeaseResult = { kind: 'leased'; delivery: DeliveryRow } | { kind: 'finished' } | { kind: 'busy'; retryInMs: number } | { kind: 'missing' };

/** Takes the delivery for one attempt (until leaseMs from now), unless it is finished or another worker holds it. */
export async function leaseDelivery(db: Kysely<any>, id: string, leaseMs: number): Promise<LeaseResult> {
  const leased = await db
    .withSchema('audit')
    .updateTable('deliveries')
    .set({ lease_until: sql`now() + make_interval(secs => ${leaseMs / 1000})` })
    .where('id', '=', id)
    .where('state', '=', 'pending')
    .where((eb) => eb.or([eb('lease_until', 'is', null), eb('lease_until', '<', sql<Date>`now()`)]))
    .returningAll()
    .executeTakeFirst();
  if (leased) return { kind: 'leased', delivery: leased as DeliveryRow };
  const row = await db.withSchema('audit').selectFrom('deliveries').select(['state', 'lease_until']).where('id', '=', id).executeTakeFirst();
  if (!row) return { kind: 'missing' };
  if (row.state !== 'pending') return { kind: 'finished' };
  const until = row.lease_until ? new Date(row.lease_until as Date).getTime() : Date.now();
  return { kind: 'busy', retryInMs: Math.max(100, until - Date.now() + 100) };
}

export async function insertAttempt(db: Kysely<any>, a: Omit<AttemptRow, 'request_headers' | 'response_headers'> & { request_headers: Record<string, string>; response_headers: Record<string, string> | null }): Promise<void> {
  await db
    .withSchema('audit')
    .insertInto('delivery_attempts')
    .values({ ...a, request_headers: JSON.stringify(a.request_headers), response_headers: a.response_headers ? JSON.stringify(a.response_headers) : null })
    .onConflict((oc) => oc.columns(['delivery_id', 'attempt']).doNothing())
    .execute();
}

/** Ends an attempt: delivered, failed for good, or pending again until nextAttemptAt; releases the lease. */
export async function settleDelivery(
  db: Kysely<any>,
  id: string,
  outcome: { attempts: number; status: number | null; error: string | null } & ({ state: 'delivered' | 'failed' } | { state: 'pending'; nextAttemptAt: Date }),
): Promise<void> {
  await db
    .withSchema('audit')
    .updateTable('deliveries')
    .set({
      state: outcome.state,
      attempts: outcome.attempts,
      last_status: outcome.status,
      last_error: outcome.error?.slice(0, 2000) ?? null,
      lease_until: null,
      ...(outcome.state === 'pending' ? { next_attempt_at: outcome.nextAttemptAt } : { completed_at: sql`now()` }),
    })
    .where('id', '=', id)
    .execute();
}

export async function findDelivery(db: Kysely<any>, id: string): Promise<DeliveryRow | undefined> {
  return (await db.withSchema('audit').selectFrom('deliveries').selectAll().where('id', '=', id).executeTakeFirst()) as DeliveryRow | undefined;
}

export async function listDeliveries(db: Kysely<any>, subscriptionId: string, page: { limit: number; before?: number | undefined }): Promise<DeliveryRow[]> {
  let q = db.withSchema('audit').selectFrom('deliveries').selectAll().where('subscription_id', '=', subscriptionId);
  if (page.before !== undefined) q = q.where('seq', '<', page.before);
  return (await q.orderBy('seq', 'desc').limit(page.limit).execute()) as DeliveryRow[];
}

export async function listAttempts(db: Kysely<any>, deliveryId: string): Promise<AttemptRow[]> {
  return (await db.withSchema('audit').selectFrom('delivery_attempts').selectAll().where('delivery_id', '=', deliveryId).orderBy('attempt', 'asc').execute()) as AttemptRow[];
}

/** Pending deliveries overdue by more than graceMs and not leased: their queue job was lost (crash, queue restart). */
export async function overdueDeliveries(db: Kysely<any>, graceMs: number, limit: number): Promise<{ id: string; subscription_id: string }[]> {
  return (await db
    .withSchema('audit')
    .selectFrom('deliveries')
    .select(['id', 'subscription_id'])
    .where('state', '=', 'pending')
    .where('next_attempt_at', '<', new Date(Date.now() - graceMs))
    .where((eb) => eb.or([eb('lease_until', 'is', null), eb('lease_until', '<', sql<Date>`now()`)]))
    .orderBy('next_attempt_at', 'asc')
    .limit(limit)
    .execute()) as { id: string; subscription_id: string }[];
}

/** Removes finished deliveries (and their attempts) completed before cutoff; returns how many. */
export async function pruneDeliveries(db: Kysely<any>, cutoff: Date): Promise<number> {
  const result = await db.withSchema('audit').deleteFrom('deliveries').where('state', '<>', 'pending').where('completed_at', '<', cutoff).executeTakeFirst();
  return Number(result.numDeletedRows);
}
