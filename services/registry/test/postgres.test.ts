// The registry on a real Postgres: two replicas sharing one database and one storage directory,
// an upload that survives a restart, and concurrent pushes of one tag.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { openDatabase, sql, type Database } from '@docksphere/db';
import { postgresBinDir, requireServer, startPostgres, type RunningPostgres } from '@docksphere/infra';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeSigningKey, prepareImage, repo, sha256, startRegistry, type Harness, type SigningKey } from './helpers.ts';

const octet = { 'content-type': 'application/octet-stream' };

describe.skipIf(!requireServer('PostgreSQL', postgresBinDir() !== undefined))('registry on a real Postgres', () => {
  let pg: RunningPostgres;
  let database: Database;
  let storeDir: string;
  let key: SigningKey;
  let a: Harness;
  let b: Harness;
  let headers: { authorization: string };

  beforeAll(async () => {
    pg = await startPostgres({ database: 'registry_test' });
    database = await openDatabase({ url: pg.url, maxConnections: 10 });
    storeDir = await mkdtemp(path.join(tmpdir(), 'registry-pg-'));
    key = await makeSigningKey();
    a = await startRegistry({ database, storeDir, key });
    b = await startRegistry({ database, storeDir, key });
    headers = await a.auth(repo('team/app'));
  });
  afterAll(async () => {
    await a?.close();
    await b?.close();
    await database?.close();
    await pg?.stop();
    if (storeDir) await rm(storeDir, { recursive: true, force: true });
  });

  it('continues an upload on another replica: PATCH on one, PATCH and PUT on the other', async () => {
    const post = await a.app.inject({ method: 'POST', url: '/v2/team/app/blobs/uploads/', headers });
    const loc = post.headers.location as string;
    const p1 = await a.app.inject({ method: 'PATCH', url: loc, headers: { ...headers, ...octet }, payload: Buffer.from('first half, ') });
    expect(p1.statusCode).toBe(202);
    const p2 = await b.app.inject({ method: 'PATCH', url: loc, headers: { ...headers, ...octet, 'content-range': '12-22' }, payload: Buffer.from('second half') });
    expect(p2.statusCode, p2.body).toBe(202);
    expect(p2.headers.range).toBe('0-22');
    const digest = sha256('first half, second half');
    const put = await b.app.inject({ method: 'PUT', url: `${loc}?digest=${digest}`, headers });
    expect(put.statusCode, put.body).toBe(201);
    const got = await a.app.inject({ method: 'GET', url: `/v2/team/app/blobs/${digest}`, headers });
    expect(got.body).toBe('first half, second half');
  });

  it('keeps an upload across a restart of the replica', async () => {
    const post = await a.app.inject({ method: 'POST', url: '/v2/team/app/blobs/uploads/', headers });
    const loc = post.headers.location as string;
    await a.app.inject({ method: 'PATCH', url: loc, headers: { ...headers, ...octet }, payload: Buffer.from('before restart; ') });
    await a.close();
    a = await startRegistry({ database, storeDir, key });
    const status = await a.app.inject({ method: 'GET', url: loc, headers });
    expect(status.statusCode).toBe(204);
    expect(status.headers.range).toBe('0-15');
    const digest = sha256('before restart; after restart');
    const put = await a.app.inject({ method: 'PUT', url: `${loc}?digest=${digest}`, headers: { ...headers, ...octet }, payload: Buffer.from('after restart') });
    expect(put.statusCode, put.body).toBe(201);
  });

  it('ends consistent when two replicas push the same tag at once, with events in the outbox', async () => {
    const imgs = await Promise.all(['p1', 'p2', 'p3', 'p4'].map((s) => prepareImage(a, 'team/app', headers, {}, s)));
    const results = await Promise.all(
      imgs.map((img, i) =>
        (i % 2 ? b : a).app.inject({ method: 'PUT', url: '/v2/team/app/manifests/shared', headers: { ...headers, 'content-type': 'application/vnd.oci.image.manifest.v1+json' }, payload: img.manifest }),
      ),
    );
    expect(results.map((r) => r.statusCode)).toEqual([201, 201, 201, 201]);
    const tag = await sql<{ digest: string }>`select digest from registry.tags where repository = 'team/app' and name = 'shared'`.execute(database.db);
    expect(tag.rows).toHaveLength(1);
    const hist = await sql<{ digest: string; previous_digest: string | null }>`select digest, previous_digest from registry.tag_history where tag = 'shared' order by id`.execute(database.db);
    hist.rows.forEach((row, i) => expect(row.previous_digest).toBe(i === 0 ? null : hist.rows[i - 1]?.digest));
    expect(hist.rows[hist.rows.length - 1]?.digest).toBe(tag.rows[0]?.digest);
    const events = await sql<{ n: number }>`select count(*)::int as n from registry.outbox where type = 'registry.manifest.pushed'`.execute(database.db);
    expect(events.rows[0]?.n).toBe(4);
    // tags/list pages come back from Postgres as one JSON array: bytewise order, n and last honoured.
    for (const t of ['B', 'a', 'b']) {
      const r = await a.app.inject({ method: 'PUT', url: `/v2/team/app/manifests/${t}`, headers: { ...headers, 'content-type': 'application/vnd.oci.image.manifest.v1+json' }, payload: imgs[0]?.manifest });
      expect(r.statusCode).toBe(201);
    }
    const list = await b.app.inject({ method: 'GET', url: '/v2/team/app/tags/list?n=3', headers });
    expect(list.json()).toEqual({ name: 'team/app', tags: ['B', 'a', 'b'] });
    const rest = await b.app.inject({ method: 'GET', url: '/v2/team/app/tags/list?n=3&last=b', headers });
    expect(rest.json().tags).toEqual(['shared']);
  });

  it('pushes the same blob from both replicas at once without conflict', async () => {
    const data = Buffer.from('same blob twice');
    const digest = sha256(data);
    const push = async (h: Harness) => h.app.inject({ method: 'POST', url: `/v2/team/app/blobs/uploads/?digest=${digest}`, headers: { ...headers, ...octet }, payload: data });
    const [r1, r2] = await Promise.all([push(a), push(b)]);
    expect([r1.statusCode, r2.statusCode]).toEqual([201, 201]);
    const links = await sql<{ n: number }>`select count(*)::int as n from registry.repository_blobs where digest = ${digest}`.execute(database.db);
    expect(links.rows[0]?.n).toBe(1);
  });
});
