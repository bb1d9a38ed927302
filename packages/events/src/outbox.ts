// The transactional outbox: a service writes its events into <schema>.outbox in the same
// transaction as the change; the relay leases them, publishes them in order and marks them sent.
import { sql, type Kysely, type Migration } from '@docksphere/db';
import type { DomainEvent } from './catalogue.ts';
import type { EventBus } from './bus.ts';
import { yieldToEventLoop } from './yield.ts';

/** The migration that creates <schema>.outbox; each service lists it among its own. */
export function outboxMigration(schema: string, name = '000_outbox'): Migration {
  return {
    name,
    async up(db) {
      await db.schema
        .withSchema(schema)
        .createTable('outbox')
        .ifNotExists()
        .addColumn('seq', 'bigserial', (c) => c.primaryKey())
        .addColumn('id', 'uuid', (c) => c.notNull().unique())
        .addColumn('type', 'text', (c) => c.notNull())
        .addColumn('event', 'jsonb', (c) => c.notNull())
        .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
        .addColumn('published_at', 'timestamptz')
        // The relay's lease: which relay is publishing the row, and until when (see OutboxRelay).
        .addColumn('claimed_by', 'text')
        .addColumn('claimed_until', 'timestamptz')
        .execute();
      await sql`create index if not exists outbox_unpublished on ${sql.id(schema, 'outbox')} (seq) where published_at is null`.execute(db);
    },
  };
}

/** Appends events to the outbox inside the caller's transaction. */
export async function appendToOutbox(trx: Kysely<any>, schema: string, events: readonly DomainEvent[]): Promise<void> {
  if (events.length === 0) return;
  await trx
    .withSchema(schema)
    .insertInto('outbox')
    .values(events.map((e) => ({ id: e.id, type: e.type, event: JSON.stringify(e) })))
    .execute();
}

export interface OutboxRelayOptions {
  db: Kysely<any>;
  schema: string;
  bus: EventBus;
  /** Poll interval when idle, ms. */
  intervalMs?: number;
  batchSize?: number;
  /** How long a claimed batch is reserved for this relay; after that another relay may take it over. */
  leaseMs?: number;
  /** Upper bound of the back-off between attempts while publishing fails (bus down), ms. */
  maxBackoffMs?: number;
  onError?: (err: unknown) => void;
}

interface OutboxRow {
  seq: number;
  event: DomainEvent | string;
}

/**
 * Publishes unpublished outbox rows in sequence order. The database is never held while the bus is
 * called: a short transaction leases a batch (claimed_by/claimed_until), the events are published
 * outside it, and a second short statement marks them published. Claims are serialised by an advisory
 * lock and a relay only claims when no other relay holds a live lease, so with several relays on one
 * database one publishes at a time and in order; if it dies its lease expires and another takes over.
 * A publish that fails stops the batch, releases the rest, and the relay backs off; the bus
 * de-duplicates by event id, so publishing again after a crash or an expired lease is harmless.
 */
export class OutboxRelay {
  private readonly relayId = crypto.randomUUID();
  private loop: Promise<void> | undefined;
  private stopped = false;
  private timer: NodeJS.Timeout | undefined;
  private wake: (() => void) | undefined;
  /** Set by nudge(); a nudge that lands while a drain runs must not be lost to the next idle wait. */
  private nudged = false;
  private failures = 0;

  constructor(private readonly options: OutboxRelayOptions) {
    if (!/^[a-z_][a-z0-9_]*$/.test(options.schema)) throw new Error(`invalid schema name ${options.schema}`);
  }

  start(): void {
    this.stopped = false;
    this.loop ??= this.run();
  }

  /** Wakes the relay now (called after a commit that wrote events); ignored while backing off after failures. */
  nudge(): void {
    if (this.failures > 0) return;
    this.nudged = true;
    this.wake?.();
  }

  private async run(): Promise<void> {
    while (!this.stopped) {
      let published = 0;
      this.nudged = false;
      try {
        published = await this.drain();
        this.failures = 0;
      } catch (err) {
        this.failures++;
        this.options.onError?.(err);
      }
      if (this.stopped) break;
      if (this.failures > 0) await this.idle(this.backoffMs());
      else if (published === 0 && !this.nudged) await this.idle(this.options.intervalMs ?? 250);
      // A backlog is drained batch after batch; between them requests get the (possibly embedded) database.
      else await yieldToEventLoop();
    }
  }

  private backoffMs(): number {
    const base = this.options.intervalMs ?? 250;
    const max = this.options.maxBackoffMs ?? 10_000;
    return Math.min(max, base * 2 ** Math.min(this.failures, 16));
  }

  private idle(ms: number): Promise<void> {
    return new Promise<void>((resolve) => {
      this.wake = resolve;
      this.timer = setTimeout(resolve, ms);
    }).then(() => {
      clearTimeout(this.timer);
      this.wake = undefined;
    });
  }

  /**
   * Publishes one batch; resolves with how many rows it published (0 when there is nothing to do or
   * another relay holds the lease). Rejects with the bus's error when a publish fails; rows published
   * before the failure are marked, the rest are released for the next attempt.
   */
  async drain(): Promise<number> {
    const rows = await this.claim();
    const published: number[] = [];
    let failure: unknown;
    for (const row of rows) {
      try {
        const event = typeof row.event === 'string' ? (JSON.parse(row.event) as DomainEvent) : row.event;
        await this.options.bus.publish(event);
        published.push(row.seq);
      } catch (err) {
        failure = err;
        break;
      }
    }
    await this.settle(published, rows.length > published.length);
    if (failure !== undefined) throw failure;
    return published.length;
  }

  /** Leases the next batch in one short transaction, or nothing while another relay's lease is live. */
  private async claim(): Promise<OutboxRow[]> {
    const { db, schema, batchSize = 100, leaseMs = 30_000 } = this.options;
    const table = sql.id(schema, 'outbox');
    return db.transaction().execute(async (trx) => {
      await sql`select pg_advisory_xact_lock(hashtext(${`docksphere.outbox.${schema}`}))`.execute(trx);
      const result = await sql<OutboxRow>`
        update ${table} set claimed_by = ${this.relayId}, claimed_until = now() + make_interval(secs => ${leaseMs / 1000})
        where seq in (
          select seq from ${table}
          where published_at is null
          order by seq
          limit ${batchSize}
        )
        and not exists (
          select 1 from ${table}
          where published_at is null and claimed_until > now() and claimed_by <> ${this.relayId}
        )
        returning seq, event`.execute(trx);
      return [...result.rows].sort((a, b) => Number(a.seq) - Number(b.seq));
    });
  }

  /** Marks what was published and hands back whatever this relay still holds. */
  private async settle(published: readonly number[], release: boolean): Promise<void> {
    const { db, schema } = this.options;
    if (published.length > 0) {
      await db
        .withSchema(schema)
        .updateTable('outbox')
        .set({ published_at: sql`now()`, claimed_by: null, claimed_until: null })
        .where('seq', 'in', published)
        .execute();
    }
    if (!release) return;
    await db
      .withSchema(schema)
      .updateTable('outbox')
      .set({ claimed_by: null, claimed_until: null })
      .where('claimed_by', '=', this.relayId)
      .where('published_at', 'is', null)
      .execute();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.wake?.();
    await this.loop;
    this.loop = undefined;
  }
}
