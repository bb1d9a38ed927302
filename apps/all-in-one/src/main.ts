// The all-in-one launcher: every DockSphere service mounted in one Node process on one port,
// with embedded defaults (PGlite, filesystem blobs, in-process event bus). `npm start` runs this.
import { loadConfig, createLogger, closeOnSignal, runMain } from '@docksphere/kit';
import { startAllInOne } from './server.ts';

runMain(async () => {
  const config = loadConfig();
  const logger = createLogger({ level: config.server.logLevel, name: 'docksphere' });
  const running = await startAllInOne(config, logger);
  process.stdout.write(running.banner);
  closeOnSignal(logger, 'docksphere', [() => running.close()]);
});
