// SQL for audit.entries: appending to the hash chain, filtered keyset queries, chain verification and retention.
import { sql, type Kysely } from '@docksphere/db';
import { chainHash, GENESIS_HASH, type AuditEntry, type ChainedAuditEntry } from '../domain/audit-entry.ts';

/** Serialises appends (and pruning) so each entry's prev_hash is the hash of the entry before it. */
async function lockChain(trx: Kysely<any>): Promise<void> {
  await sql`select pg_advisory_xact_lock(hashtext('docksphere.audit.chain'))`.execute(trx);
}

interface EntryRow {
  seq: number;
  id: string;
  action: string;
  occurred_at: Date;
  recorded_at: Date;
  actor_subject: string;
  actor_name: string | null;
  ip: string | null;
  user_agent: string | null;
  repository: string | null;
  namespace: string | null;
  target: string | null;
  details: string;
  prev_hash: string;
  hash: string;
}

function toEntry(row: EntryRow): ChainedAuditEntry {
  return {
    seq: Number(row.seq),
    id: row.id,
    action: row.action,
    occurredAt: new Date(row.occurred_at).toISOString(),
    recordedAt: new Date(row.recorded_at).toISOString(),
    actor: { subject: row.actor_subject, name: row.actor_name, ip: row.ip, userAgent: row.user_agent },
    repository: row.repository,
    namespace: row.namespace,
    target: row.target,
    details: JSON.parse(row.details) as Record<string, unknown>,
    prevHash: row.prev_hash,
    hash: row.hash,
  };
}

/**
 * Appends the entry at the head of the chain inside the caller's transaction (which must be the one
 * that records the event as processed). Resolves false when an entry for this event already exists.
 */
export async function appendAuditEntry(trx: Kysely<any>, entry: AuditEntry): Promise<boolean> {
  await lockChain(trx);
  const existing = await trx.withSchema('audit').selectFrom('entries').select('seq').where('id', '=', entry.id).executeTakeFirst();
  if (existing) return false;
  const head = await trx.withSchema('audit').selectFrom('entries').select('hash').orderBy('seq', 'desc').limit(1).executeTakeFirst();
  const anchor = head ? undefined : await trx.withSchema('audit').selectFrom('chain_anchor').select('hash').where('id', '=', 1).executeTakeFirst();
  const prevHash = (head?.hash as string | undefined) ?? (anchor?.hash as string | undefined) ?? GENESIS_HASH;
  await trx
    .withSchema('audit')
    .insertInto('entries')
    .values({
      id: entry.id,
      action: entry.action,
      occurred_at: entry.occurredAt,
      recorded_at: entry.recordedAt,
      actor_subject: entry.actor.subject,
      actor_name: entry.actor.name,
      ip: entry.actor.ip,
      user_agent: entry.actor.userAgent,
      repository: entry.repository,
      namespace: entry.namespace,
      target: entry.target,
      details: JSON.stringify(entry.details),
      prev_hash: prevHash,
      hash: chainHash(prevHash, entry),
    })
    .execute();
  return true;
}

export interface AuditFilter {
  /** Matches the actor's subject ("user:<id>") or name. */
  actor?: string | undefined;
  repository?: string | undefined;
  namespace?: string | undefined;
  /** An event type ("registry.manifest.pushed") or a prefix ending in ".*" ("auth.*"). */
  action?: string | undefined;
  since?: Date | undefined;
  until?: Date | undefined;
}

/** One page, newest first; `before` is the seq the previous page ended at. */
export async function queryAuditEntries(db: Kysely<any>, filter: AuditFilter, page: { limit: number; before?: number | undefined; order?: 'desc' | 'asc'; after?: number | undefined }): Promise<ChainedAuditEntry[]> {
  let q = db.withSchema('audit').selectFrom('entries').selectAll();
  if (filter.actor !== undefined) {
    const actor = filter.actor;
    q = q.where((eb) => eb.or([eb('actor_subject', '=', actor), eb('actor_name', '=', actor)]));
  }
  if (filter.repository !== undefined) q = q.where('repository', '=', filter.repository);
  if (filter.namespace !== undefined) q = q.where('namespace', '=', filter.namespace);
  if (filter.action !== undefined) {
    if (filter.action.endsWith('.*')) {
      const prefix = filter.action.slice(0, -1).replace(/[\\%_]/g, (c) => `\\${c}`);
      q = q.where('action', 'like', `${prefix}%`);
    } else q = q.where('action', '=', filter.action);
  }
  if (filter.since) q = q.where('occurred_at', '>=', filter.since);
  if (filter.until) q = q.where('occurred_at', '<', filter.until);
  if (page.before !== undefined) q = q.where('seq', '<', page.before);
  if (page.after !== undefined) q = q.where('seq', '>', page.after);
  const rows = (await q.orderBy('seq', page.order ?? 'desc').limit(page.limit).execute()) as EntryRow[];
  return rows.map(toEntry);
}

export interface ChainBreak {
  seq: number;
  id: string;
  /** hash: the row's content does not match its hash; link: its prev_hash is not the hash of the entry before. */
  kind: 'hash' | 'link';
  message: string;
}

export interface ChainVerification {
  ok: boolean;
  checked: number;
  firstSeq: number | null;
  /** The head: record it elsewhere to detect later removal of the newest entries. */
  head: { seq: number; hash: string } | null;
  breaks: ChainBreak[];
}

/** Recomputes every hash from the first kept entry to the head, a page at a time (bounded memory). */
export async function verifyAuditChain(db: Kysely<any>, options: { pageSize?: number; maxBreaks?: number } = {}): Promise<ChainVerification> {
  const pageSize = options.pageSize ?? 1000;
  const maxBreaks = options.maxBreaks ?? 100;
  const anchor = await db.withSchema('audit').selectFrom('chain_anchor').select(['hash', 'pruned_through_seq']).where('id', '=', 1).executeTakeFirst();
  let expectedPrev: string = (anchor?.hash as string | undefined) ?? GENESIS_HASH;
  let after = anchor ? Number(anchor.pruned_through_seq) : 0;
  const breaks: ChainBreak[] = [];
  let checked = 0;
  let firstSeq: number | null = null;
  let head: ChainVerification['head'] = null;
  for (;;) {
    const rows = (await db.withSchema('audit').selectFrom('entries').selectAll().where('seq', '>', after).orderBy('seq', 'asc').limit(pageSize).execute()) as EntryRow[];
    for (const row of rows) {
      const entry = toEntry(row);
      firstSeq ??= entry.seq;
      if (entry.prevHash !== expectedPrev && breaks.length < maxBreaks) {
        breaks.push({ seq: entry.seq, id: entry.id, kind: 'link', message: 'prev_hash does not match the hash of the entry before it (an entry was removed, inserted or rewritten)' });
      }
      if (chainHash(entry.prevHash, entry) !== entry.hash && breaks.length < maxBreaks) {
        breaks.push({ seq: entry.seq, id: entry.id, kind: 'hash', message: 'entry content does not match its hash (the entry was modified)' });
      }
      // Continue from the stored hash so one modified row is reported once, not as a cascade.
      expectedPrev = entry.hash;
      head = { seq: entry.seq, hash: entry.hash };
      checked++;
    }
    if (rows.length < pageSize) break;
    after = Number(rows[rows.length - 1]!.seq);
  }
  return { ok: breaks.length === 0, checked, firstSeq, head, breaks };
}

/** Removes entries recorded before cutoff, keeping the last removed hash as the chain's anchor; returns how many. */
export async function pruneAuditEntries(db: Kysely<any>, cutoff: Date, batch = 5000): Promise<number> {
  let total = 0;
  for (;;) {
    const removed = await db.transaction().execute(async (trx) => {
      await lockChain(trx);
      // The newest of the (at most batch) oldest entries past the cutoff.
      const last = (
        await sql<{ seq: number; hash: string }>`
          select seq, hash from audit.entries where seq = (
            select max(seq) from (select seq from audit.entries where recorded_at < ${cutoff} order by seq limit ${batch}) oldest
          )`.execute(trx)
      ).rows[0];
      if (!last) return 0;
      const result = await trx.withSchema('audit').deleteFrom('entries').where('seq', '<=', last.seq).executeTakeFirst();
      await trx
        .withSchema('audit')
        .insertInto('chain_anchor')
        .values({ id: 1, pruned_through_seq: last.seq, hash: last.hash, pruned_at: new Date() })
        .onConflict((oc) => oc.column('id').doUpdateSet({ pruned_through_seq: last.seq, hash: last.hash, pruned_at: new Date() }))
        .execute();
      return Number(result.numDeletedRows);
    });
    total += removed;
    if (removed < batch) return total;
  }
}

/** Entries of one action on one target in a time window (for alert rules): how many, and up to 50 of their ids. */
export async function countRecentEntries(db: Kysely<any>, q: { action: string; target: string; since: Date; until: Date }): Promise<{ count: number; ids: string[] }> {
  const rows = await db
    .withSchema('audit')
    .selectFrom('entries')
    .select(['id', sql<number>`count(*) over ()`.as('total')])
    .where('action', '=', q.action)
    .where('target', '=', q.target)
    .where('occurred_at', '>=', q.since)
    .where('occurred_at', '<=', q.until)
    .orderBy('seq', 'desc')
    .limit(50)
    .execute();
  return { count: rows.length === 0 ? 0 : Number(rows[0]!.total), ids: rows.map((r) => r.id as string) };
}
