// Distributed mode: config -> database -> migrations (and the shipped user guide) -> listening metadata
// process (behind NGINX at /api/; /internal/* only on the service network), its outbox relay and its
// event consumers, with graceful shutdown. Console tokens are verified with AUTH_JWKS_URL.
import { openDatabase, sql } from '@docksphere/db';
import { createEventBus, OutboxRelay } from '@docksphere/events';
import { apiReferenceRoutes, createHttpServer, closeOnSignal, createLogger, loadConfig, registerHealthRoutes, runMain } from '@docksphere/kit';
import platformDocument from '@docksphere/client/openapi.json' with { type: 'json' };
import { METADATA_SCHEMA, metadataPlugin, migrateMetadata, startMetadataConsumers } from './index.ts';

async function main(): Promise<void> {
  const config = loadConfig();
  const logger = createLogger({ level: config.server.logLevel, name: 'metadata' });
  if (!config.registry.auth.jwksUrl) throw new Error('the metadata service needs AUTH_JWKS_URL (the auth service\'s /auth/jwks.json) to verify console tokens');
  if (!config.server.internalSecret) logger.warn('INTERNAL_SECRET is not set: POST /internal/access refuses every call');
  const database = await openDatabase({ url: config.database.url, dataDir: config.database.dataDir });
  await migrateMetadata(database.db);

  const bus = await createEventBus(config.events, { logger });
  const relay = new OutboxRelay({ db: database.db, schema: METADATA_SCHEMA, bus, onError: (err) => logger.error({ err }, 'metadata outbox relay failed') });
  const app = createHttpServer({ logger, server: config.server });
  await app.register(metadataPlugin, { db: database.db, config, logger, onOutboxWrite: () => relay.nudge() });
  // NGINX routes /api/* to metadata: it serves the whole platform's document, merged at build time.
  await apiReferenceRoutes(app, { document: () => platformDocument });
  registerHealthRoutes(app, { database: () => sql`select 1`.execute(database.db) });
  const consumers = await startMetadataConsumers({ db: database.db, bus, logger, config, onOutboxWrite: () => relay.nudge() });
  relay.start();
  await app.listen({ host: config.server.host, port: config.server.port });

  closeOnSignal(logger, 'metadata', [
    () => app.close(),
    () => consumers.close(),
    () => relay.stop(),
    () => bus.close(),
    () => database.close(),
  ]);
}

runMain(main);
