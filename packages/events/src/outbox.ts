// The transactional outbox: a service writes its events into <schema>.outbox in the same
// transaction as the change; the relay publishes them in order and marks them sent.
import { sql, type Kysely, type Migration } from '@docksphere/db';
import type { DomainEvent } from './catalogue.ts';
import type { EventBus } from './bus.ts';

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
  onError?: (err: unknown) => void;
}

/**
 * Publishes unpublished outbox rows in sequence order. Safe with several relays on one database:
 * rows are claimed with FOR UPDATE SKIP LOCKED; a publish that fails leaves the row for the next
 * round, and the bus de-duplicates by event id so a re-publish after a crash is harmless.
 */
export class OutboxRelay {
  private loop: Promise<void> | undefined;
  private stopped = false;
  private timer: NodeJS.Timeout | undefined;
  private wake: (() => void) | undefined;

  constructor(private readonly options: OutboxRelayOptions) {}

  start(): void {
    this.stopped = false;
    this.loop ??= this.run();
  }

  /** Wakes the relay now (called after a commit that wrote events). */
  nudge(): void {
    this.wake?.();
  }

  private async run(): Promise<void> {
    while (!this.stopped) {
      let published = 0;
      try {
        published = await this.drain();
      } catch (err) {
        this.options.onError?.(err);
      }
      if (published === 0 && !this.stopped) await this.idle();
    }
  }

  private idle(): Promise<void> {
    return new Promise<void>((resolve) => {
      this.wake = resolve;
      this.timer = setTimeout(resolve, this.options.intervalMs ?? 250);
    }).then(() => {
      clearTimeout(this.timer);
      this.wake = undefined;
    });
  }

  /** Publishes one batch; resolves with how many rows it published. */
  async drain(): Promise<number> {
    const { db, schema, bus, batchSize = 100 } = this.options;
    return db.transaction().execute(async (trx) => {
      const rows = await trx
        .withSchema(schema)
        .selectFrom('outbox')
        .select(['seq', 'event'])
        .where('published_at', 'is', null)
        .orderBy('seq')
        .limit(batchSize)
        .forUpdate()
        .skipLocked()
        .execute();
      let published = 0;
      for (const row of rows as { seq: number; event: DomainEvent | string }[]) {
        const event = typeof row.event === 'string' ? (JSON.parse(row.event) as DomainEvent) : row.event;
        await bus.publish(event);
        await trx.withSchema(schema).updateTable('outbox').set({ published_at: sql`now()` }).where('seq', '=', row.seq).execute();
        published++;
      }
      return published;
    });
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.wake?.();
    await this.loop;
    this.loop = undefined;
  }
}
