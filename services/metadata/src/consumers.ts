// The metadata service's event consumers: users from auth.* events, and the repository view
// (repositories created on first push, tags, history, pulls) from registry.* events. Each event is
// handled once (handleOnce records its id in the same transaction as the change).
import { handleOnce, pullCountOf, yieldToEventLoop, type DomainEvent, type EventBus, type EventPayloads, type Subscription } from '@docksphere/events';
import type { Kysely } from '@docksphere/db';
import type { DockSphereConfig, Logger } from '@docksphere/kit';
import { createRepository } from './domain/repositories.ts';
import { splitRepositoryName } from './domain/names.ts';
import { removeUser } from './domain/users.ts';
import { EventBatch } from './routes/http.ts';
import { METADATA_SCHEMA } from './store/migrations/index.ts';
import { ensureUserNamespace, findNamespace } from './store/namespaces.ts';
import { findRepository, type RepositoryRow } from './store/repositories.ts';
import { findUserById, findUserByUsername, rememberUser } from './store/users.ts';
import { recordManifestDeleted, recordPull, recordPush, recordTagDeleted } from './store/registry-view.ts';

export interface MetadataConsumerDeps {
  db: Kysely<any>;
  bus: EventBus;
  logger: Logger;
  /** For the visibility of repositories created by a push (METADATA_DEFAULT_VISIBILITY); private without it. */
  config?: DockSphereConfig | undefined;
  onOutboxWrite?: (() => void) | undefined;
}

/** Durable consumer names (one per subject filter, as JetStream wants). */
export const CONSUMERS = { registry: 'metadata-registry', auth: 'metadata-auth' } as const;

type Handler = (trx: Kysely<any>, event: DomainEvent, events: EventBatch) => Promise<void>;

function payload<T extends keyof EventPayloads>(event: DomainEvent, _type: T): EventPayloads[T] {
  return event.payload as EventPayloads[T];
}

export async function startMetadataConsumers(deps: MetadataConsumerDeps): Promise<{ close(): Promise<void> }> {
  const visibility = deps.config?.metadata.defaultVisibility ?? 'private';

  /** The repository an event is about; created when a manifest push names one metadata does not know yet. */
  async function repositoryFor(trx: Kysely<any>, event: DomainEvent, name: string, create: boolean, events: EventBatch): Promise<RepositoryRow | undefined> {
    const existing = await findRepository(trx, name);
    if (existing || !create) return existing;
    const split = splitRepositoryName(name);
    const namespace = split ? await findNamespace(trx, split.namespace) : undefined;
    if (!namespace) {
      // The access decision never grants push outside an existing namespace; this is a push made without metadata's say.
      deps.logger.warn({ repository: name, event: event.id }, 'push into a repository outside any known namespace; not recorded');
      return undefined;
    }
    const login = event.actor.subject;
    const user = login.includes('+') || login === 'anonymous' ? undefined : await findUserByUsername(trx, login);
    const { row } = await createRepository(trx, events, { namespace, name, visibility, description: '', creator: { userId: user?.id, name: login }, via: 'push' });
    return row;
  }

  const registryHandlers: Record<string, Handler> = {
    'registry.manifest.pushed': async (trx, event, events) => {
      const p = payload(event, 'registry.manifest.pushed');
      const repo = await repositoryFor(trx, event, p.repository, true, events);
      if (!repo) return;
      await recordPush(trx, {
        repositoryId: repo.id,
        digest: p.digest,
        mediaType: p.mediaType,
        size: p.size,
        totalSize: p.totalSize ?? p.size,
        platforms: p.platforms ?? [],
        artifactType: p.artifactType,
        tag: p.tag,
        at: new Date(event.occurredAt),
        actor: event.actor.subject,
      });
    },
    'registry.tag.deleted': async (trx, event, events) => {
      const p = payload(event, 'registry.tag.deleted');
      const repo = await repositoryFor(trx, event, p.repository, false, events);
      if (repo) await recordTagDeleted(trx, repo.id, p.tag, p.digest, new Date(event.occurredAt), event.actor.subject);
    },
    'registry.manifest.deleted': async (trx, event, events) => {
      const p = payload(event, 'registry.manifest.deleted');
      const repo = await repositoryFor(trx, event, p.repository, false, events);
      if (repo) await recordManifestDeleted(trx, repo.id, p.digest);
    },
    'registry.image.pulled': async (trx, event, events) => {
      const p = payload(event, 'registry.image.pulled');
      const repo = await repositoryFor(trx, event, p.repository, false, events);
      if (repo) await recordPull(trx, { repositoryId: repo.id, digest: p.digest, reference: p.reference, at: new Date(event.occurredAt), count: pullCountOf(p) });
    },
  };

  const authHandlers: Record<string, Handler> = {
    'auth.user.created': async (trx, event) => {
      const p = payload(event, 'auth.user.created');
      const { user } = await rememberUser(trx, { id: p.userId, username: p.username });
      if (!(await ensureUserNamespace(trx, user.id, user.username))) deps.logger.warn({ username: p.username }, 'a new user\'s name is taken by an organization: the user has no namespace');
    },
    'auth.user.disabled': async (trx, event) => {
      const p = payload(event, 'auth.user.disabled');
      await rememberUser(trx, { id: p.userId, username: p.username, disabled: p.disabled });
    },
    'auth.admin.changed': async (trx, event) => {
      const p = payload(event, 'auth.admin.changed');
      await rememberUser(trx, { id: p.userId, username: p.username, admin: p.admin });
    },
    'auth.user.deleted': async (trx, event, events) => {
      const p = payload(event, 'auth.user.deleted');
      const user = await findUserById(trx, p.userId);
      // An admin who deleted through metadata first chose transfer or removal; otherwise the repositories go.
      if (user) await removeUser(trx, events, user, { repositories: 'remove' });
    },
  };

  async function handle(consumer: string, handlers: Record<string, Handler>, event: DomainEvent): Promise<void> {
    const handler = handlers[event.type];
    if (!handler) return;
    // One transaction per event; on embedded PGlite a backlog of them would otherwise starve HTTP requests.
    await yieldToEventLoop();
    let wrote = false;
    await handleOnce(deps.db, METADATA_SCHEMA, consumer, event, async (trx) => {
      const events = new EventBatch({ subject: event.actor.subject, ...(event.actor.name ? { name: event.actor.name } : {}) });
      await handler(trx, event, events);
      await events.write(trx);
      wrote = events.events.length > 0;
    });
    if (wrote) deps.onOutboxWrite?.();
  }

  const subscriptions: Subscription[] = [
    await deps.bus.subscribe('registry.>', CONSUMERS.registry, (event) => handle(CONSUMERS.registry, registryHandlers, event)),
    await deps.bus.subscribe('auth.>', CONSUMERS.auth, (event) => handle(CONSUMERS.auth, authHandlers, event)),
  ];
  return {
    async close() {
      for (const s of subscriptions) await s.close();
    },
  };
}
