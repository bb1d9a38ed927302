// The all-in-one launcher: every DockSphere service mounted in one Node process on one port,
// with embedded defaults (PGlite, filesystem blobs, in-process event bus). `npm start` runs this.
import { loadConfig, createLogger } from '@docksphere/kit';
import { startAllInOne } from './server.ts';

const config = loadConfig();
const logger = createLogger({ level: config.server.logLevel, name: 'docksphere' });

try {
  const running = await startAllInOne(config, logger);
  process.stdout.write(running.banner);
  const shutdown = async (signal: string) => {
    logger.info({ signal }, 'shutting down');
    await running.close();
    process.exit(0);
  };
  process.once('SIGINT', () => void shutdown('SIGINT'));
  process.once('SIGTERM', () => void shutdown('SIGTERM'));
} catch (err) {
  logger.fatal({ err }, 'DockSphere failed to start');
  process.exit(1);
}
