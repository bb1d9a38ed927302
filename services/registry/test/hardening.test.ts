// Protocol edges and abuse bounds of /v2 (issue 11): strict Content-Range, digest algorithms,
// repeated parameters, page clamping, tag parameters on manifest PUT, referenced blobs, and the
// per-user bound on open upload sessions.
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { prepareImage, pushBlob, repo, sha256, signToken, startRegistry, type Harness } from './helpers.ts';

const octet = { 'content-type': 'application/octet-stream' };
const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';

describe('/v2 protocol edges', () => {
  let h: Harness;
  let headers: { authorization: string };
  beforeAll(async () => {
    h = await startRegistry({ config: { maxPageSize: 3 } });
    headers = await h.auth(repo('edge/app'), repo('edge/tags'));
  });
  afterAll(async () => h.close());

  const start = async () => {
    const r = await h.app.inject({ method: 'POST', url: '/v2/edge/app/blobs/uploads/', headers });
    expect(r.statusCode).toBe(202);
    return r.headers.location as string;
  };

  it('refuses a Content-Range outside the spec grammar (<start>-<end>) with 416 and changes nothing', async () => {
    const loc = await start();
    for (const range of ['bytes 0-9/*', 'bytes=0-9', '0-9/10', ' 0-', '-9', '9-0']) {
      const r = await h.app.inject({ method: 'PATCH', url: loc, headers: { ...headers, ...octet, 'content-range': range }, payload: Buffer.from('0123456789') });
      expect(r.statusCode, range).toBe(416);
      expect(r.json().errors[0].code).toBe('RANGE_INVALID');
      expect(r.headers.range).toBe('0-0');
    }
    const ok = await h.app.inject({ method: 'PATCH', url: loc, headers: { ...headers, ...octet, 'content-range': '0-9' }, payload: Buffer.from('0123456789') });
    expect(ok.statusCode).toBe(202);
    expect(ok.headers.range).toBe('0-9');
  });

  it('refuses an unknown ?digest-algorithm= on POST and opens no session; accepts sha256 and sha512', async () => {
    const bad = await h.app.inject({ method: 'POST', url: '/v2/edge/app/blobs/uploads/?digest-algorithm=foo', headers });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().errors[0].code).toBe('DIGEST_INVALID');
    expect(bad.headers.location).toBeUndefined();
    for (const alg of ['sha256', 'sha512']) {
      const ok = await h.app.inject({ method: 'POST', url: `/v2/edge/app/blobs/uploads/?digest-algorithm=${alg}`, headers });
      expect(ok.statusCode).toBe(202);
    }
  });

  it('refuses a parameter that means one value when it is repeated', async () => {
    const d1 = sha256('a');
    const d2 = sha256('b');
    const r = await h.app.inject({ method: 'POST', url: `/v2/edge/app/blobs/uploads/?digest=${d1}&digest=${d2}`, headers: { ...headers, ...octet }, payload: Buffer.from('a') });
    expect(r.statusCode).toBe(400);
    expect(r.json().errors[0].code).toBe('DIGEST_INVALID');
    const n = await h.app.inject({ method: 'GET', url: '/v2/edge/app/tags/list?n=1&n=2', headers });
    expect(n.statusCode).toBe(400);
    expect(n.json().errors[0].code).toBe('PAGINATION_NUMBER_INVALID');
  });

  it('clamps a huge n on tags/list to the maximum and links to the next page', async () => {
    const img = await prepareImage(h, 'edge/tags', headers);
    for (const tag of ['a', 'b', 'c', 'd']) {
      const put = await h.app.inject({ method: 'PUT', url: `/v2/edge/tags/manifests/${tag}`, headers: { ...headers, 'content-type': OCI_MANIFEST }, payload: img.manifest });
      expect(put.statusCode).toBe(201);
    }
    for (const n of ['1000000000', '99999999999999999999999']) {
      const r = await h.app.inject({ method: 'GET', url: `/v2/edge/tags/tags/list?n=${n}`, headers });
      expect(r.statusCode, n).toBe(200);
      expect(r.json().tags).toEqual(['a', 'b', 'c']);
      expect(r.headers.link).toBe('</v2/edge/tags/tags/list?n=3&last=c>; rel="next"');
    }
    const neg = await h.app.inject({ method: 'GET', url: '/v2/edge/tags/tags/list?n=-1', headers });
    expect(neg.statusCode).toBe(400);
  });

  it('applies every ?tag= of a manifest PUT by digest and answers one OCI-Tag header per tag (sha512 too)', async () => {
    const img = await prepareImage(h, 'edge/app', headers, {}, 'tagged');
    const sha512 = `sha512:${createHash('sha512').update(img.manifest).digest('hex')}`;
    for (const digest of [img.digest, sha512]) {
      const put = await h.app.inject({
        method: 'PUT',
        url: `/v2/edge/app/manifests/${digest}?tag=v1&tag=v1.0&tag=stable`,
        headers: { ...headers, 'content-type': OCI_MANIFEST },
        payload: img.manifest,
      });
      expect(put.statusCode, put.body).toBe(201);
      expect(put.headers['docker-content-digest']).toBe(digest);
      expect([put.headers['oci-tag']].flat().join(',').split(/,\s*/).sort()).toEqual(['stable', 'v1', 'v1.0']);
      for (const tag of ['v1', 'v1.0', 'stable']) {
        const got = await h.app.inject({ method: 'HEAD', url: `/v2/edge/app/manifests/${tag}`, headers: { ...headers, accept: OCI_MANIFEST } });
        expect(got.statusCode).toBe(200);
        expect(got.headers['docker-content-digest']).toBe(digest);
      }
    }
  });

  it('refuses a manifest PUT with an invalid ?tag= before storing anything', async () => {
    const img = await prepareImage(h, 'edge/app', headers, {}, 'badtag');
    const put = await h.app.inject({ method: 'PUT', url: `/v2/edge/app/manifests/${img.digest}?tag=ok&tag=-bad`, headers: { ...headers, 'content-type': OCI_MANIFEST }, payload: img.manifest });
    expect(put.statusCode).toBe(400);
    expect(put.json().errors[0].code).toBe('TAG_INVALID');
    const stored = await h.app.inject({ method: 'HEAD', url: `/v2/edge/app/manifests/${img.digest}`, headers });
    expect(stored.statusCode).toBe(404);
    const tag = await h.app.inject({ method: 'HEAD', url: '/v2/edge/app/manifests/ok', headers });
    expect(tag.statusCode).toBe(404);
  });
});

describe('deleting blobs a manifest references', () => {
  let h: Harness;
  let headers: { authorization: string };
  beforeAll(async () => {
    h = await startRegistry();
    headers = await h.auth(repo('del/app'));
  });
  afterAll(async () => h.close());

  it('refuses (405 UNSUPPORTED) to delete a layer or config of a stored manifest, and the image stays pullable', async () => {
    const img = await prepareImage(h, 'del/app', headers);
    const put = await h.app.inject({ method: 'PUT', url: '/v2/del/app/manifests/latest', headers: { ...headers, 'content-type': OCI_MANIFEST }, payload: img.manifest });
    expect(put.statusCode).toBe(201);
    for (const digest of [img.config, ...img.layers]) {
      const del = await h.app.inject({ method: 'DELETE', url: `/v2/del/app/blobs/${digest}`, headers });
      expect(del.statusCode).toBe(405);
      expect(del.json().errors[0]).toMatchObject({ code: 'UNSUPPORTED', detail: { digest, manifest: img.digest } });
      const get = await h.app.inject({ method: 'GET', url: `/v2/del/app/blobs/${digest}`, headers });
      expect(get.statusCode).toBe(200);
    }
  });

  it('deletes an unreferenced blob, and a layer once its manifest is gone', async () => {
    const loose = await pushBlob(h, 'del/app', 'nobody uses me', headers);
    const del = await h.app.inject({ method: 'DELETE', url: `/v2/del/app/blobs/${loose}`, headers });
    expect(del.statusCode).toBe(202);
    expect((await h.app.inject({ method: 'HEAD', url: `/v2/del/app/blobs/${loose}`, headers })).statusCode).toBe(404);

    const img = await prepareImage(h, 'del/app', headers, {}, 'gone');
    await h.app.inject({ method: 'PUT', url: `/v2/del/app/manifests/${img.digest}`, headers: { ...headers, 'content-type': OCI_MANIFEST }, payload: img.manifest });
    expect((await h.app.inject({ method: 'DELETE', url: `/v2/del/app/blobs/${img.layers[0]}`, headers })).statusCode).toBe(405);
    expect((await h.app.inject({ method: 'DELETE', url: `/v2/del/app/manifests/${img.digest}`, headers })).statusCode).toBe(202);
    expect((await h.app.inject({ method: 'DELETE', url: `/v2/del/app/blobs/${img.layers[0]}`, headers })).statusCode).toBe(202);
  });
});

describe('open upload sessions per user', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startRegistry({ config: { maxUploadSessionsPerUser: 3 } });
  });
  afterAll(async () => h.close());

  it('refuses a user past the bound with 429 TOOMANYREQUESTS and Retry-After, other users unaffected, and frees a slot on cancel', async () => {
    const alice = { authorization: `Bearer ${await signToken(h.key, [repo('lim/app')], { sub: 'alice' })}` };
    const bob = { authorization: `Bearer ${await signToken(h.key, [repo('lim/app')], { sub: 'bob' })}` };
    const opened: string[] = [];
    for (let i = 0; i < 3; i++) {
      const r = await h.app.inject({ method: 'POST', url: '/v2/lim/app/blobs/uploads/', headers: alice });
      expect(r.statusCode).toBe(202);
      opened.push(r.headers.location as string);
    }
    const refused = await h.app.inject({ method: 'POST', url: '/v2/lim/app/blobs/uploads/', headers: alice });
    expect(refused.statusCode).toBe(429);
    expect(refused.json().errors[0].code).toBe('TOOMANYREQUESTS');
    expect(Number(refused.headers['retry-after'])).toBeGreaterThan(0);
    // A monolithic upload opens a session too.
    const mono = await h.app.inject({ method: 'POST', url: `/v2/lim/app/blobs/uploads/?digest=${sha256('x')}`, headers: { ...alice, ...octet }, payload: Buffer.from('x') });
    expect(mono.statusCode).toBe(429);
    expect((await h.app.inject({ method: 'POST', url: '/v2/lim/app/blobs/uploads/', headers: bob })).statusCode).toBe(202);
    expect((await h.app.inject({ method: 'DELETE', url: opened[0] as string, headers: alice })).statusCode).toBe(204);
    expect((await h.app.inject({ method: 'POST', url: '/v2/lim/app/blobs/uploads/', headers: alice })).statusCode).toBe(202);
  });
});
