// `docksphere migrate`: applies every service's migrations to the configured database and exits,
// the one-shot step before the distributed services start or roll to a new version. Idempotent;
// two runs at once are safe (each schema is migrated under a Postgres advisory lock).
import { openDatabase } from '@docksphere/db';
import { createLogger, loadConfig, runMain } from '@docksphere/kit';
import { migrateAll } from './migrations.ts';

runMain(async () => {
  const config = loadConfig();
  const logger = createLogger({ level: config.server.logLevel, name: 'migrate' });
  const database = await openDatabase({ url: config.database.url, dataDir: config.database.dataDir, logger });
  try {
    const applied = await migrateAll(database.db);
    const count = Object.values(applied).reduce((n, names) => n + names.length, 0);
    logger.info({ applied, database: database.kind }, count === 0 ? 'migrations: already up to date' : `migrations: applied ${count}`);
  } finally {
    await database.close();
  }
});
