// Two registry replicas on one real Postgres, each with its LISTEN client: a delete, tag delete, tag
// move or blob unlink on one is what the other answers right after, although both caches were warm.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { openDatabase, sql, type Database } from '@docksphere/db';
import { postgresBinDir, requireServer, startPostgres, type RunningPostgres } from '@docksphere/infra';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InMemoryBus, newEvent } from '@docksphere/events';
import { createLogger } from '@docksphere/kit';
import { FilesystemBlobStore } from '@docksphere/storage';
import { PgCacheInvalidationListener, startRegistryConsumers } from '../src/index.ts';
import { makeSigningKey, prepareImage, pushBlob, repo, startRegistry, type Harness } from './helpers.ts';

const MANIFEST = 'application/vnd.oci.image.manifest.v1+json';

/**
 * Both replicas trust their caches for a minute here, so within this test only an announcement
 * can make the reader see a change: an answer that turns right did so through NOTIFY, never
 * through an entry expiring. NOTIFY reaches the reader's socket when the writer commits, but this
 * process reads it on its own event-loop turn, so the reader is asked at once and then every 5 ms
 * for at most 1 s.
 */
const TRUST_A_MINUTE = { tagMs: 60_000, manifestMs: 60_000, blobLinkMs: 60_000 };
async function eventually(ask: () => Promise<number>, want: number): Promise<{ status: number }> {
  const start = Date.now();
  for (;;) {
    const status = await ask();
    if (status === want || Date.now() - start >= 1000) return { status };
    await new Promise((r) => setTimeout(r, 5));
  }
}

describe.skipIf(!requireServer('PostgreSQL', postgresBinDir() !== undefined))('cache invalidation across replicas (LISTEN/NOTIFY)', () => {
  let pg: RunningPostgres;
  let database: Database;
  let storeDir: string;
  let la: PgCacheInvalidationListener;
  let lb: PgCacheInvalidationListener;
  let a: Harness;
  let b: Harness;
  let headers: Record<string, string>;

  beforeAll(async () => {
    pg = await startPostgres({ database: 'registry_cache_test' });
    database = await openDatabase({ url: pg.url, maxConnections: 10 });
    storeDir = await mkdtemp(path.join(tmpdir(), 'registry-cache-'));
    const key = await makeSigningKey();
    la = new PgCacheInvalidationListener({ databaseUrl: pg.url, minBackoffMs: 20, maxBackoffMs: 200 });
    lb = new PgCacheInvalidationListener({ databaseUrl: pg.url, minBackoffMs: 20, maxBackoffMs: 200 });
    la.start();
    lb.start();
    await Promise.all([la.whenConnected(10_000), lb.whenConnected(10_000)]);
    a = await startRegistry({ database, storeDir, key, cacheInvalidation: la, cachePeriods: TRUST_A_MINUTE });
    b = await startRegistry({ database, storeDir, key, cacheInvalidation: lb, cachePeriods: TRUST_A_MINUTE });
    headers = await a.auth(repo('team/app', 'pull', 'push', 'delete'));
  });
  afterAll(async () => {
    await a?.close();
    await b?.close();
    await la?.close();
    await lb?.close();
    await database?.close();
    await pg?.stop();
    if (storeDir) await rm(storeDir, { recursive: true, force: true });
  });

  const get = (h: Harness, url: string) => h.app.inject({ method: 'GET', url, headers: { ...headers, accept: MANIFEST } });
  const put = (h: Harness, ref: string, body: Buffer) => h.app.inject({ method: 'PUT', url: `/v2/team/app/manifests/${ref}`, headers: { ...headers, 'content-type': MANIFEST }, payload: body });

  it('serves from its cache while connected (an unannounced database edit stays unseen), so the tests below exercise the cache', async () => {
    const img = await prepareImage(a, 'team/app', headers, {}, 'control');
    expect((await put(a, 'control', img.manifest)).statusCode).toBe(201);
    expect((await get(b, '/v2/team/app/manifests/control')).statusCode).toBe(200);
    // Behind the registry's back: no NOTIFY, so b keeps answering from its warm cache.
    await sql`delete from registry.tags where repository = 'team/app' and name = 'control'`.execute(database.db);
    expect((await get(b, '/v2/team/app/manifests/control')).statusCode).toBe(200);
    expect((await get(b, `/v2/team/app/manifests/${img.digest}`)).statusCode).toBe(200);
  });

  it('after a manifest delete on one replica, the other answers 404 by digest and by tag', async () => {
    const img = await prepareImage(a, 'team/app', headers, {}, 'del');
    expect((await put(a, 'v1', img.manifest)).statusCode).toBe(201);
    // Warm both replicas' tag and manifest caches.
    for (const h of [a, b]) {
      expect((await get(h, '/v2/team/app/manifests/v1')).statusCode).toBe(200);
      expect((await get(h, `/v2/team/app/manifests/${img.digest}`)).statusCode).toBe(200);
    }
    const del = await a.app.inject({ method: 'DELETE', url: `/v2/team/app/manifests/${img.digest}`, headers });
    expect(del.statusCode).toBe(202);
    const byDigest = await eventually(async () => (await get(b, `/v2/team/app/manifests/${img.digest}`)).statusCode, 404);
    expect(byDigest.status).toBe(404);
    const byTag = await get(b, '/v2/team/app/manifests/v1');
    expect(byTag.statusCode).toBe(404);
    expect(byTag.json().errors[0].code).toBe('MANIFEST_UNKNOWN');
  });

  it('after a tag moves on one replica, the other answers the new digest', async () => {
    const first = await prepareImage(a, 'team/app', headers, {}, 'move-1');
    const second = await prepareImage(a, 'team/app', headers, {}, 'move-2');
    expect((await put(a, 'latest', first.manifest)).statusCode).toBe(201);
    expect((await get(b, '/v2/team/app/manifests/latest')).headers['docker-content-digest']).toBe(first.digest);
    expect((await put(a, 'latest', second.manifest)).statusCode).toBe(201);
    await eventually(async () => ((await get(b, '/v2/team/app/manifests/latest')).headers['docker-content-digest'] === second.digest ? 1 : 0), 1);
    const moved = await get(b, '/v2/team/app/manifests/latest');
    expect(moved.headers['docker-content-digest']).toBe(second.digest);
    expect(moved.rawPayload.equals(second.manifest)).toBe(true);
  });

  it("after a tag is pushed or deleted on one replica, the other's warm tag list shows it", async () => {
    const listed = await a.auth(repo('team/listed', 'pull', 'push', 'delete'));
    const img = await prepareImage(a, 'team/listed', listed, {}, 'list');
    const tagsOnB = async () => (await b.app.inject({ method: 'GET', url: '/v2/team/listed/tags/list', headers: listed })).json().tags as string[];
    const putListed = (tag: string) => a.app.inject({ method: 'PUT', url: `/v2/team/listed/manifests/${tag}`, headers: { ...listed, 'content-type': MANIFEST }, payload: img.manifest });
    expect((await putListed('one')).statusCode).toBe(201);
    expect(await tagsOnB()).toEqual(['one']);
    expect((await putListed('two')).statusCode).toBe(201);
    await eventually(async () => ((await tagsOnB()).length === 2 ? 1 : 0), 1);
    expect(await tagsOnB()).toEqual(['one', 'two']);
    expect((await a.app.inject({ method: 'DELETE', url: '/v2/team/listed/manifests/one', headers: listed })).statusCode).toBe(202);
    await eventually(async () => ((await tagsOnB()).length === 1 ? 1 : 0), 1);
    expect(await tagsOnB()).toEqual(['two']);
  });

  it("after one replica's consumer removes a repository (metadata's delete), the other stops serving it from its caches", async () => {
    const gone = await a.auth(repo('team/gone', 'pull', 'push'));
    const img = await prepareImage(a, 'team/gone', gone, {}, 'gone');
    const putGone = await a.app.inject({ method: 'PUT', url: '/v2/team/gone/manifests/v1', headers: { ...gone, 'content-type': MANIFEST }, payload: img.manifest });
    expect(putGone.statusCode).toBe(201);
    const onB = (ref: string) => b.app.inject({ method: 'GET', url: `/v2/team/gone/manifests/${ref}`, headers: { ...gone, accept: MANIFEST } });
    const blobOnB = () => b.app.inject({ method: 'HEAD', url: `/v2/team/gone/blobs/${img.layers[0]}`, headers: gone });
    // Warm b's tag, manifest and blob-link caches.
    expect((await onB('v1')).statusCode).toBe(200);
    expect((await onB(img.digest)).statusCode).toBe(200);
    expect((await blobOnB()).statusCode).toBe(200);
    // Replica a runs the lifecycle consumer; b only hears the NOTIFY committed with the removal.
    const bus = new InMemoryBus();
    const consumers = await startRegistryConsumers({ db: database.db, bus, logger: createLogger({ level: 'silent' }), store: new FilesystemBlobStore({ dir: storeDir, accelRedirect: false }) });
    try {
      await bus.publish(newEvent('metadata.repository.deleted', { subject: 'owner' }, { repository: 'team/gone' }));
    } finally {
      await consumers.close();
    }
    expect((await eventually(async () => (await onB('v1')).statusCode, 404)).status).toBe(404);
    expect((await onB(img.digest)).statusCode).toBe(404);
    expect((await blobOnB()).statusCode).toBe(404);
  });

  it('after a tag delete on one replica, the other answers 404 for the tag and still 200 by digest', async () => {
    const img = await prepareImage(a, 'team/app', headers, {}, 'tagdel');
    expect((await put(a, 'gone', img.manifest)).statusCode).toBe(201);
    expect((await get(b, '/v2/team/app/manifests/gone')).statusCode).toBe(200);
    expect((await a.app.inject({ method: 'DELETE', url: '/v2/team/app/manifests/gone', headers })).statusCode).toBe(202);
    const r = await eventually(async () => (await get(b, '/v2/team/app/manifests/gone')).statusCode, 404);
    expect(r.status).toBe(404);
    expect((await get(b, `/v2/team/app/manifests/${img.digest}`)).statusCode).toBe(200);
  });

  it('after a blob is unlinked on one replica, the other answers 404 BLOB_UNKNOWN', async () => {
    const digest = await pushBlob(a, 'team/app', 'a blob to unlink', headers);
    const head = () => b.app.inject({ method: 'HEAD', url: `/v2/team/app/blobs/${digest}`, headers });
    expect((await head()).statusCode).toBe(200);
    expect((await a.app.inject({ method: 'DELETE', url: `/v2/team/app/blobs/${digest}`, headers })).statusCode).toBe(202);
    const r = await eventually(async () => (await head()).statusCode, 404);
    expect(r.status).toBe(404);
    const got = await b.app.inject({ method: 'GET', url: `/v2/team/app/blobs/${digest}`, headers });
    expect(got.json().errors[0].code).toBe('BLOB_UNKNOWN');
  });

  it('while its listener is cut off, a replica answers from the database; it reconnects and caches again', async () => {
    const img = await prepareImage(a, 'team/app', headers, {}, 'outage');
    expect((await put(a, 'outage', img.manifest)).statusCode).toBe(201);
    expect((await get(b, '/v2/team/app/manifests/outage')).statusCode).toBe(200);
    // Kill b's LISTEN session from the server side, as a Postgres restart or network cut would.
    await sql`select pg_terminate_backend(pid) from pg_stat_activity where query = 'LISTEN docksphere_registry_cache'`.execute(database.db);
    const down = Date.now() + 2000;
    while (lb.connected && Date.now() < down) await new Promise((r) => setTimeout(r, 5));
    expect(lb.connected).toBe(false);
    // Unannounced change: seen at once, because nothing is served from the cache while disconnected.
    await sql`delete from registry.tags where repository = 'team/app' and name = 'outage'`.execute(database.db);
    expect((await get(b, '/v2/team/app/manifests/outage')).statusCode).toBe(404);
    await lb.whenConnected(5000);
    await la.whenConnected(5000);
    // Reconnected: announced changes reach the other replica again.
    expect((await put(a, 'outage', img.manifest)).statusCode).toBe(201);
    const r = await eventually(async () => (await get(b, '/v2/team/app/manifests/outage')).statusCode, 200);
    expect(r.status).toBe(200);
    expect((await a.app.inject({ method: 'DELETE', url: '/v2/team/app/manifests/outage', headers })).statusCode).toBe(202);
    const after = await eventually(async () => (await get(b, '/v2/team/app/manifests/outage')).statusCode, 404);
    expect(after.status).toBe(404);
  });
});
