// The client runtime without a server: what it sends for each kind of auth, how it keeps cookies,
// and how error answers (the platform's JSON, a proxy's HTML page) become typed values.
import { describe, expect, it } from 'vitest';
import { collect, CookieJar, createPlatformClient, PlatformApiError, unwrap } from './index.ts';

interface Seen {
  method: string;
  url: string;
  headers: Headers;
}

function fakeServer(answer: (request: Request) => Response) {
  const seen: Seen[] = [];
  const fetch = async (request: Request) => {
    seen.push({ method: request.method, url: request.url, headers: request.headers });
    return answer(request);
  };
  return { seen, fetch };
}

const json = (status: number, body: unknown, headers: Record<string, string> = {}) => new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json', ...headers } });

describe('@docksphere/client', () => {
  it('sends a token as Bearer and encodes a repository name as one path segment', async () => {
    const server = fakeServer(() => json(200, { name: 'team/app' }));
    const client = createPlatformClient({ baseUrl: 'http://ds.test/', auth: { token: 'dsp_secret' }, fetch: server.fetch });
    await client.GET('/api/repositories/{repository}', { params: { path: { repository: 'team/app' } } });
    expect(server.seen[0]!.url).toBe('http://ds.test/api/repositories/team%2Fapp');
    expect(server.seen[0]!.headers.get('authorization')).toBe('Bearer dsp_secret');
  });

  it('keeps the session cookies of a login and echoes the CSRF cookie on writes only', async () => {
    const server = fakeServer((request) => {
      if (request.url.endsWith('/api/auth/login')) {
        const headers = new Headers({ 'content-type': 'application/json' });
        headers.append('set-cookie', 'ds_access=acc%2Ftoken; Path=/; HttpOnly; SameSite=Lax');
        headers.append('set-cookie', 'ds_refresh=ref; Path=/api/auth/session; HttpOnly');
        headers.append('set-cookie', 'ds_csrf=csrf-1; Path=/; SameSite=Strict');
        return new Response(JSON.stringify({ accessToken: 'a', expiresIn: 600, csrfToken: 'csrf-1', user: {} }), { status: 200, headers });
      }
      if (request.url.endsWith('/api/auth/logout')) return new Response(null, { status: 204, headers: { 'set-cookie': 'ds_access=; Path=/; Max-Age=0' } });
      return json(200, {});
    });
    const jar = new CookieJar();
    const client = createPlatformClient({ baseUrl: 'http://ds.test', auth: { session: jar }, fetch: server.fetch });
    await client.POST('/api/auth/login', { body: { username: 'alice', password: 'pw' } });
    expect(jar.get('ds_access')).toBe('acc/token');

    await client.GET('/api/auth/me');
    const read = server.seen[1]!;
    expect(read.headers.get('cookie')).toBe('ds_access=acc%2Ftoken; ds_csrf=csrf-1');
    expect(read.headers.get('x-csrf-token')).toBeNull();
    expect(read.headers.get('authorization')).toBeNull();

    await client.POST('/api/auth/session/refresh');
    const refresh = server.seen[2]!;
    expect(refresh.headers.get('x-csrf-token')).toBe('csrf-1');
    expect(refresh.headers.get('cookie')).toContain('ds_refresh=ref');

    await client.POST('/api/auth/logout');
    expect(jar.get('ds_access')).toBeUndefined();
  });

  it('answers errors as values: the platform body as sent, a proxy page as a platform error', async () => {
    const server = fakeServer((request) =>
      request.url.includes('missing')
        ? json(404, { error: { code: 'NOT_FOUND', message: 'no such repository' } })
        : new Response('<html><body><h1>502 Bad Gateway</h1></body></html>', { status: 502, headers: { 'content-type': 'text/html' } }),
    );
    const client = createPlatformClient({ baseUrl: 'http://ds.test', fetch: server.fetch });
    const missing = await client.GET('/api/repositories/{repository}', { params: { path: { repository: 'missing/app' } } });
    expect(missing.data).toBeUndefined();
    expect(missing.error).toEqual({ error: { code: 'NOT_FOUND', message: 'no such repository' } });

    const down = await client.GET('/api/repositories/{repository}', { params: { path: { repository: 'team/app' } } });
    expect(down.response.status).toBe(502);
    expect(down.error).toEqual({ error: { code: 'UNAVAILABLE', message: '502 Bad Gateway' } });

    const thrown = await unwrap(client.GET('/api/repositories/{repository}', { params: { path: { repository: 'missing/app' } } })).catch((e: unknown) => e);
    expect(thrown).toBeInstanceOf(PlatformApiError);
    expect((thrown as PlatformApiError).code).toBe('NOT_FOUND');
    expect((thrown as PlatformApiError).status).toBe(404);
  });

  it('follows nextCursor until a page has none, and stops at the first error', async () => {
    const pages: Record<string, unknown> = {
      '': { items: [{ name: 'a/1' }, { name: 'a/2' }], nextCursor: 'c1' },
      c1: { items: [{ name: 'a/3' }], nextCursor: 'c2' },
      c2: { items: [{ name: 'a/4' }] },
    };
    const server = fakeServer((request) => {
      const cursor = new URL(request.url).searchParams.get('cursor') ?? '';
      return cursor in pages ? json(200, pages[cursor]) : json(400, { error: { code: 'VALIDATION_FAILED', message: 'invalid cursor' } });
    });
    const client = createPlatformClient({ baseUrl: 'http://ds.test', fetch: server.fetch });
    const all = await collect((cursor) => client.GET('/api/repositories', { params: { query: { limit: 2, cursor } } }));
    expect(all.map((r) => r.name)).toEqual(['a/1', 'a/2', 'a/3', 'a/4']);
    expect(server.seen.map((s) => new URL(s.url).searchParams.get('cursor'))).toEqual([null, 'c1', 'c2']);

    pages.c1 = { items: [{ name: 'a/3' }], nextCursor: 'gone' };
    await expect(collect((cursor) => client.GET('/api/repositories', { params: { query: { cursor } } }))).rejects.toMatchObject({ code: 'VALIDATION_FAILED' });
  });

  it('sends a cookie only to the paths it was set for, and drops expired ones', () => {
    const jar = new CookieJar();
    jar.storeLine('ds_refresh=r; Path=/api/auth/session; HttpOnly');
    jar.storeLine('ds_access=a; Path=/');
    jar.storeLine('old=x; Path=/; Expires=Thu, 01 Jan 1970 00:00:00 GMT');
    expect(jar.header('/api/repositories')).toBe('ds_access=a');
    expect(jar.header('/api/auth/session/refresh')).toBe('ds_refresh=r; ds_access=a');
    expect(jar.header('/api/auth/sessions')).toBe('ds_access=a');
    expect(jar.get('old')).toBeUndefined();
  });
});
