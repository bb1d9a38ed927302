// Manifest ingest and lookup: validation (size, schema, references present in the repository),
// the atomic push (manifest row, tag move, tag history, subject index, outbox event in one
// transaction), deletes, and the in-process caches that keep manifest GETs off the database.
import type { CachePeriods } from './cache-periods.ts';
import type { Kysely } from '@docksphere/db';
import { newEvent, type Actor, type DomainEvent } from '@docksphere/events';
import { RegistryError, digestOf, parseManifest, type ParsedDigest, type ParsedManifest, type Reference } from '@docksphere/oci';
import * as referenceStore from '../store/references.ts';
import * as sql from '../store/registry-store.ts';
import type { StoredManifest } from '../store/registry-store.ts';
import { notifyCacheChange, type CacheChange, type CacheInvalidationListener } from './cache-invalidation.ts';
import { Lru } from './lru.ts';
import { summarizeManifest } from './manifest-summary.ts';

/**
 * For one more period after going stale, a cached answer is still served while a single background
 * query refreshes it: under load the hot path never waits on the database (which, embedded, shares
 * this thread). Other replicas' changes arrive as notifications (deps.crossReplica); these periods
 * are only the safety net for changes nobody announces (direct database edits).
 */
const STALE_GRACE_FACTOR = 2;

export interface PushResult {
  digest: string;
  subject: string | undefined;
  /** Every tag now pointing at the manifest by this push (the reference's and the `?tag=` ones). */
  tags: string[];
}

export interface ManifestServiceDeps {
  db: Kysely<any>;
  maxManifestBytes: number;
  onEventsWritten?: (() => void) | undefined;
  /**
   * Set when other replicas share the database: writes announce their changes in their transaction,
   * and the caches are consulted only while the listener hears the other replicas' announcements.
   */
  crossReplica?: CacheInvalidationListener | undefined;
  /** How long cached tags and manifests are trusted (cache-periods.ts). */
  periods: CachePeriods;
}

function key(repository: string, x: string): string {
  return `${repository}\u0000${x}`;
}

/**
 * A repository's whole tag list is cached when it has at most this many tags (a list of 10,000
 * tags of ~20 bytes is ~0.5 MiB); larger repositories are paged from the database each time.
 */
export const MAX_CACHED_TAG_LIST = 10_000;

/** Tag-list keys, like tag keys, never share an in-flight lookup with another kind of key. */
function tagListKey(repository: string): string {
  return `tags\u0000${repository}`;
}

/** Index of the first name after `after` in a sorted list (0 without `after`). */
function firstAfter(names: readonly string[], after: string | undefined): number {
  if (after === undefined) return 0;
  let lo = 0;
  let hi = names.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((names[mid] as string) <= after) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Tag keys carry a prefix so they never share an in-flight lookup with a manifest key. */
function tagKey(repository: string, tag: string): string {
  return `tag\u0000${repository}\u0000${tag}`;
}

/** Every blob (config, layers) and child manifest a manifest needs present; foreign layers (with urls) excepted. */
function references(m: ParsedManifest): { blobs: string[]; manifests: string[] } {
  const blobs: string[] = [];
  if (m.config) blobs.push(m.config.digest);
  for (const l of m.layers) if (!(l.urls && l.urls.length > 0)) blobs.push(l.digest);
  return { blobs, manifests: m.manifests.map((d) => d.digest) };
}

export class ManifestService {
  /** Tag -> digest, fresh until freshUntil, kept (and served while refreshing) for a grace period after. */
  readonly #tags = new Lru<string, { digest: string; freshUntil: number }>({ maxEntries: 50_000 });
  readonly #manifests = new Lru<string, { manifest: StoredManifest; freshUntil: number }>({
    maxEntries: 20_000,
    maxWeight: 64 * 1024 * 1024,
    weigh: (v) => v.manifest.size + 200,
  });
  /**
   * Repository -> its tags in bytewise order (tags are ASCII, so JavaScript's order is the
   * database's), trusted like tag resolutions; dropped on every local or announced tag change.
   */
  readonly #tagLists = new Lru<string, { names: string[]; freshUntil: number }>({
    maxEntries: 1_000,
    maxWeight: 32 * 1024 * 1024,
    weigh: (v) => v.names.reduce((bytes, name) => bytes + name.length + 16, 64),
  });
  /** Lookups in flight: concurrent misses on one key share one query instead of each sending their own. */
  readonly #inflight = new Map<string, Promise<unknown>>();
  /**
   * Bumped by every local write: a lookup that started before a write neither caches its answer nor
   * is shared with requests that arrive after it, so this replica always reads its own writes.
   */
  #generation = 0;

  constructor(private readonly deps: ManifestServiceDeps) {}

  /** Resolves a reference to a stored manifest, or undefined. */
  async find(repository: string, reference: Reference): Promise<StoredManifest | undefined> {
    if (this.deps.crossReplica?.connected === false) return this.#findUncached(repository, reference);
    const now = Date.now();
    let digest: string | undefined;
    if (reference.kind === 'digest') digest = reference.digest.digest;
    else {
      const tk = tagKey(repository, reference.tag);
      const cached = this.#tags.get(tk, now);
      if (cached === undefined) digest = await this.#resolveTag(tk, repository, reference.tag);
      else {
        digest = cached.digest;
        if (cached.freshUntil <= now) this.#background(this.#resolveTag(tk, repository, reference.tag));
      }
      if (digest === undefined) return undefined;
    }
    const mk = key(repository, digest);
    const cached = this.#manifests.get(mk, now);
    if (cached === undefined) return this.#loadManifest(mk, repository, digest);
    if (cached.freshUntil <= now) this.#background(this.#loadManifest(mk, repository, digest));
    return cached.manifest;
  }

  /**
   * Up to limit tag names of repository after `after`, in bytewise order: from the cached list
   * when the repository has at most MAX_CACHED_TAG_LIST tags, else one page from the database.
   */
  async listTags(repository: string, after: string | undefined, limit: number): Promise<string[]> {
    if (this.deps.crossReplica?.connected === false) return sql.listTags(this.deps.db, repository, after, limit);
    const now = Date.now();
    let names = this.#tagLists.get(repository, now);
    if (names === undefined) {
      const loaded = await this.#loadTagList(repository);
      if (loaded === undefined) return sql.listTags(this.deps.db, repository, after, limit);
      names = loaded;
    } else if (names.freshUntil <= now) this.#background(this.#loadTagList(repository));
    const start = firstAfter(names.names, after);
    return names.names.slice(start, start + limit);
  }

  /** The whole list, cached; undefined when the repository has too many tags to cache. */
  #loadTagList(repository: string): Promise<{ names: string[]; freshUntil: number } | undefined> {
    return this.#once(tagListKey(repository), async (current) => {
      const names = await sql.listTags(this.deps.db, repository, undefined, MAX_CACHED_TAG_LIST + 1);
      if (names.length > MAX_CACHED_TAG_LIST) return undefined;
      const now = Date.now();
      const entry = { names, freshUntil: now + this.deps.periods.tagMs };
      if (current()) this.#tagLists.set(repository, entry, now + STALE_GRACE_FACTOR * this.deps.periods.tagMs);
      return entry;
    });
  }

  /** While other replicas' changes cannot be heard, every answer comes from the database. */
  async #findUncached(repository: string, reference: Reference): Promise<StoredManifest | undefined> {
    const digest = reference.kind === 'digest' ? reference.digest.digest : await sql.resolveTag(this.deps.db, repository, reference.tag);
    return digest === undefined ? undefined : sql.getManifest(this.deps.db, repository, digest);
  }

  /** Another replica's committed change (or 'reset': changes may have been missed). */
  applyRemote(change: CacheChange | 'reset'): void {
    // Lookups already running may have read the database before the change committed.
    this.#wrote();
    if (change === 'reset') {
      this.#manifests.deleteWhere(() => true);
      this.#tags.deleteWhere(() => true);
      this.#tagLists.deleteWhere(() => true);
    } else if (change.kind === 'manifest') {
      // Deleting a manifest deletes the tags pointing at it, as a local delete does.
      this.#manifests.delete(key(change.repository, change.key));
      this.#tags.deleteWhere((k) => k.startsWith(tagKey(change.repository, '')));
      this.#tagLists.delete(change.repository);
    } else if (change.kind === 'tag') {
      this.#tags.delete(tagKey(change.repository, change.key));
      this.#tagLists.delete(change.repository);
    } else if (change.kind === 'repository') {
      this.forgetRepository(change.repository);
    }
  }

  /** Inside the writer's transaction, so other replicas hear of the change exactly when it commits. */
  async #announce(trx: Parameters<typeof notifyCacheChange>[0], change: CacheChange): Promise<void> {
    if (this.deps.crossReplica) await notifyCacheChange(trx, change);
  }

  #resolveTag(tk: string, repository: string, tag: string): Promise<string | undefined> {
    return this.#once(tk, async (current) => {
      const digest = await sql.resolveTag(this.deps.db, repository, tag);
      if (!current()) return digest;
      if (digest === undefined) this.#tags.delete(tk);
      else this.#rememberTag(repository, tag, digest);
      return digest;
    });
  }

  #loadManifest(mk: string, repository: string, digest: string): Promise<StoredManifest | undefined> {
    return this.#once(mk, async (current) => {
      const manifest = await sql.getManifest(this.deps.db, repository, digest);
      if (!current()) return manifest;
      const now = Date.now();
      if (!manifest) this.#manifests.delete(mk);
      else this.#manifests.set(mk, { manifest, freshUntil: now + this.deps.periods.manifestMs }, now + STALE_GRACE_FACTOR * this.deps.periods.manifestMs);
      return manifest;
    });
  }

  #rememberTag(repository: string, tag: string, digest: string): void {
    const now = Date.now();
    this.#tags.set(tagKey(repository, tag), { digest, freshUntil: now + this.deps.periods.tagMs }, now + STALE_GRACE_FACTOR * this.deps.periods.tagMs);
  }

  /** Runs load once for concurrent callers; load's `current()` says whether no local write happened since it began. */
  #once<T>(k: string, load: (current: () => boolean) => Promise<T>): Promise<T> {
    const running = this.#inflight.get(k) as Promise<T> | undefined;
    if (running) return running;
    const started = this.#generation;
    const p = load(() => this.#generation === started).finally(() => {
      if (this.#inflight.get(k) === p) this.#inflight.delete(k);
    });
    this.#inflight.set(k, p);
    return p;
  }

  /** After a local write: lookups already running may hold the old answer, so they are neither cached nor shared. */
  #wrote(): void {
    this.#generation++;
    this.#inflight.clear();
  }

  /** A refresh nobody waits for: a failure leaves the stale entry to expire on its own. */
  #background(refresh: Promise<unknown>): void {
    refresh.catch(() => undefined);
  }

  /**
   * Validates and stores a pushed manifest, moving the tag if the reference is one and every tag of
   * `extraTags` (distribution-spec's `?tag=` parameters), all in one transaction.
   */
  async push(repository: string, reference: Reference, body: Uint8Array, contentType: string | undefined, actor: Actor, extraTags: readonly string[] = []): Promise<PushResult> {
    if (body.byteLength > this.deps.maxManifestBytes) throw tooLarge(body.byteLength, this.deps.maxManifestBytes);
    const check = parseManifest(body, contentType);
    if (!check.ok) throw check.error;
    const m = check.manifest;
    const digest = reference.kind === 'digest' ? digestOf(body, reference.digest.algorithm) : digestOf(body);
    if (reference.kind === 'digest' && digest !== reference.digest.digest) {
      throw new RegistryError('DIGEST_INVALID', 'the manifest body does not match the digest in the URL', { expected: reference.digest.digest, actual: digest });
    }
    const refs = references(m);
    const tags = [...new Set([...(reference.kind === 'tag' ? [reference.tag] : []), ...extraTags])];
    const pushed = (tag: string | undefined) =>
      newEvent('registry.manifest.pushed', actor, {
        repository,
        digest,
        mediaType: m.mediaType,
        size: body.byteLength,
        tag,
        subject: m.subject?.digest,
        artifactType: m.artifactType,
        ...summarizeManifest(m, body.byteLength),
      });
    // One pushed event per tag applied (the payload names one tag), or one untagged.
    const events = tags.length === 0 ? [pushed(undefined)] : tags.map((tag) => pushed(tag));
    await this.deps.db.transaction().execute(async (trx) => {
      // Checked and recorded under the references' shared locks, in the transaction that stores the
      // manifest: a GC sweep of any of them waits for this commit and then sees the reference.
      const check = await referenceStore.checkManifestReferences(trx, repository, refs.blobs, refs.manifests);
      const missing = [...check.missingBlobs, ...check.missingManifests];
      if (missing.length > 0) {
        throw new RegistryErrors(missing.map((d) => new RegistryError('MANIFEST_BLOB_UNKNOWN', `manifest references ${d}, which is not in repository ${repository}`, { digest: d })));
      }
      await referenceStore.lockKeys(trx, [referenceStore.manifestLockKey(repository, digest)], 'shared');
      await sql.insertManifest(trx, {
        repository,
        digest,
        mediaType: m.mediaType,
        size: body.byteLength,
        content: body,
        subject: m.subject?.digest,
        artifactType: m.artifactType,
        annotations: m.annotations,
      });
      await referenceStore.recordManifestReferences(trx, repository, digest, refs.blobs, refs.manifests);
      // Sorted, so two pushes naming the same tags take the tags' locks in the same order.
      for (const tag of [...tags].sort()) {
        const previous = await sql.moveTag(trx, repository, tag, digest, actor.subject);
        if (previous !== digest) await this.#announce(trx, { repository, kind: 'tag', key: tag });
      }
      await sql.writeEvents(trx, events);
    });
    this.#wrote();
    for (const tag of tags) this.#rememberTag(repository, tag, digest);
    if (tags.length > 0) this.#tagLists.delete(repository);
    this.deps.onEventsWritten?.();
    return { digest, subject: m.subject?.digest, tags };
  }

  async deleteByDigest(repository: string, digest: ParsedDigest, actor: Actor): Promise<void> {
    const events: DomainEvent[] = [];
    await this.deps.db.transaction().execute(async (trx) => {
      await referenceStore.refreshLinksOfManifest(trx, repository, digest.digest);
      const tags = await sql.deleteManifest(trx, repository, digest.digest, actor.subject);
      if (tags === undefined) throw new RegistryError('MANIFEST_UNKNOWN', 'manifest unknown', { digest: digest.digest });
      for (const tag of tags) events.push(newEvent('registry.tag.deleted', actor, { repository, tag, digest: digest.digest }));
      events.push(newEvent('registry.manifest.deleted', actor, { repository, digest: digest.digest }));
      await sql.writeEvents(trx, events);
      await this.#announce(trx, { repository, kind: 'manifest', key: digest.digest });
    });
    this.#wrote();
    this.#manifests.delete(key(repository, digest.digest));
    this.#tags.deleteWhere((k) => k.startsWith(tagKey(repository, '')));
    this.#tagLists.delete(repository);
    this.deps.onEventsWritten?.();
  }

  /** After the repository was deleted or renamed outside /v2: nothing cached under its name is served again. */
  forgetRepository(repository: string): void {
    this.#wrote();
    const prefix = key(repository, '');
    this.#manifests.deleteWhere((k) => k.startsWith(prefix));
    this.#tags.deleteWhere((k) => k.startsWith(tagKey(repository, '')));
    this.#tagLists.delete(repository);
  }

  async deleteTag(repository: string, tag: string, actor: Actor): Promise<void> {
    await this.deps.db.transaction().execute(async (trx) => {
      const digest = await sql.deleteTag(trx, repository, tag, actor.subject);
      if (digest === undefined) throw new RegistryError('MANIFEST_UNKNOWN', 'tag unknown', { tag });
      await sql.writeEvents(trx, [newEvent('registry.tag.deleted', actor, { repository, tag, digest })]);
      await this.#announce(trx, { repository, kind: 'tag', key: tag });
    });
    this.#wrote();
    this.#tags.delete(tagKey(repository, tag));
    this.#tagLists.delete(repository);
    this.deps.onEventsWritten?.();
  }
}

/** Several /v2 errors answered together (the spec allows one or more MANIFEST_BLOB_UNKNOWN). */
export class RegistryErrors extends Error {
  constructor(readonly errors: RegistryError[]) {
    super(errors.map((e) => e.message).join('; '));
    this.name = 'RegistryErrors';
  }
}

/**
 * 413 per the spec ("SHOULD respond with 413 Payload Too Large"); the code is MANIFEST_INVALID
 * because SIZE_INVALID means a length that disagrees with the content, which is not the case here.
 */
export function tooLarge(size: number, limit: number): RegistryError {
  return new RegistryError('MANIFEST_INVALID', `manifest is larger than ${limit} bytes`, { size, limit }, { status: 413 });
}
