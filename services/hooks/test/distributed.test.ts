// The distributed mode with real servers: Postgres, NATS JetStream and Redis (BullMQ). Events published
// while the hooks service is down are recorded once when it starts; duplicates and malformed messages
// neither double-record nor block the stream; webhook deliveries on BullMQ reach a receiver that was
// down once it is back, once per delivery id, with the failed attempts logged; two replicas share the work.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect, headers as natsHeaders, type NatsConnection } from 'nats';
import { openDatabase, sql, type Database } from '@docksphere/db';
import { connectNatsBus, type NatsJetStreamBus } from '@docksphere/events';
import { hasCommand, postgresBinDir, requireServer, startNats, startPostgres, startRedis, type RunningNats, type RunningPostgres, type RunningRedis } from '@docksphere/infra';
import { BullMqDeliveryQueue, verifySignature } from '../src/index.ts';
import { ADMIN, consoleKeys, pushed, silent, startHooks, startReceiver, testConfig, waitFor, type ConsoleKeys, type Receiver, type TestHooks } from './helpers.ts';

const available =
  requireServer('PostgreSQL', postgresBinDir() !== undefined) &&
  requireServer('nats-server', hasCommand('nats-server')) &&
  requireServer('redis-server', hasCommand('redis-server'));

const ENV = {
  WEBHOOK_ALLOWLIST: '127.0.0.1/32',
  WEBHOOK_BACKOFF_BASE_MS: '100',
  WEBHOOK_BACKOFF_MAX_MS: '500',
  WEBHOOK_MAX_ATTEMPTS: '30',
  WEBHOOK_ENDPOINT_CONCURRENCY: '2',
};

describe.skipIf(!available)('hooks on Postgres, NATS JetStream and BullMQ', () => {
  let postgres: RunningPostgres;
  let nats: RunningNats;
  let redis: RunningRedis;
  let database: Database;
  let raw: NatsConnection;
  let publisher: NatsJetStreamBus;
  let keys: ConsoleKeys;
  const running: TestHooks[] = [];
  const buses: NatsJetStreamBus[] = [];

  beforeAll(async () => {
    [postgres, nats, redis] = await Promise.all([startPostgres(), startNats(), startRedis()]);
    database = await openDatabase({ url: postgres.url, maxConnections: 10 });
    publisher = await connectNatsBus({ servers: nats.url, logger: silent, name: 'test-publisher' });
    raw = await connect({ servers: nats.url });
    keys = await consoleKeys();
  });

  afterAll(async () => {
    for (const h of [...running]) await h.close().catch((err: Error) => console.error('closing hooks failed', err));
    for (const b of buses) await b.close().catch((err: Error) => console.error('closing a bus failed', err));
    await publisher?.close();
    await raw?.close();
    await database?.close();
    // pg's Pool.end() resolves before its clients' sockets have closed; a server stopped in that
    // moment sends them a FATAL nobody listens for any more (an uncaught error in the test run).
    await new Promise((r) => setTimeout(r, 300));
    await Promise.all([postgres?.stop(), nats?.stop(), redis?.stop()]);
  });

  /** One hooks replica: its own NATS connection and BullMQ queue, sharing the database, stream and Redis. */
  async function startReplica(): Promise<TestHooks> {
    const bus = await connectNatsBus({ servers: nats.url, logger: silent, retryDelaysMs: [100], ackWaitMs: 5_000, name: 'test-hooks' });
    buses.push(bus);
    const config = testConfig(ENV);
    const queue = new BullMqDeliveryQueue({
      redisUrl: redis.url,
      prefix: 'hooks-test',
      concurrency: 8,
      perEndpointConcurrency: config.hooks.delivery.perEndpointConcurrency,
      jobTimeoutMs: config.hooks.delivery.timeoutMs,
      logger: silent,
    });
    const hooks = await startHooks({ db: database.db, env: ENV, bus, queue, keys });
    running.push(hooks);
    return hooks;
  }

  async function stopReplica(hooks: TestHooks): Promise<void> {
    await hooks.close();
    running.splice(running.indexOf(hooks), 1);
  }

  const entryCount = async (id: string) => Number((await sql<{ n: number }>`select count(*)::int as n from audit.entries where id = ${id}`.execute(database.db)).rows[0]!.n);

  it('records an event published while the hooks service was down once it starts, and catches up after a restart', async () => {
    const before = pushed('team/early');
    await publisher.publish(before);
    const hooks = await startReplica();
    await waitFor('the early event', async () => (await entryCount(before.id)) === 1);

    await stopReplica(hooks);
    const whileDown = [pushed('team/down', 'a'), pushed('team/down', 'b')];
    for (const e of whileDown) await publisher.publish(e);
    await startReplica();
    for (const e of whileDown) await waitFor(`event ${e.payload.tag}`, async () => (await entryCount(e.id)) === 1);
    expect(await entryCount(before.id)).toBe(1);
  });

  it('records a duplicated event once, even when JetStream does not catch the duplicate', async () => {
    const e = pushed('team/dup');
    await publisher.publish(e);
    await publisher.publish(e); // same message id: dropped by JetStream
    // A second copy with another message id (a re-publish after the duplicate window) reaches the consumer.
    const h = natsHeaders();
    h.set('Nats-Msg-Id', `${e.id}-again`);
    await raw.jetstream().publish(`ds.${e.type}`, new TextEncoder().encode(JSON.stringify(e)), { headers: h });
    const marker = pushed('team/dup-marker');
    await publisher.publish(marker);
    await waitFor('the marker', async () => (await entryCount(marker.id)) === 1);
    expect(await entryCount(e.id)).toBe(1);
  });

  it('does not let a malformed event block the stream', async () => {
    const js = raw.jetstream();
    await js.publish('ds.registry.manifest.pushed', new TextEncoder().encode('{not json'));
    await js.publish('ds.registry.manifest.pushed', new TextEncoder().encode(JSON.stringify({ id: 'no-type-or-actor' })));
    await js.publish('ds.registry.manifest.pushed', new TextEncoder().encode(JSON.stringify({ ...pushed('x/y'), type: 'registry.tag.deleted' })));
    const after = pushed('team/after-garbage');
    await publisher.publish(after);
    await waitFor('the event after the garbage', async () => (await entryCount(after.id)) === 1);
    expect(await entryCount('no-type-or-actor')).toBe(0);
  });

  describe('webhook deliveries on BullMQ', () => {
    let receiver: Receiver;
    beforeAll(async () => {
      receiver = await startReceiver();
    });
    afterAll(async () => {
      await receiver?.stop();
    });

    it('delivers to a receiver that was down, once it is back: once per delivery id, with the failed attempts logged', async () => {
      const [hooks] = running;
      const created = await hooks!.app.inject({
        method: 'POST',
        url: '/api/webhooks',
        headers: await hooks!.auth(ADMIN),
        payload: { url: `http://127.0.0.1:${receiver.port}/down-then-up`, scope: 'namespace', target: 'outage', events: ['pushed'] },
      });
      expect(created.statusCode).toBe(201);
      const { webhook, secret } = created.json() as { webhook: { id: string }; secret: string };
      await receiver.stop();
      const events = [pushed('outage/a'), pushed('outage/b'), pushed('outage/c')];
      for (const e of events) await publisher.publish(e);
      // Every delivery has failed at least twice against the closed port before the receiver returns.
      await waitFor('failed attempts', async () => {
        const rows = (await sql<{ attempts: number }>`select attempts from audit.deliveries where subscription_id = ${webhook.id}`.execute(database.db)).rows;
        return rows.length === 3 && rows.every((r) => r.attempts >= 2);
      });
      expect(receiver.received.filter((r) => r.url === '/down-then-up')).toHaveLength(0);
      await receiver.start();

      const delivered = await waitFor('all delivered', async () => {
        const rows = (await sql<{ id: string; state: string; attempts: number; event_id: string }>`select id, state, attempts, event_id from audit.deliveries where subscription_id = ${webhook.id}`.execute(database.db)).rows;
        return rows.length === 3 && rows.every((r) => r.state === 'delivered') && rows;
      }, 30_000);
      // Nothing arrives twice, even a little later.
      await new Promise((r) => setTimeout(r, 1_000));
      const got = receiver.received.filter((r) => r.url === '/down-then-up');
      expect(got.map((r) => r.headers['x-docksphere-delivery']).sort()).toEqual(delivered.map((d) => d.id).sort());
      expect(got.map((r) => JSON.parse(r.body).event.id).sort()).toEqual(events.map((e) => e.id).sort());
      for (const r of got) expect(verifySignature(secret, r.headers['x-docksphere-signature'] as string, r.body).valid).toBe(true);

      const detail = await hooks!.app.inject({ method: 'GET', url: `/api/webhooks/${webhook.id}/deliveries/${delivered[0]!.id}`, headers: await hooks!.auth(ADMIN) });
      const attempts = detail.json().attempts as { attempt: number; status: number | null; error: string | null }[];
      expect(attempts.length).toBe(delivered[0]!.attempts);
      expect(attempts.slice(0, -1).every((a) => a.status === null && /ECONNREFUSED/.test(a.error ?? ''))).toBe(true);
      expect(attempts[attempts.length - 1]).toMatchObject({ status: 200, error: null });
      expect(attempts.map((a) => a.attempt)).toEqual(attempts.map((_, i) => i + 1));
    });

    it('shares events and deliveries between two replicas: each recorded and delivered once, at most two at a time per endpoint', async () => {
      if (running.length < 2) await startReplica();
      expect(running).toHaveLength(2);
      let inFlight = 0;
      let peak = 0;
      receiver.respond = async (r) => {
        if (r.url !== '/slow') return 200;
        inFlight++;
        peak = Math.max(peak, inFlight);
        await new Promise((res) => setTimeout(res, 200));
        inFlight--;
        return 200;
      };
      // The concurrency is counted where requests arrive; the receiver answers after 200 ms.
      const created = await running[1]!.app.inject({
        method: 'POST',
        url: '/api/webhooks',
        headers: await running[1]!.auth(ADMIN),
        payload: { url: `http://127.0.0.1:${receiver.port}/slow`, scope: 'namespace', target: 'busy', events: ['pushed'] },
      });
      expect(created.statusCode).toBe(201);
      const events = Array.from({ length: 8 }, (_, i) => pushed(`busy/app${i}`));
      for (const e of events) await publisher.publish(e);
      await waitFor('eight deliveries', () => receiver.received.filter((r) => r.url === '/slow').length >= 8, 30_000);
      await new Promise((r) => setTimeout(r, 1_000));
      const got = receiver.received.filter((r) => r.url === '/slow');
      expect(got).toHaveLength(8);
      expect(new Set(got.map((r) => r.headers['x-docksphere-delivery'])).size).toBe(8);
      expect(peak).toBeLessThanOrEqual(2);
      for (const e of events) expect(await entryCount(e.id)).toBe(1);
      const verify = await running[0]!.app.inject({ method: 'GET', url: '/api/audit/verify', headers: await running[0]!.auth(ADMIN) });
      expect(verify.json()).toMatchObject({ ok: true, breaks: [] });
    });
  });
});
