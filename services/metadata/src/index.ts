// Public surface of the metadata service.
//
// Wiring (all-in-one, one Fastify instance; src/main.ts does the same for the distributed mode):
//
//   import { metadataPlugin, migrateMetadata, startMetadataConsumers, metadataAccessPolicy, METADATA_SCHEMA } from '@docksphere/metadata';
//   await migrateMetadata(db);                                          // schema "platform" + its outbox
//   relays.metadata = new OutboxRelay({ db, schema: METADATA_SCHEMA, bus, onError })
//   await app.register(metadataPlugin, { db, config, logger, jwks: () => keys.publicJwks(), onOutboxWrite: () => relays.metadata.nudge() });
//   const consumers = await startMetadataConsumers({ db, bus, logger, config, onOutboxWrite: () => relays.metadata.nudge() });  // registry.* and auth.* events
//   auth: authPlugin deps accessPolicy: metadataAccessPolicy(db)       // in-process POST /internal/access
//   on close: await consumers.close() before bus.close()
//
// Distributed: the auth service sets AUTH_ACCESS_POLICY=metadata, METADATA_URL and INTERNAL_SECRET
// (the same secret here); metadata verifies console tokens with AUTH_JWKS_URL and asks the auth
// service (AUTH_URL, default the origin of AUTH_JWKS_URL) whether sessions and tokens are live.
export { metadataPlugin, type MetadataDeps } from './plugin.ts';
export { migrateMetadata, metadataMigrations, METADATA_SCHEMA } from './store/migrations/index.ts';
export { decideAccess, metadataAccessPolicy, type AccessSubject } from './domain/access.ts';
export { startMetadataConsumers, CONSUMERS, type MetadataConsumerDeps } from './consumers.ts';
