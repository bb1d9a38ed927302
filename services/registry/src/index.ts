// @docksphere/registry: the OCI Distribution 1.1 /v2 API as a Fastify plugin, its migrations,
// token verification, the abandoned-upload sweeper, and the consumer of metadata's repository lifecycle events.
import type { Kysely } from '@docksphere/db';
import { migrate } from '@docksphere/db';
import type { RegistryServiceDeps } from './context.ts';
import { startUploadSweeper } from './domain/expiry.ts';
import { REGISTRY_SCHEMA, registryMigrations } from './store/migrations/index.ts';

export type { RegistryServiceDeps } from './context.ts';
export { registryPlugin } from './plugin.ts';
export { registryFrameworkErrors, type FrameworkErrorHandler } from './framework-errors.ts';
export { createTokenVerifier, ALLOWED_ALGORITHMS, type TokenVerifier, type TokenVerifierOptions, type TokenVerification } from './auth/verifier.ts';
export { sweepExpiredUploads } from './domain/expiry.ts';
export { collectGarbage, planGarbageCollection, DEFAULT_GC_GRACE_SECONDS, type GarbageCollectionOptions, type GarbageCollectionPlan, type GarbageCollectionResult } from './domain/gc.ts';
export { REGISTRY_SCHEMA, registryMigrations } from './store/migrations/index.ts';
export { startRegistryConsumers, REGISTRY_CONSUMER, type RegistryConsumerDeps } from './consumers.ts';
export { RepositoryInvalidations } from './domain/repository-invalidations.ts';
export { CACHE_CHANNEL, type CacheChange, type CacheInvalidationListener, type CacheSignal } from './domain/cache-invalidation.ts';
export { PgCacheInvalidationListener, type PgCacheListenerOptions } from './domain/pg-cache-listener.ts';

/** Applies the registry schema's migrations (idempotent; safe with several replicas starting at once). */
export async function migrateRegistry(db: Kysely<any>): Promise<string[]> {
  return migrate(db, REGISTRY_SCHEMA, registryMigrations);
}

/** Starts the sweeper that removes upload sessions idle longer than config.uploadTtlSeconds. */
export function startUploadExpiry(deps: Pick<RegistryServiceDeps, 'db' | 'store' | 'logger' | 'config'>, intervalMs: number): { stop(): Promise<void> } {
  return startUploadSweeper({ db: deps.db, store: deps.store, logger: deps.logger, uploadTtlSeconds: deps.config.uploadTtlSeconds }, intervalMs);
}
