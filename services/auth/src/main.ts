// Distributed mode: config -> database -> migrations -> signing keys -> site admin -> listening
// auth process (behind NGINX at /auth/ and /api/auth/), with its outbox relay and graceful shutdown.
import { openDatabase, sql } from '@docksphere/db';
import { createEventBus, OutboxRelay } from '@docksphere/events';
import { closeOnSignal, createHttpServer, createLogger, loadConfig, registerHealthRoutes, runMain } from '@docksphere/kit';
import { AUTH_SCHEMA, adminOptions, authPlugin, bootstrapAdmin, createKeyStore, keyStoreOptions, migrateAuth } from './index.ts';

async function main(): Promise<void> {
  const config = loadConfig();
  const logger = createLogger({ level: config.server.logLevel, name: 'auth' });
  const database = await openDatabase({ url: config.database.url, dataDir: config.database.dataDir });
  await migrateAuth(database.db);
  const keys = await createKeyStore(keyStoreOptions(config));
  // Operators rotate by adding key files to the mounted directory: pick them up without a restart.
  const reload = setInterval(() => void keys.reload().catch((err: Error) => logger.error({ err: { message: err.message } }, 'reloading signing keys failed')), 60_000);
  reload.unref();

  const admin = await bootstrapAdmin(database.db, adminOptions(config));
  if (admin.created && admin.generatedPassword) {
    // Printed once to stdout, never logged: the log pipeline is not a place for passwords.
    process.stdout.write(`\nDockSphere site admin created: username "${admin.username}", password: ${admin.generatedPassword}\nChange it after the first login.\n\n`);
  } else if (admin.created) {
    logger.info({ username: admin.username }, 'site admin created from ADMIN_PASSWORD');
  }

  const bus = await createEventBus(config.events, { logger });
  const relay = new OutboxRelay({ db: database.db, schema: AUTH_SCHEMA, bus, onError: (err) => logger.error({ err }, 'auth outbox relay failed') });

  const app = createHttpServer({ logger, server: config.server });
  await app.register(authPlugin, { db: database.db, config, keys, logger, onOutboxWrite: () => relay.nudge() });
  registerHealthRoutes(app, { database: () => sql`select 1`.execute(database.db) });
  relay.start();
  await app.listen({ host: config.server.host, port: config.server.port });

  closeOnSignal(logger, 'auth', [
    () => clearInterval(reload),
    () => app.close(),
    () => relay.stop(),
    () => bus.close(),
    () => database.close(),
  ]);
}

runMain(main);
