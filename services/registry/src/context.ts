// What every /v2 handler is given: the service's dependencies and the domain objects built from them.
import type { CachePeriods } from './domain/cache-periods.ts';
import type { FastifyRequest } from 'fastify';
import type { Kysely } from '@docksphere/db';
import type { Actor } from '@docksphere/events';
import type { Logger, RegistryConfig } from '@docksphere/kit';
import type { BlobStore } from '@docksphere/storage';
import type { Authorizer, Principal } from './auth/authorize.ts';
import type { TokenVerifier } from './auth/verifier.ts';
import type { BlobLinks } from './domain/blob-links.ts';
import type { CacheInvalidationListener } from './domain/cache-invalidation.ts';
import type { ManifestService } from './domain/manifests.ts';
import type { PullEvents } from './domain/pull-events.ts';
import type { RepositoryInvalidations } from './domain/repository-invalidations.ts';
import type { UploadSessions } from './domain/uploads.ts';

export interface RegistryServiceDeps {
  /** Migrations applied by migrateRegistry first. */
  db: Kysely<any>;
  store: BlobStore;
  config: RegistryConfig;
  logger: Logger;
  /** Undefined only when config.auth.mode is 'none' (then every request is allowed, and a warning is logged). */
  verifier: TokenVerifier | undefined;
  /** Called after a commit that wrote outbox rows (all-in-one nudges the relay). */
  onEventsWritten?: () => void;
  /**
   * config.storage.accelPrefix: when set and the store locates blobs by path, blob GETs answer
   * with X-Accel-Redirect "<prefix>/<path>" and NGINX sends the bytes.
   */
  accelPrefix?: string | undefined;
  /** Shared with startRegistryConsumers: repositories deleted or moved by metadata are dropped from the caches. */
  invalidations?: RepositoryInvalidations | undefined;
  /**
   * Distributed mode (several replicas on one PostgreSQL): hears the other replicas' deletes, tag
   * moves and unlinks (PgCacheInvalidationListener). Absent for a single process (PGlite), whose own
   * writes already invalidate its caches.
   */
  cacheInvalidation?: CacheInvalidationListener | undefined;
  /** How long cached answers are trusted without an announcement; defaults in domain/cache-periods.ts. */
  cachePeriods?: Partial<CachePeriods> | undefined;
}

export interface RegistryContext {
  deps: RegistryServiceDeps;
  authorizer: Authorizer;
  blobs: BlobLinks;
  uploads: UploadSessions;
  manifests: ManifestService;
  pulls: PullEvents;
}

export function actorOf(principal: Principal, request: FastifyRequest): Actor {
  const ua = request.headers['user-agent'];
  return {
    subject: principal.subject === '' ? 'anonymous' : principal.subject,
    ip: request.ip,
    userAgent: typeof ua === 'string' ? ua.slice(0, 512) : undefined,
  };
}
