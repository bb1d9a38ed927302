// The outbox end to end: rows written in a transaction reach consumers through the relay exactly once,
// whether NATS is down meanwhile, a publish fails midway, or two relays share one Postgres.
import { migrate, openDatabase, sql, type Database, type Kysely, type Migration } from '@docksphere/db';
import { postgresBinDir, requireServer, startPostgres, waitUntil, type RunningPostgres } from '@docksphere/infra';
import { connect } from 'nats';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  appendToOutbox,
  connectNatsBus,
  handleOnce,
  outboxMigration,
  OutboxRelay,
  processedEventsMigration,
  type DomainEvent,
  type EventBus,
  type NatsJetStreamBus,
} from '../src/index.ts';
import { natsInstalled, pushed, recordingLogger, restartableNats, sleep, type RestartableNats } from './servers.ts';

const SCHEMA = 'svc';
const receivedTable: Migration = {
  name: '001_received',
  async up(db) {
    await db.schema.withSchema(SCHEMA).createTable('received').addColumn('event_id', 'text', (c) => c.notNull()).addColumn('tag', 'text').execute();
  },
};

async function openMigrated(url?: string): Promise<Database> {
  const database = await openDatabase(url ? { url } : { dataDir: 'memory://' });
  await migrate(database.db, SCHEMA, [outboxMigration(SCHEMA), processedEventsMigration(SCHEMA), receivedTable]);
  return database;
}

/** Writes each event in its own transaction, as a service's store would with its change. */
async function write(db: Kysely<any>, events: readonly DomainEvent[]): Promise<void> {
  for (const event of events) await db.transaction().execute((trx) => appendToOutbox(trx, SCHEMA, [event]));
}

async function outboxState(db: Kysely<any>): Promise<{ unpublished: number; claimed: number }> {
  const row = await db
    .withSchema(SCHEMA)
    .selectFrom('outbox')
    .select([sql<number>`count(*) filter (where published_at is null)`.as('unpublished'), sql<number>`count(claimed_by)`.as('claimed')])
    .executeTakeFirstOrThrow();
  return { unpublished: Number(row.unpublished), claimed: Number(row.claimed) };
}

/** A bus that records every publish, optionally failing or stalling on demand. */
class RecordingBus implements EventBus {
  readonly published: string[] = [];
  failWhen: (event: DomainEvent) => boolean = () => false;
  stall: Promise<void> | undefined;
  async publish(event: DomainEvent): Promise<void> {
    if (this.stall) await this.stall;
    if (this.failWhen(event)) throw new Error(`bus refused ${event.id}`);
    await sleep(1);
    this.published.push(event.id);
  }
  async subscribe(): Promise<never> {
    throw new Error('not used');
  }
  async close(): Promise<void> {}
}

// PGlite takes seconds to boot on a busy machine: one instance serves every PGlite test, emptied between them.
let pglite: Database;
beforeAll(async () => {
  pglite = await openMigrated();
});
afterAll(async () => pglite?.close());
afterEach(async () => {
  await sql`truncate ${sql.id(SCHEMA, 'outbox')}, ${sql.id(SCHEMA, 'received')}, ${sql.id(SCHEMA, 'processed_events')}`.execute(pglite.db);
});

describe('handleOnce (PGlite)', () => {
  let database: Database;
  beforeAll(() => {
    database = pglite;
  });

  it('runs the handler once per consumer and event id, and again for another consumer', async () => {
    const { db } = database;
    const event = pushed('once');
    const insert = (trx: Kysely<any>) => trx.withSchema(SCHEMA).insertInto('received').values({ event_id: event.id, tag: 'x' }).execute().then(() => {});
    expect(await handleOnce(db, SCHEMA, 'audit', event, insert)).toBe(true);
    expect(await handleOnce(db, SCHEMA, 'audit', event, insert)).toBe(false);
    expect(await handleOnce(db, SCHEMA, 'webhooks', event, insert)).toBe(true);
    const rows = await db.withSchema(SCHEMA).selectFrom('received').selectAll().where('event_id', '=', event.id).execute();
    expect(rows).toHaveLength(2);
  });

  it('records nothing when the handler fails, so the redelivery runs it again', async () => {
    const { db } = database;
    const event = pushed('fails-first');
    await expect(
      handleOnce(db, SCHEMA, 'audit', event, async (trx) => {
        await trx.withSchema(SCHEMA).insertInto('received').values({ event_id: event.id, tag: 'half' }).execute();
        throw new Error('downstream unavailable');
      }),
    ).rejects.toThrow('downstream unavailable');
    expect(await db.withSchema(SCHEMA).selectFrom('received').selectAll().where('event_id', '=', event.id).execute()).toEqual([]);
    expect(await handleOnce(db, SCHEMA, 'audit', event, async (trx) => void (await trx.withSchema(SCHEMA).insertInto('received').values({ event_id: event.id, tag: 'ok' }).execute()))).toBe(true);
    expect(await db.withSchema(SCHEMA).selectFrom('received').select('tag').where('event_id', '=', event.id).execute()).toEqual([{ tag: 'ok' }]);
  });
});

describe('OutboxRelay (PGlite)', () => {
  it('publishes in sequence order; a failed publish marks those before it, releases the rest and is reported', async () => {
    const { db } = pglite;
    const bus = new RecordingBus();
    const events = [pushed('1'), pushed('2'), pushed('3'), pushed('4')];
    await write(db, events);
    bus.failWhen = (e) => e.id === events[2]!.id;
    const relay = new OutboxRelay({ db, schema: SCHEMA, bus });
    await expect(relay.drain()).rejects.toThrow(`bus refused ${events[2]!.id}`);
    expect(bus.published).toEqual([events[0]!.id, events[1]!.id]);
    expect(await outboxState(db)).toEqual({ unpublished: 2, claimed: 0 });
    bus.failWhen = () => false;
    expect(await relay.drain()).toBe(2);
    expect(bus.published).toEqual(events.map((e) => e.id));
    expect(await outboxState(db)).toEqual({ unpublished: 0, claimed: 0 });
    expect(await relay.drain()).toBe(0);
  });

  it('an event committed while a drain finds nothing is published on its nudge, not after the idle poll', async () => {
    const { db } = pglite;
    const bus = new RecordingBus();
    // An idle poll far longer than the test: only the nudge can explain a publish.
    const relay = new OutboxRelay({ db, schema: SCHEMA, bus, intervalMs: 600_000 });
    const late = pushed('late');
    const drain = relay.drain.bind(relay);
    let calls = 0;
    // The first drain claims nothing; the writer commits and nudges before that drain returns.
    relay.drain = async () => {
      const n = await drain();
      if (++calls === 1) {
        await write(db, [late]);
        relay.nudge();
      }
      return n;
    };
    relay.start();
    try {
      await waitUntil('the nudged event is published', async () => bus.published.includes(late.id), { timeoutMs: 5_000 });
    } finally {
      await relay.stop();
    }
    expect(bus.published).toEqual([late.id]);
  });
});

describe.skipIf(!natsInstalled)('outbox to consumer through NATS (PGlite)', () => {
  let nats: RestartableNats;
  let database: Database;
  const cleanup: (() => Promise<void>)[] = [];

  // A fresh server per test: a durable consumer starts at the stream's first event.
  beforeEach(async () => {
    nats = await restartableNats();
  });
  afterEach(async () => {
    for (const fn of cleanup.splice(0).reverse()) await fn().catch(() => {});
    await nats.destroy();
  });

  async function setup(
    publishTimeoutMs: number,
    durable: string,
    duplicateWindowMs?: number,
  ): Promise<{ bus: NatsJetStreamBus; relay: OutboxRelay; errors: unknown[] }> {
    database = pglite;
    const { db } = database;
    const bus = await connectNatsBus({ servers: nats.url, publishTimeoutMs, logger: recordingLogger(), ...(duplicateWindowMs ? { duplicateWindowMs } : {}) });
    cleanup.push(() => bus.close());
    await bus.subscribe('registry.>', durable, (event) =>
      handleOnce(db, SCHEMA, durable, event, async (trx) => {
        await trx.withSchema(SCHEMA).insertInto('received').values({ event_id: event.id, tag: (event as DomainEvent<'registry.manifest.pushed'>).payload.tag }).execute();
      }).then(() => {}),
    );
    const errors: unknown[] = [];
    const relay = new OutboxRelay({ db, schema: SCHEMA, bus, intervalMs: 50, maxBackoffMs: 500, onError: (err) => errors.push(err) });
    relay.start();
    cleanup.push(() => relay.stop());
    return { bus, relay, errors };
  }

  async function receivedCounts(db: Kysely<any>): Promise<Map<string, number>> {
    const rows = await db.withSchema(SCHEMA).selectFrom('received').select(['event_id', sql<number>`count(*)`.as('n')]).groupBy('event_id').execute();
    return new Map(rows.map((r: { event_id: string; n: number }) => [r.event_id, Number(r.n)]));
  }

  it('events written while NATS is down reach the consumer exactly once after it is back', async () => {
    const { errors } = await setup(500, 'hooks-outage');
    const { db } = database;
    const before = Array.from({ length: 5 }, (_, i) => pushed(`before-${i}`));
    await write(db, before);
    await waitUntil('first events consumed', async () => (await receivedCounts(db)).size === 5, { timeoutMs: 15_000 });

    await nats.stop();
    const during = Array.from({ length: 10 }, (_, i) => pushed(`during-${i}`));
    await write(db, during);
    await waitUntil('relay reports failed publishes', async () => errors.length >= 2, { timeoutMs: 15_000 });
    // Nothing was lost or left leased: every row waits for the next attempt.
    await waitUntil('rows released', async () => (await outboxState(db)).claimed === 0, { timeoutMs: 5_000 });
    expect((await outboxState(db)).unpublished).toBe(10);

    await nats.start();
    await waitUntil('all events consumed', async () => (await receivedCounts(db)).size === 15, { timeoutMs: 30_000 });
    await sleep(1_000);
    const counts = await receivedCounts(db);
    expect([...counts.keys()].sort()).toEqual([...before, ...during].map((e) => e.id).sort());
    expect([...counts.values()].every((n) => n === 1)).toBe(true);
    expect(await outboxState(db)).toEqual({ unpublished: 0, claimed: 0 });
  });

  it('an event published again after the duplicate window (its mark was lost) is delivered but handled only once', async () => {
    await setup(2_000, 'hooks-replay', 1_000);
    const { db } = database;
    const events = Array.from({ length: 3 }, (_, i) => pushed(`replay-${i}`));
    await write(db, events);
    await waitUntil('consumed', async () => (await receivedCounts(db)).size === 3, { timeoutMs: 15_000 });
    await sleep(1_500);
    // Past the duplicate window: as if the relay had crashed between publishing and marking: the rows go out a second time.
    await db.withSchema(SCHEMA).updateTable('outbox').set({ published_at: null }).execute();
    await waitUntil('republished', async () => (await outboxState(db)).unpublished === 0, { timeoutMs: 15_000 });
    const nc = await connect({ servers: nats.url });
    cleanup.push(() => nc.close());
    const jsm = await nc.jetstreamManager();
    await waitUntil('duplicates stored and consumed', async () => {
      const info = await jsm.consumers.info('DOCKSPHERE', 'hooks-replay');
      // Six stored messages reached the consumer: JetStream no longer recognised the copies.
      return info.delivered.stream_seq === 6 && info.num_ack_pending === 0;
    }, { timeoutMs: 15_000 });
    const counts = await receivedCounts(db);
    expect([...counts.keys()].sort()).toEqual(events.map((e) => e.id).sort());
    expect([...counts.values()]).toEqual([1, 1, 1]);
  });

  it('the database stays usable while the relay waits on a NATS that does not answer', async () => {
    await setup(30_000, 'hooks-stuck');
    const { db } = database;
    nats.pause();
    try {
      const stuck = pushed('stuck');
      await write(db, [stuck]);
      // The relay has leased the row and waits for JetStream's ack, which does not come...
      await waitUntil('row leased', async () => (await outboxState(db)).claimed === 1, { timeoutMs: 10_000 });
      // ...while other transactions on PGlite's single connection still go through.
      const more = Array.from({ length: 5 }, (_, i) => pushed(`more-${i}`));
      await write(db, more);
      expect(await outboxState(db)).toEqual({ unpublished: 6, claimed: 1 });
    } finally {
      nats.resume();
    }
    await waitUntil('all consumed', async () => (await receivedCounts(db)).size === 6, { timeoutMs: 30_000 });
    await sleep(500);
    const counts = await receivedCounts(db);
    expect([...counts.values()].every((n) => n === 1)).toBe(true);
    expect(await outboxState(db)).toEqual({ unpublished: 0, claimed: 0 });
  });
});

const postgresInstalled = requireServer('postgres', postgresBinDir() !== undefined);

describe.skipIf(!postgresInstalled)('OutboxRelay (real Postgres, two relays)', () => {
  let pg: RunningPostgres;
  beforeAll(async () => {
    pg = await startPostgres({ database: 'outbox_relays' });
  });
  afterAll(async () => pg?.stop());

  it('two relays on one database publish every row exactly once, in sequence order', async () => {
    const database = await openMigrated(pg.createDatabase('two_relays'));
    const { db } = database;
    const bus = new RecordingBus();
    const relays = [0, 1].map(() => new OutboxRelay({ db, schema: SCHEMA, bus, intervalMs: 5, batchSize: 20 }));
    try {
      const events = Array.from({ length: 200 }, (_, i) => pushed(`e${i}`));
      for (const relay of relays) relay.start();
      // Written while both relays poll, in a few transactions of several events each.
      for (let i = 0; i < events.length; i += 25) await db.transaction().execute((trx) => appendToOutbox(trx, SCHEMA, events.slice(i, i + 25)));
      await waitUntil('all published', async () => (await outboxState(db)).unpublished === 0, { timeoutMs: 30_000 });
      expect(bus.published).toEqual(events.map((e) => e.id));
    } finally {
      for (const relay of relays) await relay.stop();
      await database.close();
    }
  });

  it('when the relay holding a lease stalls, another takes the rows over once the lease expires', async () => {
    const database = await openMigrated(pg.createDatabase('lease_takeover'));
    const { db } = database;
    const stalledBus = new RecordingBus();
    let release!: () => void;
    stalledBus.stall = new Promise<void>((resolve) => (release = resolve));
    const healthyBus = new RecordingBus();
    const stalled = new OutboxRelay({ db, schema: SCHEMA, bus: stalledBus, intervalMs: 5, leaseMs: 1_000 });
    const healthy = new OutboxRelay({ db, schema: SCHEMA, bus: healthyBus, intervalMs: 5, leaseMs: 1_000 });
    try {
      const events = Array.from({ length: 10 }, (_, i) => pushed(`t${i}`));
      await write(db, events);
      stalled.start();
      await waitUntil('stalled relay holds the lease', async () => (await outboxState(db)).claimed === 10, { timeoutMs: 10_000 });
      healthy.start();
      await waitUntil('taken over and published', async () => (await outboxState(db)).unpublished === 0, { timeoutMs: 15_000 });
      expect(healthyBus.published).toEqual(events.map((e) => e.id));
      expect(stalledBus.published).toEqual([]);
    } finally {
      release();
      await stalled.stop();
      await healthy.stop();
      await database.close();
    }
  });
});
