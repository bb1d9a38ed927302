// The all-in-one serving the console's static export: files with their cache policy, directory
// pages with a trailing slash, the console's 404 page for unknown pages, JSON 404s under the API
// prefixes, and no way out of the folder.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import Fastify, { type FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '@docksphere/kit';
import { serveConsole } from '../src/console.ts';

describe('console files in the all-in-one', () => {
  let app: FastifyInstance;
  const dir = mkdtempSync(path.join(tmpdir(), 'ds-console-'));

  beforeAll(async () => {
    mkdirSync(path.join(dir, '_next/static/chunks'), { recursive: true });
    mkdirSync(path.join(dir, 'repository'));
    writeFileSync(path.join(dir, 'index.html'), '<html>home</html>');
    writeFileSync(path.join(dir, '404.html'), '<html>missing</html>');
    writeFileSync(path.join(dir, 'repository/index.html'), '<html>repository</html>');
    writeFileSync(path.join(dir, '_next/static/chunks/a1b2.js'), 'console.log(1)');
    writeFileSync(path.join(tmpdir(), 'ds-console-secret.txt'), 'secret');
    app = Fastify();
    app.get('/api/real', async () => ({ ok: true }));
    await serveConsole(app, { dir, logger: createLogger({ level: 'silent', name: 'test' }) });
  });
  afterAll(async () => {
    await app.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('serves pages uncached and hashed assets immutable, with the security headers', async () => {
    const home = await app.inject({ url: '/' });
    expect(home.statusCode).toBe(200);
    expect(home.body).toBe('<html>home</html>');
    expect(home.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(home.headers['cache-control']).toBe('no-cache');
    expect(home.headers['x-content-type-options']).toBe('nosniff');
    expect(home.headers['content-security-policy']).toContain("frame-ancestors 'none'");
    const asset = await app.inject({ url: '/_next/static/chunks/a1b2.js' });
    expect(asset.headers['cache-control']).toBe('public, max-age=31536000, immutable');
    expect(asset.headers['content-type']).toBe('text/javascript; charset=utf-8');
    const again = await app.inject({ url: '/', headers: { 'if-none-match': home.headers.etag as string } });
    expect(again.statusCode).toBe(304);
  });

  it('serves a page folder at its trailing slash, keeping the query across the redirect', async () => {
    expect((await app.inject({ url: '/repository/?name=team/app' })).body).toBe('<html>repository</html>');
    const redirect = await app.inject({ url: '/repository?name=team/app' });
    expect(redirect.statusCode).toBe(308);
    expect(redirect.headers.location).toBe('/repository/?name=team/app');
  });

  it('answers unknown pages with the console 404 page and unknown API paths with a JSON 404', async () => {
    const page = await app.inject({ url: '/no/such/page/' });
    expect(page.statusCode).toBe(404);
    expect(page.body).toBe('<html>missing</html>');
    for (const url of ['/api/nope', '/v2/nope', '/auth/nope', '/internal/x']) {
      const res = await app.inject({ url });
      expect(res.statusCode, url).toBe(404);
      expect(res.json().error.code, url).toBe('NOT_FOUND');
    }
    expect((await app.inject({ method: 'POST', url: '/' })).json().error.code).toBe('NOT_FOUND');
    expect((await app.inject({ url: '/api/real' })).json()).toEqual({ ok: true });
  });

  it('never serves a file outside the console folder', async () => {
    for (const url of ['/../ds-console-secret.txt', '/%2e%2e/ds-console-secret.txt', '/repository/%2e%2e/%2e%2e/ds-console-secret.txt', '//evil.example/']) {
      const res = await app.inject({ url });
      expect(res.body, url).not.toContain('secret');
      expect([404, 400], url).toContain(res.statusCode);
    }
  });
});
