import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { prepareImage, repo, startRegistry, type Harness } from './helpers.ts';

describe('tags/list and _catalog', () => {
  let h: Harness;
  let headers: { authorization: string };
  const tags = ['B', 'a', 'b', 'latest', 'v1', 'v1.0', 'v10', 'v2'];
  beforeAll(async () => {
    h = await startRegistry({ config: { maxPageSize: 5 } });
    headers = await h.auth(repo('team/app'), repo('team/empty'), { type: 'registry', name: 'catalog', actions: ['*'] });
    const img = await prepareImage(h, 'team/app', headers);
    for (const t of tags) {
      const r = await h.app.inject({ method: 'PUT', url: `/v2/team/app/manifests/${t}`, headers: { ...headers, 'content-type': 'application/vnd.oci.image.manifest.v1+json' }, payload: img.manifest });
      expect(r.statusCode).toBe(201);
    }
  });
  afterAll(async () => h.close());
  const list = (q: string) => h.app.inject({ method: 'GET', url: `/v2/team/app/tags/list${q}`, headers });
  const sorted = [...tags].sort();

  it('lists tags in bytewise order, a page at a time with a Link to the next', async () => {
    const first = await list('?n=3');
    expect(first.json()).toEqual({ name: 'team/app', tags: sorted.slice(0, 3) });
    expect(first.headers.link).toBe(`</v2/team/app/tags/list?n=3&last=${sorted[2]}>; rel="next"`);
    const second = await list(`?n=3&last=${sorted[2]}`);
    expect(second.json().tags).toEqual(sorted.slice(3, 6));
    const tail = await list(`?n=3&last=${sorted[5]}`);
    expect(tail.json().tags).toEqual(sorted.slice(6));
    expect(tail.headers.link).toBeUndefined();
  });

  it('answers each document with its exact Content-Type (referrers without a charset, JSON as distribution does)', async () => {
    const json = 'application/json; charset=utf-8';
    const manifest = await h.app.inject({ method: 'GET', url: '/v2/team/app/manifests/latest', headers });
    const digest = manifest.headers['docker-content-digest'] as string;
    const expectations: [string, 'GET' | 'HEAD', string][] = [
      ['/v2/', 'GET', json],
      ['/v2/_catalog', 'GET', json],
      ['/v2/team/app/tags/list', 'GET', json],
      ['/v2/team/app/manifests/latest', 'GET', 'application/vnd.oci.image.manifest.v1+json'],
      ['/v2/team/app/manifests/latest', 'HEAD', 'application/vnd.oci.image.manifest.v1+json'],
      [`/v2/team/app/referrers/${digest}`, 'GET', 'application/vnd.oci.image.index.v1+json'],
      [`/v2/team/app/referrers/${digest}?artifactType=application/vnd.example.sbom`, 'GET', 'application/vnd.oci.image.index.v1+json'],
      ['/v2/team/app/manifests/missing', 'GET', json],
      ['/v2/team/app/whatever', 'GET', json],
    ];
    for (const [url, method, type] of expectations) {
      const r = await h.app.inject({ method, url, headers });
      expect(r.headers['content-type'], `${method} ${url}`).toBe(type);
    }
  });

  it('returns an empty list and no Link for n=0', async () => {
    const r = await list('?n=0');
    expect(r.statusCode).toBe(200);
    expect(r.json().tags).toEqual([]);
    expect(r.headers.link).toBeUndefined();
  });

  it('clamps n above the maximum page size and links to the rest', async () => {
    const r = await list('?n=100000');
    expect(r.json().tags).toHaveLength(5);
    expect(r.headers.link).toContain('rel="next"');
    const noN = await list('');
    expect(noN.json().tags).toHaveLength(5);
  });

  it('refuses a malformed n with 400 PAGINATION_NUMBER_INVALID, on tags and on the catalog', async () => {
    for (const n of ['-1', 'abc', '1e3', '1.5', '9999999999']) {
      for (const r of [await list(`?n=${n}`), await h.app.inject({ method: 'GET', url: `/v2/_catalog?n=${n}`, headers })]) {
        expect(r.statusCode, n).toBe(400);
        expect(r.json().errors[0].code, n).toBe('PAGINATION_NUMBER_INVALID');
      }
    }
  });

  it('returns nothing after the last tag', async () => {
    const r = await list('?last=zzz');
    expect(r.statusCode).toBe(200);
    expect(r.json().tags).toEqual([]);
  });

  it('answers NAME_UNKNOWN for an unknown repository', async () => {
    const r = await h.app.inject({ method: 'GET', url: '/v2/team/empty/tags/list', headers });
    expect(r.statusCode).toBe(404);
    expect(r.json().errors[0].code).toBe('NAME_UNKNOWN');
  });

  it('lists repositories in _catalog with registry:catalog:* access only', async () => {
    const r = await h.app.inject({ method: 'GET', url: '/v2/_catalog', headers });
    expect(r.statusCode).toBe(200);
    expect(r.json()).toEqual({ repositories: ['team/app'] });
    const denied = await h.app.inject({ method: 'GET', url: '/v2/_catalog', headers: await h.auth(repo('team/app')) });
    expect(denied.statusCode).toBe(401);
    expect(denied.headers['www-authenticate']).toContain('scope="registry:catalog:*"');
    expect(denied.headers['www-authenticate']).toContain('error="insufficient_scope"');
  });
});
