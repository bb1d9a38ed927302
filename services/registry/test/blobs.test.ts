import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { prepareImage, pushBlob, repo, sha256, startRegistry, type Harness } from './helpers.ts';

describe('blobs', () => {
  let h: Harness;
  let headers: { authorization: string };
  let digest: string;
  const data = Buffer.from('0123456789');
  beforeAll(async () => {
    h = await startRegistry();
    headers = await h.auth(repo('team/app'), repo('team/other'));
    digest = await pushBlob(h, 'team/app', data, headers);
  });
  afterAll(async () => h.close());

  const get = (url: string, extra: Record<string, string> = {}, method: 'GET' | 'HEAD' = 'GET') => h.app.inject({ method, url, headers: { ...headers, ...extra } });

  it('answers HEAD with length, digest, ETag and no body', async () => {
    const r = await get(`/v2/team/app/blobs/${digest}`, {}, 'HEAD');
    expect(r.statusCode).toBe(200);
    expect(r.headers['content-length']).toBe('10');
    expect(r.headers['docker-content-digest']).toBe(digest);
    expect(r.headers.etag).toBe(`"${digest}"`);
    expect(r.headers['accept-ranges']).toBe('bytes');
    expect(r.body).toBe('');
  });

  it('streams the bytes on GET', async () => {
    const r = await get(`/v2/team/app/blobs/${digest}`);
    expect(r.statusCode).toBe(200);
    expect(r.rawPayload.equals(data)).toBe(true);
  });

  it('serves ranges with 206 and Content-Range', async () => {
    for (const [range, body, cr] of [
      ['bytes=2-4', '234', 'bytes 2-4/10'],
      ['bytes=7-', '789', 'bytes 7-9/10'],
      ['bytes=-3', '789', 'bytes 7-9/10'],
      ['bytes=0-999999999', '0123456789', 'bytes 0-9/10'],
    ] as const) {
      const r = await get(`/v2/team/app/blobs/${digest}`, { range });
      expect(r.statusCode, range).toBe(206);
      expect(r.body).toBe(body);
      expect(r.headers['content-range']).toBe(cr);
    }
  });

  it('refuses unsatisfiable, malformed and multi-ranges with 416 and bytes */size', async () => {
    for (const range of ['bytes=5-2', 'bytes=10-', 'bytes=0-1,3-4', 'garbage', 'bytes=-0', 'bytes=abc-']) {
      const r = await get(`/v2/team/app/blobs/${digest}`, { range });
      expect(r.statusCode, range).toBe(416);
      expect(r.headers['content-range']).toBe('bytes */10');
      expect(r.json().errors[0].code).toBe('RANGE_INVALID');
    }
  });

  it('answers 304 when If-None-Match holds the ETag', async () => {
    const r = await get(`/v2/team/app/blobs/${digest}`, { 'if-none-match': `"${digest}"` });
    expect(r.statusCode).toBe(304);
    expect(r.body).toBe('');
  });

  it('serves a blob only in repositories it is linked to', async () => {
    const r = await get(`/v2/team/other/blobs/${digest}`);
    expect(r.statusCode).toBe(404);
    expect(r.json().errors[0].code).toBe('BLOB_UNKNOWN');
    const missing = await get(`/v2/team/app/blobs/${sha256('nope')}`, {}, 'HEAD');
    expect(missing.statusCode).toBe(404);
  });

  it('refuses malformed digests with DIGEST_INVALID', async () => {
    for (const d of ['sha256:abc', 'md5:0123', 'sha256:' + 'A'.repeat(64), 'sha256:..%2f..%2fetc']) {
      const r = await get(`/v2/team/app/blobs/${d}`);
      expect(r.statusCode, d).toBe(400);
      expect(r.json().errors[0].code).toBe('DIGEST_INVALID');
    }
  });

  it('serves a manifest through the blob endpoint', async () => {
    const img = await prepareImage(h, 'team/app', headers);
    await h.app.inject({ method: 'PUT', url: `/v2/team/app/manifests/${img.digest}`, headers: { ...headers, 'content-type': 'application/vnd.oci.image.manifest.v1+json' }, payload: img.manifest });
    const r = await get(`/v2/team/app/blobs/${img.digest}`);
    expect(r.statusCode).toBe(200);
    expect(r.rawPayload.equals(img.manifest)).toBe(true);
  });

  it('deletes a blob link with 202, then 404', async () => {
    const d = await pushBlob(h, 'team/app', 'to-delete', headers);
    const del = await h.app.inject({ method: 'DELETE', url: `/v2/team/app/blobs/${d}`, headers });
    expect(del.statusCode).toBe(202);
    expect((await get(`/v2/team/app/blobs/${d}`, {}, 'HEAD')).statusCode).toBe(404);
    const again = await h.app.inject({ method: 'DELETE', url: `/v2/team/app/blobs/${d}`, headers });
    expect(again.statusCode).toBe(404);
    expect(again.json().errors[0].code).toBe('BLOB_UNKNOWN');
  });
});

describe('blobs behind NGINX', () => {
  it('answers GET with X-Accel-Redirect and no body when an accel prefix is set', async () => {
    const h = await startRegistry({ accelPrefix: '/_blobs' });
    try {
      const headers = await h.auth(repo('team/app'));
      const d = await pushBlob(h, 'team/app', 'accelerated', headers);
      const r = await h.app.inject({ method: 'GET', url: `/v2/team/app/blobs/${d}`, headers });
      expect(r.statusCode).toBe(200);
      expect(r.headers['x-accel-redirect']).toBe(`/_blobs/sha256/${d.slice(7, 9)}/${d.slice(7)}`);
      expect(r.headers['docker-content-digest']).toBe(d);
      expect(r.body).toBe('');
    } finally {
      await h.close();
    }
  });
});
