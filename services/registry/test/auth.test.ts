import { SignJWT, UnsecuredJWT, exportSPKI, generateKeyPair } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ISSUER, REALM, SERVICE, makeSigningKey, repo, sha256, signToken, startRegistry, type Harness } from './helpers.ts';

describe('token auth', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startRegistry();
  });
  afterAll(async () => h.close());
  const bearer = (t: string) => ({ authorization: `Bearer ${t}` });
  const getTags = (headers: Record<string, string> = {}) => h.app.inject({ method: 'GET', url: '/v2/team/app/tags/list', headers });

  it('challenges GET /v2/ without a token, with no scope', async () => {
    const r = await h.app.inject({ method: 'GET', url: '/v2/' });
    expect(r.statusCode).toBe(401);
    expect(r.headers['www-authenticate']).toBe(`Bearer realm="${REALM}",service="${SERVICE}"`);
    expect(r.headers['docker-distribution-api-version']).toBe('registry/2.0');
    expect(r.json().errors[0].code).toBe('UNAUTHORIZED');
  });

  it('answers GET /v2/ with 200 {} for any valid token', async () => {
    const r = await h.app.inject({ method: 'GET', url: '/v2/', headers: await h.auth() });
    expect(r.statusCode).toBe(200);
    expect(r.json()).toEqual({});
    expect(r.headers['docker-distribution-api-version']).toBe('registry/2.0');
  });

  it('challenges with the scope the request needs: pull for reads, pull,push for pushes', async () => {
    const r = await getTags();
    expect(r.headers['www-authenticate']).toBe(`Bearer realm="${REALM}",service="${SERVICE}",scope="repository:team/app:pull"`);
    const p = await h.app.inject({ method: 'POST', url: '/v2/team/app/blobs/uploads/' });
    expect(p.headers['www-authenticate']).toContain('scope="repository:team/app:pull,push"');
    const d = await h.app.inject({ method: 'DELETE', url: '/v2/team/app/manifests/latest' });
    expect(d.headers['www-authenticate']).toContain('scope="repository:team/app:delete"');
  });

  it('challenges a mount with pull on its `from` repository too, so a token for the challenge can mount', async () => {
    const digest = sha256('mount me');
    const both = `scope="repository:team/app:pull,push repository:team/src:pull"`;
    const anon = await h.app.inject({ method: 'POST', url: `/v2/team/app/blobs/uploads/?mount=${digest}&from=team/src` });
    expect(anon.statusCode).toBe(401);
    expect(anon.headers['www-authenticate']).toBe(`Bearer realm="${REALM}",service="${SERVICE}",${both}`);
    const pullOnly = { authorization: `Bearer ${await signToken(h.key, [repo('team/app', 'pull')])}` };
    const short = await h.app.inject({ method: 'POST', url: `/v2/team/app/blobs/uploads/?mount=${digest}&from=team/src`, headers: pullOnly });
    expect(short.statusCode).toBe(401);
    expect(short.headers['www-authenticate']).toContain(`${both},error="insufficient_scope"`);
    // Without `from`, or with one that is no repository name, only the target's scope is asked for.
    for (const q of [`?mount=${digest}`, `?mount=${digest}&from=Not..Valid`]) {
      const r = await h.app.inject({ method: 'POST', url: `/v2/team/app/blobs/uploads/${q}` });
      expect(r.headers['www-authenticate'], q).toBe(`Bearer realm="${REALM}",service="${SERVICE}",scope="repository:team/app:pull,push"`);
    }
  });

  it('refuses Basic credentials at /v2', async () => {
    const r = await getTags({ authorization: 'Basic YWxpY2U6c2VjcmV0' });
    expect(r.statusCode).toBe(401);
  });

  const invalid: [string, () => Promise<string>][] = [
    ['a bad signature', async () => signToken(await makeSigningKey(), [repo('team/app')])],
    ['the wrong audience', async () => signToken(h.key, [repo('team/app')], { aud: 'someone-else' })],
    ['the wrong issuer', async () => signToken(h.key, [repo('team/app')], { iss: 'evil' })],
    ['an expired token', async () => signToken(h.key, [repo('team/app')], { expiresIn: -120 })],
    ['nbf in the future', async () => signToken(h.key, [repo('team/app')], { notBefore: 600 })],
    ['alg none', async () => new UnsecuredJWT({ access: [repo('team/app')] }).setIssuer(ISSUER).setAudience(SERVICE).setExpirationTime('5m').encode()],
    [
      'HS256 signed with the public key',
      async () => {
        const { publicKey } = await generateKeyPair('ES256', { extractable: true });
        const pem = await exportSPKI(publicKey);
        return new SignJWT({ access: [repo('team/app')] })
          .setProtectedHeader({ alg: 'HS256', kid: 'test-key' })
          .setIssuer(ISSUER)
          .setAudience(SERVICE)
          .setExpirationTime('5m')
          .sign(new TextEncoder().encode(pem));
      },
    ],
    ['garbage', async () => 'not.a.jwt'],
  ];
  for (const [what, make] of invalid) {
    it(`refuses ${what} with 401 invalid_token`, async () => {
      const r = await getTags(bearer(await make()));
      expect(r.statusCode).toBe(401);
      expect(r.json().errors[0].code).toBe('UNAUTHORIZED');
      expect(r.headers['www-authenticate']).toContain('error="invalid_token"');
      expect(r.headers['www-authenticate']).toContain('scope="repository:team/app:pull"');
    });
  }

  it('refuses a push scope for repository A used on repository B with insufficient_scope', async () => {
    const token = await signToken(h.key, [repo('team/a', 'pull', 'push')]);
    const r = await h.app.inject({ method: 'POST', url: '/v2/team/b/blobs/uploads/', headers: bearer(token) });
    expect(r.statusCode).toBe(401);
    expect(r.headers['www-authenticate']).toBe(`Bearer realm="${REALM}",service="${SERVICE}",scope="repository:team/b:pull,push",error="insufficient_scope"`);
    const ok = await h.app.inject({ method: 'POST', url: '/v2/team/a/blobs/uploads/', headers: bearer(token) });
    expect(ok.statusCode).toBe(202);
  });

  it('refuses a pull-only token on a push and a delete', async () => {
    const headers = bearer(await signToken(h.key, [repo('team/app', 'pull')]));
    expect((await h.app.inject({ method: 'PUT', url: '/v2/team/app/manifests/x', headers, payload: '{}' })).statusCode).toBe(401);
    expect((await h.app.inject({ method: 'DELETE', url: '/v2/team/app/manifests/x', headers })).statusCode).toBe(401);
  });
});

describe('auth mode none', () => {
  it('allows everything without a token', async () => {
    const h = await startRegistry({ authMode: 'none' });
    try {
      expect((await h.app.inject({ method: 'GET', url: '/v2/' })).statusCode).toBe(200);
      expect((await h.app.inject({ method: 'POST', url: '/v2/team/app/blobs/uploads/' })).statusCode).toBe(202);
    } finally {
      await h.close();
    }
  });
});
