// The registry's event consumer: applies metadata's repository lifecycle decisions to the stored
// content (a deleted repository loses its tags, manifests, blob links and uploads; a transferred one
// moves to its new name), each event once (handleOnce), then drops this process's caches of it and,
// through a NOTIFY committed with the change, every other replica's.
import { handleOnce, type DomainEvent, type EventBus, type EventPayloads, type Subscription } from '@docksphere/events';
import type { Kysely } from '@docksphere/db';
import type { Logger } from '@docksphere/kit';
import type { BlobStore } from '@docksphere/storage';
import { notifyCacheChange } from './domain/cache-invalidation.ts';
import type { RepositoryInvalidations } from './domain/repository-invalidations.ts';
import { REGISTRY_SCHEMA } from './store/migrations/index.ts';
import { moveRepositoryContent, removeRepositoryContent } from './store/repository-lifecycle.ts';

export interface RegistryConsumerDeps {
  /** Migrations applied by migrateRegistry first (processed_events included). */
  db: Kysely<any>;
  bus: EventBus;
  logger: Logger;
  /** To remove the staged bytes of upload sessions on a removed repository. */
  store: BlobStore;
  /** The same object given to registryPlugin: its caches forget the repository after each change. */
  invalidations?: RepositoryInvalidations | undefined;
}

/** Durable consumer name (one per subject filter, as JetStream wants). */
export const REGISTRY_CONSUMER = 'registry-metadata';

/**
 * When metadata decided the change (its clock; the database's is assumed to agree, as on one host or
 * with NTP): content pushed after that belongs to the name's next life and is not removed.
 */
function decidedAt(event: DomainEvent): Date {
  const t = Date.parse(event.occurredAt);
  return Number.isNaN(t) ? new Date() : new Date(t);
}

export async function startRegistryConsumers(deps: RegistryConsumerDeps): Promise<{ close(): Promise<void> }> {
  async function handle(event: DomainEvent): Promise<void> {
    if (event.type === 'metadata.repository.deleted') {
      const p = event.payload as EventPayloads['metadata.repository.deleted'];
      let uploadIds: string[] = [];
      const ran = await handleOnce(deps.db, REGISTRY_SCHEMA, REGISTRY_CONSUMER, event, async (trx) => {
        const removed = await removeRepositoryContent(trx, p.repository, decidedAt(event));
        uploadIds = removed.uploadIds;
        await notifyCacheChange(trx, { repository: p.repository, kind: 'repository', key: '' });
        deps.logger.info({ repository: p.repository, existed: removed.existed, event: event.id }, 'repository removed');
      });
      if (!ran) return;
      deps.invalidations?.forget(p.repository);
      await abortUploads(uploadIds);
    } else if (event.type === 'metadata.repository.transferred') {
      const p = event.payload as EventPayloads['metadata.repository.transferred'];
      let uploadIds: string[] = [];
      const ran = await handleOnce(deps.db, REGISTRY_SCHEMA, REGISTRY_CONSUMER, event, async (trx) => {
        const moved = await moveRepositoryContent(trx, p.from, p.to);
        uploadIds = moved.uploadIds;
        for (const repository of [p.from, p.to]) await notifyCacheChange(trx, { repository, kind: 'repository', key: '' });
        deps.logger.info({ from: p.from, to: p.to, existed: moved.existed, event: event.id }, 'repository moved');
      });
      if (!ran) return;
      deps.invalidations?.forget(p.from);
      deps.invalidations?.forget(p.to);
      await abortUploads(uploadIds);
    }
  }

  /** After commit: the rows are gone, so a failure here only leaves bytes for the store's own cleanup. */
  async function abortUploads(ids: readonly string[]): Promise<void> {
    for (const id of ids) await deps.store.abortUpload(id).catch((err: unknown) => deps.logger.warn({ err, id }, 'removing staged upload data failed'));
  }

  const subscriptions: Subscription[] = [await deps.bus.subscribe('metadata.repository.*', REGISTRY_CONSUMER, handle)];
  return {
    async close() {
      for (const s of subscriptions) await s.close();
    },
  };
}
