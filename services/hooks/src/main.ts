// Distributed mode: config -> Postgres -> migrations -> NATS JetStream bus -> BullMQ queue on Redis
// -> event consumer, delivery worker and relay -> listening hooks API (behind NGINX at /api/audit/
// and /api/webhooks/), with graceful shutdown.
import { openDatabase, sql } from '@docksphere/db';
import { createEventBus } from '@docksphere/events';
import { createHttpServer, closeOnSignal, createLogger, loadConfig, registerHealthRoutes, runMain, SecretBox } from '@docksphere/kit';
import { createDeliveryQueue, hooksPlugin, migrateHooks, startHooksConsumers } from './index.ts';

async function main(): Promise<void> {
  const config = loadConfig();
  const logger = createLogger({ level: config.server.logLevel, name: 'hooks' });
  if (!config.events.natsUrl) logger.warn('NATS_URL is not set: the hooks service only sees events published in its own process');
  if (!config.hooks.redisUrl) logger.warn('REDIS_URL is not set: webhook deliveries use the in-process queue');
  if (!config.registry.auth.jwksUrl) throw new Error('AUTH_JWKS_URL must point at the auth service JWKS (…/auth/jwks) to verify console tokens');

  const database = await openDatabase({ url: config.database.url, dataDir: config.database.dataDir });
  await migrateHooks(database.db);
  const bus = await createEventBus(config.events, { logger, name: 'docksphere-hooks' });
  const queue = createDeliveryQueue(config.hooks, logger);
  const secrets = SecretBox.fromConfig(config.secrets);
  const consumers = await startHooksConsumers({ db: database.db, bus, queue, config: config.hooks, logger, secrets });

  const app = createHttpServer({ logger, server: config.server });
  await app.register(hooksPlugin, {
    db: database.db,
    config,
    logger,
    queue,
    secrets,
    consoleAuth: { jwksUrl: config.registry.auth.jwksUrl },
    onOutboxWrite: () => consumers.relay.nudge(),
  });
  registerHealthRoutes(app, { database: () => sql`select 1`.execute(database.db) });
  await app.listen({ host: config.server.host, port: config.server.port });

  closeOnSignal(logger, 'hooks', [
    () => app.close(),
    () => consumers.stop(),
    () => bus.close(),
    () => database.close(),
  ]);
}

runMain(main);
