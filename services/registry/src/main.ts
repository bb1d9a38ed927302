// Distributed mode: config -> database -> migrations -> blob store -> token verifier -> listening
// registry process with its lifecycle consumer on the event bus, with graceful shutdown on SIGTERM/SIGINT.
import { openDatabase, sql } from '@docksphere/db';
import { createHttpServer, createLogger, loadConfig, registerHealthRoutes } from '@docksphere/kit';
import { OutboxRelay, createEventBus } from '@docksphere/events';
import { createBlobStore } from '@docksphere/storage';
import { PgCacheInvalidationListener, RepositoryInvalidations, createTokenVerifier, migrateRegistry, registryFrameworkErrors, registryPlugin, startRegistryConsumers, startUploadExpiry, REGISTRY_SCHEMA } from './index.ts';

async function main(): Promise<void> {
  const config = loadConfig();
  const logger = createLogger({ level: config.server.logLevel, name: 'registry' });
  const database = await openDatabase({ url: config.database.url, dataDir: config.database.dataDir });
  await migrateRegistry(database.db);
  const store = createBlobStore(config.storage);
  const auth = config.registry.auth;
  const verifier =
    auth.mode === 'none'
      ? undefined
      : createTokenVerifier({ issuer: auth.issuer, audience: auth.service, jwksUrl: auth.jwksUrl, publicKeyFile: auth.publicKeyFile });
  const bus = await createEventBus(config.events, { logger });
  const invalidations = new RepositoryInvalidations();
  // Each replica joins the one durable consumer: an event is applied by one of them; the others' caches expire on their own.
  const consumers = await startRegistryConsumers({ db: database.db, bus, logger, store, invalidations });
  // Without NATS no other process could hear the registry's events: they wait in the outbox until it is configured.
  const relay = config.events.natsUrl
    ? new OutboxRelay({ db: database.db, schema: REGISTRY_SCHEMA, bus, onError: (err) => logger.error({ err }, 'registry outbox relay failed') })
    : undefined;
  // On Postgres other replicas may share the database: their deletes and tag moves arrive by LISTEN/NOTIFY.
  const cacheInvalidation = config.database.url ? new PgCacheInvalidationListener({ databaseUrl: config.database.url, logger }) : undefined;
  cacheInvalidation?.start();
  // Until it listens the caches are bypassed (correct, only slower), so a slow start is not fatal.
  await cacheInvalidation?.whenConnected(10_000).catch((err: unknown) => logger.warn({ err }, 'starting with the /v2 caches bypassed'));
  const app = createHttpServer({ logger, frameworkErrors: registryFrameworkErrors, server: config.server });
  await app.register(
    registryPlugin({ db: database.db, store, config: config.registry, logger, verifier, accelPrefix: config.storage.accelPrefix, invalidations, cacheInvalidation, onEventsWritten: () => relay?.nudge() }),
  );
  registerHealthRoutes(app, { database: () => sql`select 1`.execute(database.db) });
  const expiry = startUploadExpiry({ db: database.db, store, logger, config: config.registry }, 60_000);
  relay?.start();
  await app.listen({ host: config.server.host, port: config.server.port });

  let closing = false;
  const shutdown = async (signal: string) => {
    if (closing) return;
    closing = true;
    logger.info({ signal }, 'registry shutting down');
    try {
      await app.close();
      await cacheInvalidation?.close();
      await expiry.stop();
      await relay?.stop();
      await consumers.close();
      await bus.close();
      await store.close();
      await database.close();
      process.exit(0);
    } catch (err) {
      logger.error({ err }, 'shutdown failed');
      process.exit(1);
    }
  };
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  process.on('SIGINT', () => void shutdown('SIGINT'));
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
