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
    for (const n of ['-1', 'abc', '1e3', '1.5']) {
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

describe('tags/list served from the in-process tag list', () => {
  let h: Harness;
  let headers: { authorization: string };
  let manifest: Buffer;
  // Caches trusted for a minute: only invalidation can explain a list that follows a change.
  beforeAll(async () => {
    h = await startRegistry({ config: { maxPageSize: 100 }, cachePeriods: { tagMs: 60_000, manifestMs: 60_000, blobLinkMs: 60_000 } });
    headers = await h.auth(repo('team/cached', 'pull', 'push', 'delete'));
    manifest = (await prepareImage(h, 'team/cached', headers)).manifest;
  });
  afterAll(async () => h.close());
  const put = (tag: string) => h.app.inject({ method: 'PUT', url: `/v2/team/cached/manifests/${tag}`, headers: { ...headers, 'content-type': 'application/vnd.oci.image.manifest.v1+json' }, payload: manifest });
  const tagsOf = async (q = '') => (await h.app.inject({ method: 'GET', url: `/v2/team/cached/tags/list${q}`, headers })).json().tags as string[];

  it('shows a pushed tag, a deleted tag and a deleted manifest at once, however warm the list was', async () => {
    for (const t of ['v1', 'v3']) expect((await put(t)).statusCode).toBe(201);
    expect(await tagsOf()).toEqual(['v1', 'v3']);
    expect((await put('v2')).statusCode).toBe(201);
    expect(await tagsOf()).toEqual(['v1', 'v2', 'v3']);
    const del = await h.app.inject({ method: 'DELETE', url: '/v2/team/cached/manifests/v2', headers });
    expect(del.statusCode).toBe(202);
    expect(await tagsOf()).toEqual(['v1', 'v3']);
    const digest = (await h.app.inject({ method: 'HEAD', url: '/v2/team/cached/manifests/v1', headers: { ...headers, accept: 'application/vnd.oci.image.manifest.v1+json' } })).headers['docker-content-digest'] as string;
    expect((await h.app.inject({ method: 'DELETE', url: `/v2/team/cached/manifests/${digest}`, headers })).statusCode).toBe(202);
    expect(await tagsOf()).toEqual([]);
  });

  it('pages a warm list exactly as the database would, for every n and last', async () => {
    const names = ['A', 'B', 'a', 'a-1', 'a.1', 'a_1', 'b', 'latest', 'v1', 'v1.0', 'v10', 'v2'];
    for (const t of names) expect((await put(t)).statusCode).toBe(201);
    const all = [...names].sort();
    expect(await tagsOf()).toEqual(all);
    for (const n of [1, 2, 5, 12, 13]) {
      for (const last of [undefined, 'A', 'a-', 'a.1', 'v1', 'v9', 'zzz']) {
        const from = last === undefined ? 0 : all.filter((t) => t <= last).length;
        expect(await tagsOf(`?n=${n}${last === undefined ? '' : `&last=${last}`}`), `n=${n} last=${last}`).toEqual(all.slice(from, from + n));
      }
    }
  });
});
