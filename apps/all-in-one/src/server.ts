// Builds the all-in-one server from config: opens the embedded database, runs every service's
// migrations, wires the in-process event bus and outbox relays, and mounts the service plugins.
import type { FastifyInstance } from 'fastify';
import { createHttpServer, type DockSphereConfig, type Logger } from '@docksphere/kit';
import { openDatabase } from '@docksphere/db';
import { createBlobStore } from '@docksphere/storage';
import { InMemoryBus, OutboxRelay } from '@docksphere/events';
import { registryPlugin, migrateRegistry, createTokenVerifier, startUploadExpiry } from '@docksphere/registry';

export interface RunningDockSphere {
  app: FastifyInstance;
  url: string;
  banner: string;
  close(): Promise<void>;
}

export async function startAllInOne(config: DockSphereConfig, logger: Logger): Promise<RunningDockSphere> {
  const database = await openDatabase({ url: config.database.url, dataDir: config.database.dataDir });
  await migrateRegistry(database.db);

  const store = createBlobStore(config.storage);
  const bus = new InMemoryBus();
  const relays = [new OutboxRelay({ db: database.db, schema: 'registry', bus, onError: (err) => logger.error({ err }, 'outbox relay failed') })];

  const auth = config.registry.auth;
  const verifier =
    auth.mode === 'none'
      ? undefined
      : createTokenVerifier({ issuer: auth.issuer, audience: auth.service, jwksUrl: auth.jwksUrl, publicKeyFile: auth.publicKeyFile });

  const app = createHttpServer({ logger });
  await app.register(
    registryPlugin({
      db: database.db,
      store,
      config: config.registry,
      logger,
      verifier,
      accelPrefix: config.storage.accelPrefix,
      onEventsWritten: () => relays[0]?.nudge(),
    }),
  );
  const expiry = startUploadExpiry({ db: database.db, store, config: config.registry, logger }, 60_000);
  for (const relay of relays) relay.start();

  await app.listen({ host: config.server.host, port: config.server.port });
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : config.server.port;
  const url = `http://127.0.0.1:${port}`;
  const registryHost = `127.0.0.1:${port}`;

  const banner = [
    '',
    `DockSphere is running at ${url}  (public URL: ${config.server.publicUrl})`,
    `  data:     ${config.dataDir}`,
    `  database: ${database.kind === 'pglite' ? `embedded PGlite at ${config.database.dataDir}` : 'PostgreSQL'}`,
    `  blobs:    ${config.storage.driver === 'filesystem' ? config.storage.dir : `s3://${config.storage.s3.bucket}`}`,
    '',
    'Push an image:',
    `  docker tag busybox ${registryHost}/<namespace>/busybox:latest`,
    `  docker push ${registryHost}/<namespace>/busybox:latest`,
    '',
  ].join('\n');

  return {
    app,
    url,
    banner,
    async close() {
      await app.close();
      await expiry.stop();
      for (const relay of relays) await relay.stop();
      await bus.close();
      await store.close();
      await database.close();
    },
  };
}
