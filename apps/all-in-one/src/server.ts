// Builds the all-in-one server from config: opens the embedded database, runs every service's
// migrations, wires the in-process event bus and outbox relays, and mounts the service plugins.
import { fileURLToPath } from 'node:url';
import type { FastifyInstance } from 'fastify';
import { apiReferenceRoutes, createHttpServer, registerHealthRoutes, registerOpenApi, SecretBox, type DockSphereConfig, type Logger } from '@docksphere/kit';
import { openDatabase, sql } from '@docksphere/db';
import { createBlobStore } from '@docksphere/storage';
import { createEventBus, OutboxRelay } from '@docksphere/events';
import { registryPlugin, createTokenVerifier, startUploadExpiry, startRegistryConsumers, RepositoryInvalidations, registryFrameworkErrors, REGISTRY_SCHEMA } from '@docksphere/registry';
import { authPlugin, createKeyStore, keyStoreOptions, bootstrapAdmin, adminOptions, AUTH_SCHEMA } from '@docksphere/auth';
import { metadataPlugin, startMetadataConsumers, metadataAccessPolicy, METADATA_SCHEMA } from '@docksphere/metadata';
import { hooksPlugin, startHooksConsumers, createDeliveryQueue } from '@docksphere/hooks';
import { migrateAll } from './migrations.ts';
import { serveConsole } from './console.ts';

export interface RunningDockSphere {
  app: FastifyInstance;
  url: string;
  banner: string;
  close(): Promise<void>;
}

/**
 * Every writer in this process nudges its relay after a commit, so the relays' polling is only a
 * safety net here: four relays polling the embedded database every 250 ms cost ~10% of a core idle.
 */
const RELAY_IDLE_POLL_MS = 5_000;

export async function startAllInOne(config: DockSphereConfig, logger: Logger): Promise<RunningDockSphere> {
  const database = await openDatabase({ url: config.database.url, dataDir: config.database.dataDir, relaxedDurability: config.database.pgliteRelaxedDurability, logger });
  const { db } = database;
  await migrateAll(db);

  const store = createBlobStore(config.storage);
  const bus = await createEventBus(config.events);
  const onRelayError = (err: unknown) => logger.error({ err }, 'outbox relay failed');
  const relays = {
    registry: new OutboxRelay({ db, schema: REGISTRY_SCHEMA, bus, intervalMs: RELAY_IDLE_POLL_MS, onError: onRelayError }),
    auth: new OutboxRelay({ db, schema: AUTH_SCHEMA, bus, intervalMs: RELAY_IDLE_POLL_MS, onError: onRelayError }),
    metadata: new OutboxRelay({ db, schema: METADATA_SCHEMA, bus, intervalMs: RELAY_IDLE_POLL_MS, onError: onRelayError }),
  };

  // Consumers subscribe before any relay publishes: the in-process bus keeps nothing for late subscribers.
  const hooksQueue = createDeliveryQueue(config.hooks, logger);
  // One key ring seals TOTP seeds (auth) and webhook signing secrets (hooks).
  const secrets = SecretBox.fromConfig(config.secrets);
  const hooks = await startHooksConsumers({ db, bus, queue: hooksQueue, config: config.hooks, logger, secrets, relayIntervalMs: RELAY_IDLE_POLL_MS });
  const metadataConsumers = await startMetadataConsumers({ db, bus, logger, config, onOutboxWrite: () => relays.metadata.nudge() });
  const registryInvalidations = new RepositoryInvalidations();
  const registryConsumers = await startRegistryConsumers({ db, bus, logger, store, invalidations: registryInvalidations });

  const keys = await createKeyStore(keyStoreOptions(config));
  const admin = await bootstrapAdmin(db, adminOptions(config));

  const auth = config.registry.auth;
  const verifier =
    auth.mode === 'none'
      ? undefined
      : createTokenVerifier({
          issuer: auth.issuer,
          audience: auth.service,
          // In one process the registry reads the auth service's keys directly, no JWKS round trip.
          jwks: auth.jwksUrl || auth.publicKeyFile ? undefined : () => keys.publicJwks(),
          jwksUrl: auth.jwksUrl,
          publicKeyFile: auth.publicKeyFile,
        });

  const app = createHttpServer({ logger, frameworkErrors: registryFrameworkErrors, server: config.server });
  // Collects the route schemas of every service mounted below into one document (/api/openapi.json).
  await registerOpenApi(app);
  // The token service asks metadata's permission model in-process (no /internal HTTP hop).
  await app.register(authPlugin, { db, config, keys, logger, secrets, accessPolicy: metadataAccessPolicy(db), onOutboxWrite: () => relays.auth.nudge() });
  await app.register(metadataPlugin, { db, config, logger, jwks: () => keys.publicJwks(), onOutboxWrite: () => relays.metadata.nudge() });
  await app.register(hooksPlugin, {
    db,
    config,
    logger,
    queue: hooksQueue,
    secrets,
    consoleAuth: { jwks: () => keys.publicJwks() },
    onOutboxWrite: () => hooks.relay.nudge(),
  });
  await app.register(
    registryPlugin({
      db,
      store,
      config: config.registry,
      logger,
      verifier,
      accelPrefix: config.storage.accelPrefix,
      onEventsWritten: () => relays.registry.nudge(),
      invalidations: registryInvalidations,
    }),
  );
  await apiReferenceRoutes(app, { document: () => app.swagger() });
  registerHealthRoutes(app, { database: () => sql`select 1`.execute(db) });
  // The console's static files, from apps/web/out beside this app (src/ or dist/ alike).
  await serveConsole(app, { dir: config.server.webDir ?? fileURLToPath(new URL('../../web/out/', import.meta.url)), logger });
  const expiry = startUploadExpiry({ db, store, config: config.registry, logger }, 60_000);
  for (const relay of Object.values(relays)) relay.start();

  await app.listen({ host: config.server.host, port: config.server.port });
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : config.server.port;
  const url = `${config.server.tls ? 'https' : 'http'}://127.0.0.1:${port}`;
  const registryHost = new URL(config.server.publicUrl).host;
  const adminName = config.auth.adminUsername;

  const login =
    admin.created && admin.generatedPassword
      ? [
          `Site admin created: ${adminName}`,
          `  password (shown once, not stored anywhere in clear): ${admin.generatedPassword}`,
          '  set ADMIN_PASSWORD before the first start to choose it instead',
        ]
      : admin.created
        ? [`Site admin created: ${adminName} with the password from ADMIN_PASSWORD`]
        : [`Log in as an existing user (the site admin is ${adminName}).`];

  const banner = [
    '',
    `DockSphere is running at ${url}  (public URL: ${config.server.publicUrl})`,
    `  data:     ${config.dataDir}`,
    `  database: ${database.kind === 'pglite' ? `embedded PGlite at ${config.database.dataDir}` : 'PostgreSQL'}`,
    `  blobs:    ${config.storage.driver === 'filesystem' ? config.storage.dir : `s3://${config.storage.s3.bucket}`}`,
    '',
    ...login,
    '',
    'Log in and push an image:',
    `  docker login ${registryHost} -u ${adminName}`,
    `  docker tag busybox ${registryHost}/${adminName}/busybox:latest`,
    `  docker push ${registryHost}/${adminName}/busybox:latest`,
    '',
  ].join('\n');

  return {
    app,
    url,
    banner,
    async close() {
      await app.close();
      await expiry.stop();
      for (const relay of Object.values(relays)) await relay.stop();
      await hooks.stop();
      await metadataConsumers.close();
      await registryConsumers.close();
      await bus.close();
      await store.close();
      await database.close();
    },
  };
}
