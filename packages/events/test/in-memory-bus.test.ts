// The in-process bus and the outbox relay leave room for other work: on embedded PGlite no query waits
// for I/O, so without a macrotask boundary between events a backlog would keep HTTP requests waiting.
import { describe, expect, it } from 'vitest';
import { migrate, openDatabase } from '@docksphere/db';
import { appendToOutbox, InMemoryBus, newEvent, outboxMigration, OutboxRelay, type EventBus } from '../src/index.ts';

describe('InMemoryBus', () => {
  it('lets pending I/O callbacks run before each handler call', async () => {
    const bus = new InMemoryBus();
    const order: string[] = [];
    await bus.subscribe('registry.>', 'a', async (e) => void order.push(`a:${(e.payload as { reference: string }).reference}`));
    await bus.subscribe('>', 'b', async (e) => void order.push(`b:${(e.payload as { reference: string }).reference}`));
    const pulled = (reference: string) => newEvent('registry.image.pulled', { subject: 'anonymous' }, { repository: 'r/x', digest: 'sha256:0', reference, mediaType: 'm' });
    setImmediate(() => order.push('io-1'));
    const first = bus.publish(pulled('1'));
    await first;
    setImmediate(() => order.push('io-2'));
    await bus.publish(pulled('2'));
    expect(order).toEqual(['io-1', 'a:1', 'b:1', 'io-2', 'a:2', 'b:2']);
  });

  it('still delivers to every matching subscriber after a failing one, retrying it 3 times', async () => {
    const bus = new InMemoryBus();
    let failing = 0;
    const seen: string[] = [];
    await bus.subscribe('>', 'bad', async () => {
      failing++;
      throw new Error('down');
    });
    await bus.subscribe('>', 'good', async (e) => void seen.push(e.id));
    const e = newEvent('auth.user.deleted', { subject: 'system' }, { userId: 'u', username: 'x' });
    const warnings: string[] = [];
    const onWarning = (w: Error) => warnings.push(w.message);
    process.on('warning', onWarning);
    await bus.publish(e);
    await new Promise((r) => setImmediate(r));
    process.off('warning', onWarning);
    expect(failing).toBe(3);
    expect(seen).toEqual([e.id]);
    expect(warnings.some((w) => w.includes(e.id))).toBe(true);
  });
});

describe('OutboxRelay on PGlite', () => {
  it('lets other work run between the batches of a backlog', async () => {
    const database = await openDatabase({ dataDir: 'memory://' });
    try {
      await migrate(database.db, 'relayyield', [outboxMigration('relayyield')]);
      const events = Array.from({ length: 200 }, (_, i) => newEvent('auth.user.deleted', { subject: 'system' }, { userId: `u${i}`, username: `x${i}` }));
      await database.db.transaction().execute((trx) => appendToOutbox(trx, 'relayyield', events));
      // A bus with no subscribers: the only macrotask boundaries are the relay's own.
      const published: string[] = [];
      const bus: EventBus = { publish: async (e) => void published.push(e.id), subscribe: async () => ({ close: async () => {} }), close: async () => {} };
      const relay = new OutboxRelay({ db: database.db, schema: 'relayyield', bus, batchSize: 20, intervalMs: 60_000 });
      let ticks = 0;
      let ticking = true;
      const tick = () => {
        ticks++;
        if (ticking) setImmediate(tick);
      };
      setImmediate(tick);
      const startTicks = ticks;
      relay.start();
      const deadline = Date.now() + 20_000;
      while (published.length < events.length && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
      ticking = false;
      await relay.stop();
      expect(published).toEqual(events.map((e) => e.id));
      // 10 batches: the ticker got in between them, not only before the first or after the last.
      expect(ticks - startTicks).toBeGreaterThanOrEqual(9);
    } finally {
      await database.close();
    }
  });
});
