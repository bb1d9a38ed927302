// The platform API as one document and one typed client, against a real all-in-one (embedded
// database, every service mounted): the served document is the committed one and validates, the
// reference renders from local files, and the client logs in, writes with CSRF, uses Bearer,
// pages through a list and gets errors as values.
import { readFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Validator } from '@seriousme/openapi-schema-validator';
import { collect, CookieJar, createPlatformClient, PlatformApiError, unwrap } from '@docksphere/client';
import { createLogger, loadConfig } from '@docksphere/kit';
import { startAllInOne, type RunningDockSphere } from '../src/server.ts';
import { buildPlatformApi } from '../src/api-document.ts';

const ADMIN_PASSWORD = 'platform-api-admin-password';
const committed = JSON.parse(readFileSync(new URL('../../../packages/client/openapi.json', import.meta.url), 'utf8'));

describe('the platform API document and client (all-in-one)', () => {
  let running: RunningDockSphere;
  let dataDir: string;

  beforeAll(async () => {
    dataDir = mkdtempSync(path.join(tmpdir(), 'ds-platform-api-'));
    const config = loadConfig({ DATA_DIR: dataDir, HOST: '127.0.0.1', PORT: '0', PUBLIC_URL: 'http://127.0.0.1', ADMIN_PASSWORD, LOG_LEVEL: 'silent' });
    running = await startAllInOne(config, createLogger({ level: 'silent' }));
    // A fresh embedded database can take minutes to initialise on a loaded machine.
  }, 300_000);
  afterAll(async () => {
    await running?.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('serves at /api/openapi.json the document committed in packages/client, and it validates as OpenAPI 3.1', async () => {
    const res = await fetch(`${running.url}/api/openapi.json`);
    expect(res.status).toBe(200);
    const served = await res.json();
    expect(served.openapi).toBe('3.1.0');
    // A route changed without `node scripts/build.mjs` (which regenerates the file) fails here.
    expect(served).toEqual(committed);
    const result = await new Validator().validate(served);
    expect(result.errors ?? []).toEqual([]);
    expect(result.valid).toBe(true);
    for (const p of ['/api/auth/login', '/api/auth/tokens', '/api/repositories', '/api/orgs', '/api/audit/entries', '/api/webhooks']) expect(Object.keys(served.paths)).toContain(p);
    expect(Object.keys(served.paths).filter((p) => p.startsWith('/v2') || p.startsWith('/internal'))).toEqual([]);
  });

  it('renders the reference at /api/docs from files it serves itself', async () => {
    const page = await fetch(`${running.url}/api/docs`);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toContain('text/html');
    const html = await page.text();
    const scripts = [...html.matchAll(/<script src="([^"]+)"/g)].map((m) => m[1]!);
    expect(scripts.length).toBeGreaterThan(0);
    for (const src of [...scripts, ...[...html.matchAll(/<link rel="stylesheet" href="([^"]+)"/g)].map((m) => m[1]!)]) {
      expect(src.startsWith('/api/docs/'), `${src} is served locally`).toBe(true);
      const asset = await fetch(`${running.url}${src}`);
      expect(asset.status, src).toBe(200);
      expect((await asset.arrayBuffer()).byteLength).toBeGreaterThan(0);
    }
    expect(await (await fetch(`${running.url}/api/docs/reference.js`)).text()).toContain('/api/openapi.json');
    expect((await fetch(`${running.url}/api/docs/..%2Fpackage.json`)).status).toBe(404);
  });

  it('logs in with a cookie session, writes with the CSRF header, and is refused without it', async () => {
    const jar = new CookieJar();
    const client = createPlatformClient({ baseUrl: running.url, auth: { session: jar } });
    const login = await unwrap(client.POST('/api/auth/login', { body: { username: 'admin', password: ADMIN_PASSWORD } }));
    expect(login).toMatchObject({ user: { username: 'admin' } });
    expect(jar.get('ds_access')).toBeTruthy();
    const me = await client.GET('/api/auth/me');
    expect(me.data?.user?.username).toBe('admin');

    const created = await client.POST('/api/repositories', { body: { name: 'admin/client-made', visibility: 'private', description: 'made by the typed client' } });
    expect(created.response.status).toBe(201);
    expect(created.data?.name).toBe('admin/client-made');

    // The same cookies from a page that cannot read the CSRF cookie.
    const forged = await fetch(`${running.url}/api/repositories`, {
      method: 'POST',
      headers: { cookie: jar.header('/api/repositories')!, 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'admin/forged', visibility: 'public' }),
    });
    expect(forged.status).toBe(403);
    expect((await client.GET('/api/repositories/{repository}', { params: { path: { repository: 'admin/forged' } } })).response.status).toBe(404);
  });

  it('authenticates with a bearer token and answers errors as typed values', async () => {
    const anonymous = createPlatformClient({ baseUrl: running.url });
    const login = await unwrap(anonymous.POST('/api/auth/login', { body: { username: 'admin', password: ADMIN_PASSWORD } }));
    const token = (login as { accessToken: string }).accessToken;
    const client = createPlatformClient({ baseUrl: running.url, auth: { token } });
    expect((await client.GET('/api/auth/me')).data?.user?.username).toBe('admin');

    const missing = await client.GET('/api/repositories/{repository}', { params: { path: { repository: 'admin/nothing-here' } } });
    expect(missing.data).toBeUndefined();
    expect(missing.response.status).toBe(404);
    expect(missing.error?.error.code).toBe('NOT_FOUND');
    expect(missing.error?.error.message).toBeTruthy();

    const invalid = await client.POST('/api/repositories', { body: { name: 'admin/UPPER case', visibility: 'public' } });
    expect(invalid.response.status).toBe(400);
    expect(invalid.error?.error.code).toBe('VALIDATION_FAILED');
    await expect(unwrap(client.GET('/api/repositories/{repository}', { params: { path: { repository: 'admin/nothing-here' } } }))).rejects.toBeInstanceOf(PlatformApiError);
  });

  it('follows nextCursor through every page of a list', async () => {
    const anonymous = createPlatformClient({ baseUrl: running.url });
    const login = await unwrap(anonymous.POST('/api/auth/login', { body: { username: 'admin', password: ADMIN_PASSWORD } }));
    const client = createPlatformClient({ baseUrl: running.url, auth: { token: (login as { accessToken: string }).accessToken } });
    const names = Array.from({ length: 7 }, (_, i) => `admin/paged-${i}`);
    for (const name of names) expect((await client.POST('/api/repositories', { body: { name, visibility: 'public' } })).response.status).toBe(201);
    let calls = 0;
    const listed = await collect((cursor) => {
      calls++;
      return client.GET('/api/repositories', { params: { query: { namespace: 'admin', limit: 3, ...(cursor ? { cursor } : {}) } } });
    });
    expect(listed.map((r) => r.name).filter((n) => n.startsWith('admin/paged-'))).toEqual(names);
    expect(calls).toBeGreaterThanOrEqual(3);
  });
});

/** POST routes that take no input: their action is the whole request. */
const BODILESS = new Set([
  'POST /api/auth/session/refresh',
  'POST /api/auth/logout',
  'POST /api/auth/logout-everywhere',
  'POST /api/auth/admin/users/{username}/2fa/reset',
  'POST /api/auth/admin/keys/rotate',
  'POST /api/audit/alerts/{id}/acknowledge',
  'POST /api/webhooks/{id}/ping',
  'POST /api/webhooks/{id}/deliveries/{deliveryId}/redeliver',
]);

interface Operation {
  summary?: string;
  tags?: string[];
  parameters?: { in: string; name: string }[];
  requestBody?: unknown;
  responses?: Record<string, { content?: Record<string, { schema?: unknown }> }>;
}

describe('every /api route is in the document with its schemas', () => {
  it('documents each route of auth, metadata and hooks: tags, summary, path parameters, request body, a success response', async () => {
    const { document, routes } = await buildPlatformApi();
    const paths = document.paths as Record<string, Record<string, Operation>>;
    const apiRoutes = routes.filter((r) => r.method !== 'HEAD' && (r.url.startsWith('/api/') || r.url.startsWith('/auth/')));
    expect(apiRoutes.length).toBeGreaterThan(70);
    const problems: string[] = [];
    for (const { method, url } of apiRoutes) {
      const path = url.replace(/:(\w+)/g, '{$1}');
      const name = `${method} ${path}`;
      const op = paths[path]?.[method.toLowerCase()];
      if (!op) {
        problems.push(`${name}: not in the document`);
        continue;
      }
      if (!op.summary) problems.push(`${name}: no summary`);
      if (!op.tags?.length) problems.push(`${name}: no tags`);
      for (const param of path.match(/\{\w+\}/g) ?? []) {
        if (!op.parameters?.some((p) => p.in === 'path' && `{${p.name}}` === param)) problems.push(`${name}: path parameter ${param} has no schema`);
      }
      if (['POST', 'PUT', 'PATCH'].includes(method) && !op.requestBody && !BODILESS.has(name)) problems.push(`${name}: no request body schema`);
      const success = Object.entries(op.responses ?? {}).filter(([code]) => /^2\d\d$/.test(code));
      if (success.length === 0) problems.push(`${name}: no success response`);
      for (const [code, response] of success) {
        if (code !== '204' && !Object.values(response.content ?? {}).some((c) => c.schema)) problems.push(`${name}: response ${code} has no schema`);
      }
      if (url.startsWith('/api/') && !op.responses?.['4XX']) problems.push(`${name}: no error response`);
    }
    expect(problems).toEqual([]);
  });
});
