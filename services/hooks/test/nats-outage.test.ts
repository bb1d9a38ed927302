// NATS JetStream stopped while a service records an event (e.g. during a docker push): the event waits
// in that service's outbox, and once NATS is back the audit entry and the webhook delivery appear
// exactly once. Real Postgres and nats-server (restarted on the same port and store).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrate, openDatabase, sql, type Database } from '@docksphere/db';
import { appendToOutbox, connectNatsBus, OutboxRelay, outboxMigration, type NatsJetStreamBus } from '@docksphere/events';
import { freePort, hasCommand, makeTempDir, postgresBinDir, requireServer, ServerProcess, startPostgres, waitForHttp, type RunningPostgres } from '@docksphere/infra';
import { ADMIN, pushed, silent, sleep, startHooks, startReceiver, waitFor, type Receiver, type TestHooks } from './helpers.ts';

const available = requireServer('PostgreSQL', postgresBinDir() !== undefined) && requireServer('nats-server', hasCommand('nats-server'));

/** A nats-server that keeps its port and JetStream store across stop() and start(). */
async function restartableNats() {
  const temp = makeTempDir('hooks-nats');
  const port = await freePort();
  const monitor = await freePort();
  let server: ServerProcess | undefined;
  const start = async () => {
    const s = new ServerProcess('nats-server', 'nats-server', ['-js', '-a', '127.0.0.1', '-p', String(port), '-m', String(monitor), '-sd', temp.dir], { cwd: temp.dir });
    server = s;
    await waitForHttp(`http://127.0.0.1:${monitor}/healthz?js-enabled-only=true`, { statuses: [200], abort: () => s.exitedReason() });
  };
  const stop = async () => {
    await server?.stop();
    server = undefined;
  };
  await start();
  return { url: `nats://127.0.0.1:${port}`, start, stop, destroy: async () => (await stop(), temp.remove()) };
}

describe.skipIf(!available)('hooks across a NATS outage', () => {
  let postgres: RunningPostgres;
  let nats: Awaited<ReturnType<typeof restartableNats>>;
  let database: Database;
  let publisherBus: NatsJetStreamBus;
  let consumerBus: NatsJetStreamBus;
  let relay: OutboxRelay;
  let hooks: TestHooks;
  let receiver: Receiver;

  beforeAll(async () => {
    [postgres, nats, receiver] = await Promise.all([startPostgres(), restartableNats(), startReceiver()]);
    database = await openDatabase({ url: postgres.url, maxConnections: 10 });
    // A publishing service's schema with its outbox (the registry's looks the same).
    await migrate(database.db, 'svc', [outboxMigration('svc')]);
    publisherBus = await connectNatsBus({ servers: nats.url, logger: silent, publishTimeoutMs: 1_000, name: 'test-registry' });
    consumerBus = await connectNatsBus({ servers: nats.url, logger: silent, retryDelaysMs: [100], name: 'test-hooks' });
    relay = new OutboxRelay({ db: database.db, schema: 'svc', bus: publisherBus, intervalMs: 100, maxBackoffMs: 500 });
    relay.start();
    hooks = await startHooks({ db: database.db, bus: consumerBus, env: { WEBHOOK_ALLOWLIST: '127.0.0.1/32' } });
  });

  afterAll(async () => {
    await hooks?.close();
    await relay?.stop();
    await consumerBus?.close();
    await publisherBus?.close();
    await database?.close();
    await sleep(300); // see distributed.test.ts: let pg's ended clients close before the server stops
    await Promise.all([postgres?.stop(), nats?.destroy(), receiver?.stop()]);
  });

  it('records and delivers an event written while NATS was down exactly once after it returns', async () => {
    const created = await hooks.app.inject({
      method: 'POST',
      url: '/api/webhooks',
      headers: await hooks.auth(ADMIN),
      payload: { url: `http://127.0.0.1:${receiver.port}/outage`, scope: 'repository', target: 'team/app', events: ['pushed'] },
    });
    expect(created.statusCode).toBe(201);

    await nats.stop();
    const e = pushed('team/app', 'during-outage');
    await database.db.transaction().execute((trx) => appendToOutbox(trx, 'svc', [e]));
    relay.nudge();
    await sleep(1_500);
    const waiting = await sql<{ published: boolean }>`select published_at is not null as published from svc.outbox where id = ${e.id}`.execute(database.db);
    expect(waiting.rows).toEqual([{ published: false }]);
    expect((await sql`select 1 from audit.entries where id = ${e.id}`.execute(database.db)).rows).toHaveLength(0);

    await nats.start();
    await waitFor('the audit entry', async () => (await sql`select 1 from audit.entries where id = ${e.id}`.execute(database.db)).rows.length > 0, 30_000);
    await waitFor('the delivery', () => receiver.received.some((r) => r.url === '/outage'), 30_000);
    await sleep(1_500);
    expect((await sql`select 1 from audit.entries where id = ${e.id}`.execute(database.db)).rows).toHaveLength(1);
    const deliveries = receiver.received.filter((r) => r.url === '/outage');
    expect(deliveries).toHaveLength(1);
    expect(JSON.parse(deliveries[0]!.body).event.id).toBe(e.id);
  });
});
