import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { sql } from '@docksphere/db';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sweepExpiredUploads } from '../src/index.ts';
import { createLogger } from '@docksphere/kit';
import { FilesystemBlobStore } from '@docksphere/storage';
import { pushBlob, repo, sha256, sha512, startRegistry, type Harness } from './helpers.ts';

async function stagedUploads(h: Harness): Promise<string[]> {
  return readdir(path.join(h.storeDir, 'uploads')).catch(() => []);
}
async function uploadRows(h: Harness): Promise<number> {
  const r = await sql<{ n: number }>`select count(*)::int as n from registry.uploads`.execute(h.database.db);
  return r.rows[0]?.n ?? 0;
}

describe('blob uploads', () => {
  let h: Harness;
  let headers: { authorization: string };
  beforeAll(async () => {
    h = await startRegistry();
    headers = await h.auth(repo('team/app'), repo('team/other'));
  });
  afterAll(async () => h.close());

  const start = async (name = 'team/app') => {
    const r = await h.app.inject({ method: 'POST', url: `/v2/${name}/blobs/uploads/`, headers: { ...headers, 'content-length': '0' } });
    expect(r.statusCode).toBe(202);
    return r;
  };
  const octet = { 'content-type': 'application/octet-stream' };

  it('opens a session with 202, a relative Location, Range 0-0 and Docker-Upload-UUID', async () => {
    const r = await start();
    const loc = r.headers.location as string;
    expect(loc).toMatch(/^\/v2\/team\/app\/blobs\/uploads\/[0-9a-f-]{36}$/);
    expect(r.headers.range).toBe('0-0');
    expect(loc.endsWith(r.headers['docker-upload-uuid'] as string)).toBe(true);
    const status = await h.app.inject({ method: 'GET', url: loc, headers });
    expect(status.statusCode).toBe(204);
    expect(status.headers.range).toBe('0-0');
    expect(status.headers.location).toBe(loc);
  });

  it('accepts chunks in order and completes with PUT ?digest= (201, Location, digest)', async () => {
    const loc = (await start()).headers.location as string;
    const p1 = await h.app.inject({ method: 'PATCH', url: loc, headers: { ...headers, ...octet, 'content-range': '0-4' }, payload: Buffer.from('hello') });
    expect(p1.statusCode).toBe(202);
    expect(p1.headers.range).toBe('0-4');
    const p2 = await h.app.inject({ method: 'PATCH', url: p1.headers.location as string, headers: { ...headers, ...octet }, payload: Buffer.from(' world') });
    expect(p2.statusCode).toBe(202);
    expect(p2.headers.range).toBe('0-10');
    const digest = sha256('hello world!');
    const put = await h.app.inject({ method: 'PUT', url: `${loc}?digest=${digest}`, headers: { ...headers, ...octet }, payload: Buffer.from('!') });
    expect(put.statusCode, put.body).toBe(201);
    expect(put.headers.location).toBe(`/v2/team/app/blobs/${digest}`);
    expect(put.headers['docker-content-digest']).toBe(digest);
    const got = await h.app.inject({ method: 'GET', url: put.headers.location as string, headers });
    expect(got.body).toBe('hello world!');
  });

  it('refuses an out-of-order chunk with 416 and the current Range', async () => {
    const loc = (await start()).headers.location as string;
    await h.app.inject({ method: 'PATCH', url: loc, headers: { ...headers, ...octet, 'content-range': '0-2' }, payload: Buffer.from('abc') });
    const bad = await h.app.inject({ method: 'PATCH', url: loc, headers: { ...headers, ...octet, 'content-range': '5-7' }, payload: Buffer.from('xyz') });
    expect(bad.statusCode).toBe(416);
    expect(bad.headers.range).toBe('0-2');
    expect(bad.json().errors[0].code).toBe('RANGE_INVALID');
    const status = await h.app.inject({ method: 'GET', url: loc, headers });
    expect(status.headers.range).toBe('0-2');
  });

  it('refuses a Content-Range that disagrees with Content-Length', async () => {
    const loc = (await start()).headers.location as string;
    const bad = await h.app.inject({ method: 'PATCH', url: loc, headers: { ...headers, ...octet, 'content-range': '0-9' }, payload: Buffer.from('abc') });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().errors[0].code).toBe('SIZE_INVALID');
  });

  it('on a digest mismatch answers DIGEST_INVALID and leaves no session, staged data or blob', async () => {
    const before = await stagedUploads(h);
    const loc = (await start()).headers.location as string;
    const wrong = sha256('something else');
    const put = await h.app.inject({ method: 'PUT', url: `${loc}?digest=${wrong}`, headers: { ...headers, ...octet }, payload: Buffer.from('actual bytes') });
    expect(put.statusCode).toBe(400);
    expect(put.json().errors[0].code).toBe('DIGEST_INVALID');
    expect((await h.app.inject({ method: 'GET', url: loc, headers })).statusCode).toBe(404);
    expect(await stagedUploads(h)).toEqual(before);
    expect((await h.app.inject({ method: 'HEAD', url: `/v2/team/app/blobs/${sha256('actual bytes')}`, headers })).statusCode).toBe(404);
  });

  it('treats a session used under another repository as unknown', async () => {
    const loc = (await start('team/app')).headers.location as string;
    const other = loc.replace('/team/app/', '/team/other/');
    const r = await h.app.inject({ method: 'PATCH', url: other, headers: { ...headers, ...octet }, payload: Buffer.from('x') });
    expect(r.statusCode).toBe(404);
    expect(r.json().errors[0].code).toBe('BLOB_UPLOAD_UNKNOWN');
    const put = await h.app.inject({ method: 'PUT', url: `${other}?digest=${sha256('')}`, headers });
    expect(put.json().errors[0].code).toBe('BLOB_UPLOAD_UNKNOWN');
  });

  it('answers BLOB_UPLOAD_UNKNOWN for ids it never issued', async () => {
    for (const id of ['not-a-uuid', '00000000-0000-0000-0000-000000000000', '..%2f..%2fetc']) {
      const r = await h.app.inject({ method: 'GET', url: `/v2/team/app/blobs/uploads/${id}`, headers });
      expect(r.statusCode, id).toBe(404);
    }
  });

  it('pushes monolithically with POST ?digest= (201)', async () => {
    const data = Buffer.from('monolithic');
    const digest = sha256(data);
    const r = await h.app.inject({ method: 'POST', url: `/v2/team/app/blobs/uploads/?digest=${digest}`, headers: { ...headers, ...octet }, payload: data });
    expect(r.statusCode).toBe(201);
    expect(r.headers.location).toBe(`/v2/team/app/blobs/${digest}`);
    expect(await uploadRows(h)).toBeGreaterThanOrEqual(0);
    const bad = await h.app.inject({ method: 'POST', url: `/v2/team/app/blobs/uploads/?digest=${sha256('x')}`, headers: { ...headers, ...octet }, payload: data });
    expect(bad.json().errors[0].code).toBe('DIGEST_INVALID');
  });

  it('handles sha512 digests for uploads and blob reads', async () => {
    const data = Buffer.from('sha512 content');
    const digest = sha512(data);
    const loc = (await start()).headers.location as string;
    await h.app.inject({ method: 'PATCH', url: loc, headers: { ...headers, ...octet }, payload: data });
    const put = await h.app.inject({ method: 'PUT', url: `${loc}?digest=${digest}`, headers });
    expect(put.statusCode, put.body).toBe(201);
    const got = await h.app.inject({ method: 'GET', url: `/v2/team/app/blobs/${digest}`, headers });
    expect(got.statusCode).toBe(200);
    expect(got.headers['docker-content-digest']).toBe(digest);
    expect(got.rawPayload.equals(data)).toBe(true);
  });

  it('cancels a session with DELETE (204) and removes its staged data', async () => {
    const loc = (await start()).headers.location as string;
    await h.app.inject({ method: 'PATCH', url: loc, headers: { ...headers, ...octet }, payload: Buffer.from('partial') });
    const id = loc.split('/').pop() as string;
    expect(await stagedUploads(h)).toContain(id);
    const del = await h.app.inject({ method: 'DELETE', url: loc, headers });
    expect(del.statusCode).toBe(204);
    expect(await stagedUploads(h)).not.toContain(id);
    expect((await h.app.inject({ method: 'GET', url: loc, headers })).statusCode).toBe(404);
  });

  it('refuses a second concurrent write to one session', async () => {
    const loc = (await start()).headers.location as string;
    const id = loc.split('/').pop() as string;
    // Simulate another request holding the session.
    await sql`update registry.uploads set claim_token = gen_random_uuid(), claimed_until = now() + interval '1 minute' where id = ${id}`.execute(h.database.db);
    const r = await h.app.inject({ method: 'PATCH', url: loc, headers: { ...headers, ...octet }, payload: Buffer.from('x') });
    expect(r.statusCode).toBe(416);
    expect(r.json().errors[0].code).toBe('BLOB_UPLOAD_INVALID');
    expect(r.headers.range).toBe('0-0');
  });

  describe('mount', () => {
    it('mounts from a repository the token can pull (201)', async () => {
      const digest = await pushBlob(h, 'team/other', 'shared layer', headers);
      const r = await h.app.inject({ method: 'POST', url: `/v2/team/app/blobs/uploads/?mount=${digest}&from=team/other`, headers });
      expect(r.statusCode).toBe(201);
      expect(r.headers.location).toBe(`/v2/team/app/blobs/${digest}`);
      expect((await h.app.inject({ method: 'HEAD', url: `/v2/team/app/blobs/${digest}`, headers })).statusCode).toBe(200);
      const ev = await sql<{ type: string }>`select type from registry.outbox where type = 'registry.blob.mounted'`.execute(h.database.db);
      expect(ev.rows.length).toBeGreaterThan(0);
    });

    it('falls back to an upload session (202) without pull on `from`', async () => {
      const digest = await pushBlob(h, 'team/other', 'private layer', headers);
      const pushOnly = await h.auth(repo('team/third', 'pull', 'push'));
      const r = await h.app.inject({ method: 'POST', url: `/v2/team/third/blobs/uploads/?mount=${digest}&from=team/other`, headers: pushOnly });
      expect(r.statusCode).toBe(202);
      expect(r.headers.location).toMatch(/\/blobs\/uploads\//);
      const noFrom = await h.app.inject({ method: 'POST', url: `/v2/team/third/blobs/uploads/?mount=${digest}`, headers: pushOnly });
      expect(noFrom.statusCode).toBe(202);
    });

    it('mounts without `from` when a pullable repository has the blob', async () => {
      const digest = await pushBlob(h, 'team/other', 'anywhere layer', headers);
      const r = await h.app.inject({ method: 'POST', url: `/v2/team/app/blobs/uploads/?mount=${digest}`, headers });
      expect(r.statusCode).toBe(201);
    });
  });

  it('sweeps expired sessions: rows and staged data', async () => {
    const loc = (await start()).headers.location as string;
    const id = loc.split('/').pop() as string;
    await h.app.inject({ method: 'PATCH', url: loc, headers: { ...headers, ...octet }, payload: Buffer.from('abandoned') });
    await sql`update registry.uploads set updated_at = now() - interval '2 hours' where id = ${id}`.execute(h.database.db);
    const store = new FilesystemBlobStore({ dir: h.storeDir, accelRedirect: false });
    const removed = await sweepExpiredUploads({ db: h.database.db, store, logger: createLogger({ level: 'silent' }), uploadTtlSeconds: 3600 });
    expect(removed).toBeGreaterThanOrEqual(1);
    expect(await stagedUploads(h)).not.toContain(id);
    expect((await h.app.inject({ method: 'GET', url: loc, headers })).statusCode).toBe(404);
  });
});
