import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { repo, startRegistry, type Harness } from './helpers.ts';

/** Real HTTP with the path sent byte for byte (inject, like WHATWG URL, would resolve "%2e%2e" first). */
function rawGet(port: number, path: string, headers: Record<string, string>): Promise<{ status: number; body: string; headers: http.IncomingHttpHeaders }> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, path, method: 'GET', headers }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body, headers: res.headers }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('path validation', () => {
  let h: Harness;
  let headers: { authorization: string };
  beforeAll(async () => {
    h = await startRegistry();
    headers = await h.auth(repo('team/app'));
    await h.app.listen({ host: '127.0.0.1', port: 0 });
    port = (h.app.server.address() as AddressInfo).port;
  });
  let port = 0;
  afterAll(async () => h.close());
  const code = async (_method: 'GET', url: string) => {
    const r = await rawGet(port, url, headers);
    return [r.status, JSON.parse(r.body).errors?.[0]?.code];
  };

  it('refuses traversal and invalid names with NAME_INVALID', async () => {
    for (const url of ['/v2/%2e%2e/etc/tags/list', '/v2/Team/App/tags/list', '/v2/team%2Fapp/tags/list', '/v2/team//app/tags/list', '/v2/team/app%00/tags/list', '/v2/../etc/tags/list', '/v2/team/../../etc/tags/list']) {
      expect(await code('GET', url), url).toEqual([400, 'NAME_INVALID']);
    }
  });

  it('finds nothing under traversal references and refuses traversal digests', async () => {
    // A manifest reference that is neither tag nor digest names nothing (the repository is unknown here).
    expect(await code('GET', '/v2/team/app/manifests/..%2f..%2fx')).toEqual([404, 'NAME_UNKNOWN']);
    expect(await code('GET', '/v2/team/app/manifests/sha256:..%2f..')).toEqual([404, 'NAME_UNKNOWN']);
    expect(await code('GET', '/v2/team/app/blobs/..')).toEqual([400, 'DIGEST_INVALID']);
    expect(await code('GET', `/v2/team/app/manifests/${'a'.repeat(129)}`)).toEqual([404, 'NAME_UNKNOWN']);
  });

  it('answers router errors (malformed percent-encoding) under /v2 in the OCI error format, elsewhere as Fastify does', async () => {
    for (const url of ['/v2/team/app%zz/tags/list', '/v2/team/app/manifests/%E0%A4%A', '/v2/team/app/blobs/sha256:%']) {
      const r = await rawGet(port, url, headers);
      expect(r.status, url).toBe(400);
      expect(r.headers['content-type']).toBe('application/json; charset=utf-8');
      expect(r.headers['docker-distribution-api-version']).toBe('registry/2.0');
      expect(JSON.parse(r.body)).toEqual({ errors: [{ code: 'NAME_INVALID', message: 'malformed percent-encoding in the request path' }] });
    }
    const other = await rawGet(port, '/elsewhere%zz', headers);
    expect(other.status).toBe(400);
    expect(JSON.parse(other.body)).toMatchObject({ code: 'FST_ERR_BAD_URL', statusCode: 400 });
  });

  it('answers UNSUPPORTED for methods an endpoint lacks', async () => {
    const r = await h.app.inject({ method: 'POST', url: '/v2/team/app/tags/list', headers });
    expect(r.statusCode).toBe(405);
    expect(r.json().errors[0].code).toBe('UNSUPPORTED');
  });

  it('answers an OCI error body for unknown /v2 paths', async () => {
    const r = await h.app.inject({ method: 'GET', url: '/v2/team/app/whatever', headers });
    expect(r.statusCode).toBe(404);
    expect(r.json().errors).toHaveLength(1);
  });
});
