// The registry's lifecycle consumer: metadata.repository.deleted removes a repository's content (and
// the caches stop serving it), metadata.repository.transferred moves it to its new name; each event once.
import { sql } from '@docksphere/db';
import { InMemoryBus, newEvent, type DomainEvent } from '@docksphere/events';
import { createLogger } from '@docksphere/kit';
import { FilesystemBlobStore } from '@docksphere/storage';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RepositoryInvalidations, startRegistryConsumers } from '../src/index.ts';
import { prepareImage, pushBlob, repo, startRegistry, type Harness } from './helpers.ts';

const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';
const actor = { subject: 'owner' };

describe('repository lifecycle consumer', () => {
  let h: Harness;
  let bus: InMemoryBus;
  let consumers: { close(): Promise<void> };
  let headers: { authorization: string };
  const names = ['acme/app', 'acme/app/api', 'acme/old', 'acme/new', 'acme/merge-from', 'acme/merge-to', 'acme/again', 'acme/late'];

  beforeAll(async () => {
    const invalidations = new RepositoryInvalidations();
    h = await startRegistry({ invalidations });
    bus = new InMemoryBus();
    const store = new FilesystemBlobStore({ dir: h.storeDir, accelRedirect: false });
    consumers = await startRegistryConsumers({ db: h.database.db, bus, logger: createLogger({ level: 'silent' }), store, invalidations });
    headers = await h.auth(...names.map((n) => repo(n)));
  });
  afterAll(async () => {
    await consumers?.close();
    await h?.close();
  });

  const get = (name: string, ref: string) => h.app.inject({ method: 'GET', url: `/v2/${name}/manifests/${ref}`, headers: { ...headers, accept: OCI_MANIFEST } });
  const headBlob = (name: string, digest: string) => h.app.inject({ method: 'HEAD', url: `/v2/${name}/blobs/${digest}`, headers });
  const tags = (name: string) => h.app.inject({ method: 'GET', url: `/v2/${name}/tags/list`, headers });
  async function push(name: string, tag: string, seed: string) {
    const img = await prepareImage(h, name, headers, {}, seed);
    const put = await h.app.inject({ method: 'PUT', url: `/v2/${name}/manifests/${tag}`, headers: { ...headers, 'content-type': OCI_MANIFEST }, payload: img.manifest });
    expect(put.statusCode, put.body).toBe(201);
    return img;
  }
  async function rows(table: string, repository: string): Promise<number> {
    const column = table === 'repositories' ? 'name' : 'repository';
    const r = await sql<{ n: string }>`select count(*) as n from ${sql.table(`registry.${table}`)} where ${sql.ref(column)} = ${repository}`.execute(h.database.db);
    return Number(r.rows[0]!.n);
  }
  async function deliver(event: DomainEvent): Promise<void> {
    await bus.publish(event);
  }

  it('removes a deleted repository\'s tags, manifests, blob links, history and uploads; caches stop serving it; blobs stay for collection', async () => {
    const img = await push('acme/app', 'v1', 'app');
    const nested = await push('acme/app/api', 'v1', 'api');
    // Warm every cache: tag, manifest by digest, blob link.
    expect((await get('acme/app', 'v1')).statusCode).toBe(200);
    expect((await get('acme/app', img.digest)).statusCode).toBe(200);
    expect((await headBlob('acme/app', img.layers[0]!)).statusCode).toBe(200);
    const upload = await h.app.inject({ method: 'POST', url: '/v2/acme/app/blobs/uploads/', headers });
    expect(upload.statusCode).toBe(202);

    await deliver(newEvent('metadata.repository.deleted', actor, { repository: 'acme/app' }));

    for (const ref of ['v1', img.digest]) {
      const res = await get('acme/app', ref);
      expect(res.statusCode, ref).toBe(404);
      expect(res.json().errors[0].code).toMatch(/MANIFEST_UNKNOWN|NAME_UNKNOWN/);
    }
    expect((await headBlob('acme/app', img.layers[0]!)).statusCode).toBe(404);
    expect((await tags('acme/app')).json().errors[0].code).toBe('NAME_UNKNOWN');
    expect((await h.app.inject({ method: 'GET', url: upload.headers.location as string, headers })).statusCode).toBe(404);
    for (const table of ['repositories', 'manifests', 'tags', 'repository_blobs', 'tag_history', 'uploads']) expect(await rows(table, 'acme/app'), table).toBe(0);
    // The blob bytes are still in the store, unreferenced (reclaimable), and a nested name is untouched.
    const store = new FilesystemBlobStore({ dir: h.storeDir, accelRedirect: false });
    expect(await store.stat(img.layers[0]!)).toMatchObject({ exists: true });
    expect((await get('acme/app/api', 'v1')).statusCode).toBe(200);
    expect((await get('acme/app/api', nested.digest)).statusCode).toBe(200);
  });

  it('applies each event once: a redelivered delete does not remove content pushed after it', async () => {
    await push('acme/again', 'v1', 'again-1');
    const deleted = newEvent('metadata.repository.deleted', actor, { repository: 'acme/again' });
    await deliver(deleted);
    expect((await get('acme/again', 'v1')).statusCode).toBe(404);
    const second = await push('acme/again', 'v2', 'again-2');
    await deliver(deleted);
    const res = await get('acme/again', 'v2');
    expect(res.statusCode).toBe(200);
    expect(res.headers['docker-content-digest']).toBe(second.digest);
    const processed = await sql<{ n: string }>`select count(*) as n from registry.processed_events where event_id = ${deleted.id}`.execute(h.database.db);
    expect(Number(processed.rows[0]!.n)).toBe(1);
  });

  it('keeps content pushed after metadata deleted the repository when the delete is applied late', async () => {
    const before = await push('acme/late', 'v1', 'late-1');
    const deleted = newEvent('metadata.repository.deleted', actor, { repository: 'acme/late' });
    await new Promise((resolve) => setTimeout(resolve, 20));
    const after = await push('acme/late', 'v2', 'late-2');
    await deliver(deleted);
    expect((await get('acme/late', 'v1')).statusCode).toBe(404);
    expect((await get('acme/late', before.digest)).statusCode).toBe(404);
    const res = await get('acme/late', 'v2');
    expect(res.statusCode).toBe(200);
    expect(res.headers['docker-content-digest']).toBe(after.digest);
    for (const layer of after.layers) expect((await headBlob('acme/late', layer)).statusCode).toBe(200);
    expect(await rows('repositories', 'acme/late')).toBe(1);
  });

  it('moves a transferred repository: same bytes, tags, blobs and history under the new name, nothing under the old', async () => {
    const img = await push('acme/old', 'v1', 'old');
    const old = await get('acme/old', 'v1');
    expect(old.statusCode).toBe(200);

    await deliver(newEvent('metadata.repository.transferred', actor, { from: 'acme/old', to: 'acme/new' }));

    for (const ref of ['v1', img.digest]) {
      const moved = await get('acme/new', ref);
      expect(moved.statusCode, ref).toBe(200);
      expect(moved.rawPayload.equals(old.rawPayload)).toBe(true);
      expect((await get('acme/old', ref)).statusCode, ref).toBe(404);
    }
    expect(await tags('acme/new').then((r) => r.json())).toEqual({ name: 'acme/new', tags: ['v1'] });
    expect((await headBlob('acme/new', img.config)).statusCode).toBe(200);
    expect((await headBlob('acme/old', img.config)).statusCode).toBe(404);
    expect(await rows('tag_history', 'acme/new')).toBe(1);
    for (const table of ['repositories', 'manifests', 'tags', 'repository_blobs', 'tag_history']) expect(await rows(table, 'acme/old'), table).toBe(0);
  });

  it('merges into a destination that already holds content; the moved tag wins', async () => {
    const shared = await push('acme/merge-to', 'v1', 'shared');
    const layerOnlyThere = await pushBlob(h, 'acme/merge-to', 'only-at-destination', headers);
    // The same image (same blobs, same manifest) under a different tag at the source, and a newer v1.
    await prepareImage(h, 'acme/merge-from', headers, {}, 'shared');
    const put = await h.app.inject({ method: 'PUT', url: '/v2/acme/merge-from/manifests/stable', headers: { ...headers, 'content-type': OCI_MANIFEST }, payload: shared.manifest });
    expect(put.statusCode).toBe(201);
    const newer = await push('acme/merge-from', 'v1', 'newer');

    await deliver(newEvent('metadata.repository.transferred', actor, { from: 'acme/merge-from', to: 'acme/merge-to' }));

    expect((await tags('acme/merge-to')).json().tags).toEqual(['stable', 'v1']);
    expect((await get('acme/merge-to', 'v1')).headers['docker-content-digest']).toBe(newer.digest);
    expect((await get('acme/merge-to', 'stable')).headers['docker-content-digest']).toBe(shared.digest);
    expect((await headBlob('acme/merge-to', layerOnlyThere)).statusCode).toBe(200);
    expect(await rows('repositories', 'acme/merge-from')).toBe(0);
  });

  it('ignores a transfer or delete of a name the registry never held', async () => {
    await deliver(newEvent('metadata.repository.transferred', actor, { from: 'acme/ghost', to: 'acme/ghost2' }));
    await deliver(newEvent('metadata.repository.deleted', actor, { repository: 'acme/ghost' }));
    expect(await rows('repositories', 'acme/ghost2')).toBe(0);
  });
});
