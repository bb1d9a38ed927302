import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { repo, startRegistry, type Harness } from './helpers.ts';

describe('path validation', () => {
  let h: Harness;
  let headers: { authorization: string };
  beforeAll(async () => {
    h = await startRegistry();
    headers = await h.auth(repo('team/app'));
  });
  afterAll(async () => h.close());
  const code = async (method: 'GET' | 'PUT' | 'POST', url: string) => {
    const r = await h.app.inject({ method, url, headers });
    return [r.statusCode, r.json().errors?.[0]?.code];
  };

  // (inject normalises literal ".." segments like a proxy would; the encoded forms reach the registry.)
  it('refuses traversal and invalid names with NAME_INVALID', async () => {
    for (const url of ['/v2/%2e%2e/etc/tags/list', '/v2/Team/App/tags/list', '/v2/team%2Fapp/tags/list', '/v2/team//app/tags/list', '/v2/team/app%00/tags/list', '/v2/team/%zz/tags/list']) {
      expect(await code('GET', url), url).toEqual([400, 'NAME_INVALID']);
    }
  });

  it('refuses traversal in references and digests', async () => {
    expect(await code('GET', '/v2/team/app/manifests/..%2f..%2fx')).toEqual([400, 'TAG_INVALID']);
    expect(await code('GET', '/v2/team/app/manifests/sha256:..%2f..')).toEqual([400, 'DIGEST_INVALID']);
    expect(await code('GET', '/v2/team/app/blobs/%2e%2e')).toEqual([400, 'DIGEST_INVALID']);
    expect(await code('GET', `/v2/team/app/manifests/${'a'.repeat(129)}`)).toEqual([400, 'TAG_INVALID']);
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
